"""Every pinned version and Maven coordinate of the stack, in one place.

Why these and not the ones in stack-facts: the Maven Central mirror this project
is built and tested against serves no Hudi bundle for Spark 4.0
(``hudi-spark4.0-bundle_2.13`` answers 404 for 1.1.0, 1.1.1 and 1.2.0), so the
local runtime is the newest line that resolves end to end: Spark 3.5 / Scala 2.12
with the Hudi 1.1 bundle for it. AWS runs the same: an EMR 7 release (Spark 3.5,
Scala 2.12, Java 17) with this Hudi bundle shipped in the job bundle, see ``EMR_PROFILE``
(tests/unit/test_runtime_pins.py compares it with Terraform).
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
# Athena engine v3 is built on Trino: the local stack's opt-in query engine over the Glue catalog.
TRINO = "476"
TRINO_SERVER = f"io.trino:trino-server:{TRINO}:tar.gz"
TRINO_JAVA = 24  # the oldest Java release Trino 476 starts on
# Prometheus and promtool: the opt-in metrics server of the local stack and the alert rules' checker (docs/observe.md).
PROMETHEUS_MODULE = "github.com/prometheus/prometheus@v0.316.0"

# Jars the Spark driver needs on its classpath (resolved with Maven, transitive runtime deps).
SPARK_JARS = (
    f"org.apache.hudi:hudi-spark3.5-bundle_{SCALA_BINARY}:{HUDI}",
    f"org.apache.spark:spark-sql-kafka-0-10_{SCALA_BINARY}:{PYSPARK}",
    f"org.apache.hadoop:hadoop-aws:{HADOOP}",
)

# Runtime dependencies of the jars above that pyspark does not ship (listed, since the set is non-transitive).
KAFKA_SOURCE_DEPS = (
    f"org.apache.spark:spark-token-provider-kafka-0-10_{SCALA_BINARY}:{PYSPARK}",
    "org.apache.kafka:kafka-clients:3.4.1",
    "org.apache.commons:commons-pool2:2.11.1",
)
SPARK_JARS_EXTRA = (*KAFKA_SOURCE_DEPS, f"com.amazonaws:aws-java-sdk-bundle:{AWS_SDK_V1_BUNDLE}")

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

MSK_IAM_AUTH = "2.3.9"  # software.amazon.msk:aws-msk-iam-auth, the shaded "all" jar (its AWS SDK inside)

# What the job ships to EMR Serverless in its bundle (`cdclake deploy bundle`), passed as spark.jars by
# path: no download at job start. The same Hudi bundle and Kafka source as the tests; EMR's own Hudi
# (/usr/lib/hudi) is never put on the classpath. S3 access on EMR is the platform's (EMRFS / s3a).
JOB_JARS = (
    f"org.apache.hudi:hudi-spark3.5-bundle_{SCALA_BINARY}:{HUDI}",
    f"org.apache.spark:spark-sql-kafka-0-10_{SCALA_BINARY}:{PYSPARK}",
    *KAFKA_SOURCE_DEPS,
    f"software.amazon.msk:aws-msk-iam-auth:{MSK_IAM_AUTH}:jar:all",
)

# The runtime the job is deployed on: the EMR release whose Spark minor, Scala and Java are the ones
# `make test` runs (pyspark PYSPARK above). emr-spark-8.0.0 (Spark 4.0, Scala 2.13) waits for a Spark 4
# Hudi bundle that the registry serves; moving means bumping PYSPARK, SCALA_BINARY and this together.
EMR_PROFILE = {
    "release": "emr-7.12.0",
    "spark_minor": ".".join(PYSPARK.split(".")[:2]),
    "scala": SCALA_BINARY,
    "java": "17",
    "hudi": HUDI,
}

# Spark minor / Scala / Java of the EMR releases this project knows (Amazon EMR release guide).
EMR_RELEASE_RUNTIMES = {
    "emr-7.12.0": {"spark_minor": "3.5", "scala": "2.12", "java": "17"},
    "emr-7.13.0": {"spark_minor": "3.5", "scala": "2.12", "java": "17"},
    "emr-spark-8.0.0": {"spark_minor": "4.0", "scala": "2.13", "java": "17"},
}


def jar_file_name(coord: str) -> str:
    """group:artifact:version[:type:classifier] -> the file name Maven gives it."""
    parts = coord.split(":")
    artifact, version = parts[1], parts[2]
    classifier = parts[4] if len(parts) > 4 else ""
    ext = parts[3] if len(parts) > 3 else "jar"
    return f"{artifact}-{version}{'-' + classifier if classifier else ''}.{ext}"
