"""Every pinned version and Maven coordinate of the stack, in one place.

Why these and not the ones in stack-facts: the Maven Central mirror this project
is built and tested against serves no Hudi bundle for Spark 4.0
(``hudi-spark4.0-bundle_2.13`` answers 404 for 1.1.0, 1.1.1 and 1.2.0), so the
local runtime is the newest line that resolves end to end: Spark 3.5 / Scala 2.12
with the Hudi 1.1 bundle for it. The job code uses only APIs common to Spark 3.5
and 4.0; on EMR (emr-spark-8.0.0: Spark 4.0.2, Hudi 1.1.0) it runs with the
platform's own Hudi jar, see ``EMR_PROFILE``.
"""

from __future__ import annotations

PYSPARK = "3.5.7"
SCALA_BINARY = "2.12"
HADOOP = "3.3.4"  # the Hadoop client pyspark 3.5 ships; hadoop-aws must match it
AWS_SDK_V1_BUNDLE = "1.12.262"  # what hadoop-aws 3.3.4 was built against
HUDI = "1.1.1"
HUDI_TABLE_VERSION = 6  # Athena's Hudi reader (0.14/0.15) reads up to version 6
KAFKA = "4.1.1"
DEBEZIUM = "3.5.0.Final"  # newest release with both the MySQL and MariaDB plugins on the mirror
LOG4J2 = "2.24.3"
SLF4J = "2.0.16"
MINIO_MODULE = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

# Jars the Spark driver needs on its classpath (resolved with Maven, transitive runtime deps).
SPARK_JARS = (
    f"org.apache.hudi:hudi-spark3.5-bundle_{SCALA_BINARY}:{HUDI}",
    f"org.apache.spark:spark-sql-kafka-0-10_{SCALA_BINARY}:{PYSPARK}",
    f"org.apache.hadoop:hadoop-aws:{HADOOP}",
)

# Runtime dependencies of the jars above that pyspark does not ship (listed, since the set is non-transitive).
SPARK_JARS_EXTRA = (
    f"org.apache.spark:spark-token-provider-kafka-0-10_{SCALA_BINARY}:{PYSPARK}",
    "org.apache.kafka:kafka-clients:3.4.1",
    "org.apache.commons:commons-pool2:2.11.1",
    f"com.amazonaws:aws-java-sdk-bundle:{AWS_SDK_V1_BUNDLE}",
)

# Broker and Connect worker: one classpath, same Kafka version for both.
KAFKA_JARS = (
    f"org.apache.kafka:kafka_2.13:{KAFKA}",
    f"org.apache.kafka:kafka-server:{KAFKA}",
    f"org.apache.kafka:kafka-tools:{KAFKA}",
    f"org.apache.kafka:connect-runtime:{KAFKA}",
    f"org.apache.kafka:connect-json:{KAFKA}",
    f"org.apache.logging.log4j:log4j-slf4j2-impl:{LOG4J2}",
    f"org.apache.logging.log4j:log4j-core:{LOG4J2}",
    # The log4j binding above needs the SLF4J 2 API; Kafka's transitive slf4j-api 1.7 would win otherwise
    # and silently turn off every Connect and Debezium log line (no provider found).
    f"org.slf4j:slf4j-api:{SLF4J}",
)

DEBEZIUM_PLUGINS = {
    "mariadb": f"io.debezium:debezium-connector-mariadb:{DEBEZIUM}:tar.gz:plugin",
    "mysql": f"io.debezium:debezium-connector-mysql:{DEBEZIUM}:tar.gz:plugin",
}

# What the same job is submitted with on AWS (documented, not resolvable here).
EMR_PROFILE = {
    "release": "emr-spark-8.0.0",
    "spark": "4.0.2",
    "scala": "2.13",
    "hudi_bundle": "org.apache.hudi:hudi-spark4.0-bundle_2.13:1.1.0",
    "kafka_source": "org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.2",
}
