#!/bin/sh
# Writes the worker config from the environment, then runs Kafka Connect in distributed mode.
# Mirrors cdc/devstack/connect.py (the native stack's worker), with container host names.
set -eu

: "${CONNECT_BOOTSTRAP_SERVERS:=kafka:9092}"
: "${CONNECT_GROUP_ID:=cdclake-connect}"
: "${CONNECT_REPLICATION_FACTOR:=1}"
: "${CONNECT_REST_ADVERTISED_HOST_NAME:=$(hostname)}"
: "${CONNECT_REST_PORT:=8083}"
: "${KAFKA_HEAP_OPTS:=-Xms256m -Xmx1g}"
export KAFKA_HEAP_OPTS

config=/opt/connect/config/connect-distributed.properties
cat > "$config" <<PROPS
bootstrap.servers=${CONNECT_BOOTSTRAP_SERVERS}
group.id=${CONNECT_GROUP_ID}
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
config.storage.topic=_connect-configs
offset.storage.topic=_connect-offsets
status.storage.topic=_connect-status
config.storage.replication.factor=${CONNECT_REPLICATION_FACTOR}
offset.storage.replication.factor=${CONNECT_REPLICATION_FACTOR}
status.storage.replication.factor=${CONNECT_REPLICATION_FACTOR}
offset.flush.interval.ms=1000
listeners=http://0.0.0.0:${CONNECT_REST_PORT}
rest.advertised.host.name=${CONNECT_REST_ADVERTISED_HOST_NAME}
rest.advertised.port=${CONNECT_REST_PORT}
plugin.path=/opt/connect/plugins
plugin.discovery=hybrid_warn
# Secrets reach connector configs as \${env:NAME} (cdclake capture render --target local),
# resolved in this process only: the password is never stored in the _connect-configs topic.
# Only CDCLAKE_SOURCE__PASSWORD may be read through the provider.
config.providers=env
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
config.providers.env.param.allowlist.pattern=^CDCLAKE_SOURCE__PASSWORD\$
PROPS

exec /opt/kafka/bin/connect-distributed.sh "$config"
