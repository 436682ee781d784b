# Scheduled upkeep: EventBridge Scheduler starts EMR Serverless BATCH job runs of the job bundle's
# upkeep.py, which runs the same `cdclake` commands an operator runs locally:
#   snapshot --due      daily snapshot partitions of every ended day (idempotent)
#   catalog sync        Glue databases, tables and partitions equal to the lake's
#   reconcile --sample  source vs lake on a deterministic 1% of every table's chunks (exit 1 = the run FAILS, which alarms)
#   capture gap         the connector's committed binlog position vs the source's oldest binlog; MSK Connect
#                       has no REST API, so it reads the workers' offsets topic (CDCLAKE_CONNECT__OFFSETS_TOPIC)

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

data "aws_iam_policy_document" "start_runs" {
  statement {
    actions   = ["emr-serverless:StartJobRun"]
    resources = [var.application_arn]
  }
  statement {
    actions   = ["iam:PassRole"]
    resources = [var.job_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["emr-serverless.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "start-upkeep-job-runs"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.start_runs.json
}

locals {
  environment = merge(var.job_environment, { CDCLAKE_SPARK__ADD_JARS = "false" })
  spark_conf = merge(
    {
      "spark.jars"                                = join(",", var.spark_jars)
      "spark.archives"                            = "${var.python_archive_uri}#cdclake"
      "spark.emr-serverless.driverEnv.PYTHONPATH" = "./cdclake"
      "spark.executorEnv.PYTHONPATH"              = "./cdclake"
    },
    { for k, v in local.environment : "spark.emr-serverless.driverEnv.${k}" => v },
    { for k, v in local.environment : "spark.executorEnv.${k}" => v },
  )
  submit_parameters = join(" ", [for k, v in local.spark_conf : "--conf ${k}=${v}"])
}

resource "aws_scheduler_schedule" "upkeep" {
  #checkov:skip=CKV_AWS_297:The schedule's input holds no secret (application id, role ARN, S3 URIs of the job bundle); the source password stays in Secrets Manager
  for_each = var.schedules

  name                         = "${var.name}-${each.key}"
  schedule_expression          = each.value.expression
  schedule_expression_timezone = var.timezone
  state                        = each.value.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    # Universal target: the EMR Serverless StartJobRun API, parameters as in the API reference.
    arn      = "arn:${var.partition}:scheduler:::aws-sdk:emrserverless:startJobRun"
    role_arn = aws_iam_role.scheduler.arn
    input = jsonencode({
      ApplicationId    = var.application_id
      ExecutionRoleArn = var.job_role_arn
      Name             = "${var.name}-${each.key}"
      ClientToken      = "<aws.scheduler.execution-id>"
      Mode             = "BATCH"
      JobDriver = {
        SparkSubmit = {
          EntryPoint            = var.upkeep_entry_point_uri
          EntryPointArguments   = each.value.arguments
          SparkSubmitParameters = local.submit_parameters
        }
      }
      ConfigurationOverrides = var.log_uri == null ? null : {
        MonitoringConfiguration = { S3MonitoringConfiguration = { LogUri = var.log_uri } }
      }
    })

    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }
}
