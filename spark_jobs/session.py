"""The SparkSession with the pinned jars and the settings Hudi needs."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

from cdc.errors import ConfigError
from cdc.jars import spark_jars
from cdc.settings import Settings

HUDI_SPARK_CONF = {
    "spark.serializer": "org.apache.spark.serializer.KryoSerializer",
    "spark.kryo.registrator": "org.apache.spark.HoodieSparkKryoRegistrar",
    "spark.sql.extensions": "org.apache.spark.sql.hudi.HoodieSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.hudi.catalog.HoodieCatalog",
    # DATETIME columns are wall-clock values (TIMESTAMP_NTZ); the decoders turn Debezium's
    # epoch encoding into them through UTC, so the session must be UTC on every platform.
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    # MySQL dates are proleptic Gregorian, like Spark 3+: DATE '1000-01-01' must be stored and read
    # as is (no Julian rebase), and reading it must not fail as an "ancient" datetime.
    "spark.sql.parquet.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInWrite": "CORRECTED",
    "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
    "spark.sql.avro.datetimeRebaseModeInWrite": "CORRECTED",
    "spark.sql.avro.datetimeRebaseModeInRead": "CORRECTED",
    # The decoder reads many fields of one parsed event; this rule would split that one from_json into
    # a pruned copy per field read, each parsing the whole value again (docs/performance.md).
    "spark.sql.optimizer.enableJsonExpressionOptimization": "false",
}


def s3a_conf(settings: Settings) -> dict[str, str]:
    conf = {"spark.hadoop.fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem"}
    endpoint = settings.s3_endpoint()
    if endpoint:
        access, secret = settings.s3_credentials()
        conf.update(
            {
                "spark.hadoop.fs.s3a.endpoint": endpoint,
                "spark.hadoop.fs.s3a.path.style.access": "true",
                "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint.startswith("https")).lower(),
                "spark.hadoop.fs.s3a.endpoint.region": settings.lake.s3_region,
                "spark.hadoop.fs.s3a.aws.credentials.provider": "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
                "spark.hadoop.fs.s3a.access.key": access,
                "spark.hadoop.fs.s3a.secret.key": secret,
            }
        )
    return conf


# The driver JVM's stdout: noise only (Hudi's bundled JOL prints "# WARNING: Unable to attach
# Serviceability Agent" to System.out when it sizes objects); a command's own output is printed by Python.
JVM_STDOUT_FD = 2


def _launch_driver_jvm(conf: dict[str, str]) -> None:
    """Start the driver JVM (once per process) with its stdout on stderr, so stdout carries only a command's output."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:
        return
    # spark-submit reads memory and JVM options at launch: pass them as the builder would.
    launch_conf = SparkConf(loadDefaults=False).setAll(list(conf.items()))
    SparkContext._ensure_initialized(gateway=launch_gateway(launch_conf, popen_kwargs={"stdout": JVM_STDOUT_FD}))


def build_session(settings: Settings, app_name: str = "cdclake", log=print) -> SparkSession:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("TZ", "UTC")
    builder = SparkSession.builder.appName(app_name)
    conf = dict(HUDI_SPARK_CONF)
    if settings.spark.add_jars:
        if settings.spark.jars_dir:
            jars = sorted(settings.spark.jars_dir.glob("*.jar"))
            if not jars:
                raise ConfigError(f"CDCLAKE_SPARK__JARS_DIR={settings.spark.jars_dir} holds no jars", next_step="point it at a job bundle's jars/")
        else:
            # Development only: resolve the pinned jars with Maven (a deployed job gets them from its bundle).
            jars = spark_jars(settings, log)
        conf["spark.jars"] = ",".join(str(p) for p in jars)
        conf["spark.master"] = settings.spark.master
        conf["spark.driver.memory"] = settings.spark.driver_memory
        conf["spark.ui.enabled"] = "false"
        # A long-running driver (the streaming job, a test session) runs thousands of small jobs:
        # keep the status store and plan strings small, or their history fills the heap.
        conf["spark.ui.retainedJobs"] = "100"
        conf["spark.ui.retainedStages"] = "100"
        conf["spark.ui.retainedTasks"] = "1000"
        conf["spark.sql.ui.retainedExecutions"] = "20"
        conf["spark.sql.maxPlanStringLength"] = "100000"
        conf["spark.ui.showConsoleProgress"] = "false"
        conf["spark.sql.shuffle.partitions"] = str(settings.spark.shuffle_partitions)
        conf["spark.default.parallelism"] = str(settings.spark.shuffle_partitions)
        conf["spark.driver.extraJavaOptions"] = "-Duser.timezone=UTC -Djdk.attach.allowAttachSelf=true"
        conf["spark.sql.warehouse.dir"] = str((settings.stack.state_dir / "spark-warehouse").resolve())
    # With a configured endpoint (the local S3 server, or any S3-compatible store) s3a:// paths work
    # in this session whatever the default lake is; on AWS, s3a uses the instance role.
    if settings.s3_endpoint() or settings.lake_root.startswith("s3a://") or settings.checkpoint_root.startswith("s3a://"):
        conf.update(s3a_conf(settings))
    for k, v in conf.items():
        builder = builder.config(k, v)
    _launch_driver_jvm(conf)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark
