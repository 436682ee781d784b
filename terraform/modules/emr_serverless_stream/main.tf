# EMR Serverless Spark application for the streaming job (spark_jobs/stream.py).
# The application is infrastructure; a job run is an operation, so this module only documents
# it: see the start_job_run_command output, built from the job_* variables.

resource "aws_emrserverless_application" "this" {
  name          = var.name
  release_label = var.release_label
  type          = "SPARK"
  architecture  = var.architecture

  maximum_capacity {
    cpu    = var.maximum_capacity.cpu
    memory = var.maximum_capacity.memory
    disk   = var.maximum_capacity.disk
  }

  auto_start_configuration {
    enabled = true
  }

  auto_stop_configuration {
    enabled              = true
    idle_timeout_minutes = var.auto_stop_idle_timeout_minutes
  }

  dynamic "network_configuration" {
    for_each = length(var.subnet_ids) > 0 ? [1] : []
    content {
      subnet_ids         = var.subnet_ids
      security_group_ids = var.security_group_ids
    }
  }

  dynamic "image_configuration" {
    for_each = var.image_uri == null ? [] : [var.image_uri]
    content {
      image_uri = image_configuration.value
    }
  }

  tags = var.tags
}

locals {
  # The jars come from spark.jars (the job bundle); the job resolves none itself.
  environment = merge(var.job_environment, { CDCLAKE_SPARK__ADD_JARS = "false" })

  # The bundle's archive is a site-packages tree (pip install --target): it goes on PYTHONPATH of the
  # image's Python, which must be the bundle's minor (manifest.json "python", 3.11; see docs/aws-runbook.md).
  python_conf = var.python_archive_uri == null ? {} : {
    "spark.archives"                            = "${var.python_archive_uri}#cdclake"
    "spark.emr-serverless.driverEnv.PYTHONPATH" = "./cdclake"
    "spark.executorEnv.PYTHONPATH"              = "./cdclake"
  }

  spark_conf = merge(
    local.python_conf,
    length(var.spark_jars) > 0 ? { "spark.jars" = join(",", var.spark_jars) } : {},
    # Hudi's Glue sync and Spark SQL use the Glue Data Catalog as the metastore.
    { "spark.hadoop.hive.metastore.client.factory.class" = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory" },
    { for k, v in local.environment : "spark.emr-serverless.driverEnv.${k}" => v },
    { for k, v in local.environment : "spark.executorEnv.${k}" => v },
    var.extra_spark_conf,
  )

  job_driver = {
    sparkSubmit = {
      entryPoint            = var.entry_point_uri
      entryPointArguments   = var.entry_point_arguments
      sparkSubmitParameters = join(" ", [for k, v in local.spark_conf : "--conf ${k}=${v}"])
    }
  }

  configuration_overrides = var.log_uri == null ? {} : {
    monitoringConfiguration = {
      s3MonitoringConfiguration = { logUri = var.log_uri }
    }
  }

  start_job_run_command = join(" \\\n  ", compact([
    "aws emr-serverless start-job-run",
    "--application-id ${aws_emrserverless_application.this.id}",
    "--execution-role-arn ${coalesce(var.job_execution_role_arn, "<writer role ARN>")}",
    "--name ${var.name}",
    var.streaming ? "--mode STREAMING" : "--mode BATCH",
    var.streaming ? "--retry-policy '${jsonencode({ maxFailedAttemptsPerHour = var.max_failed_attempts_per_hour })}'" : "",
    "--job-driver '${jsonencode(local.job_driver)}'",
    length(local.configuration_overrides) > 0 ? "--configuration-overrides '${jsonencode(local.configuration_overrides)}'" : "",
  ]))
}
