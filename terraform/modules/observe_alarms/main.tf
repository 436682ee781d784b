# The alarms of docs/observe.md on AWS: the job's metrics (published by spark_jobs/metrics.py under var.namespace,
# per-table ones with a Table dimension, names from cdc/metric_names.py) and MSK Connect's own metrics.

locals {
  tables  = { for t in var.tables : t.table => t }
  actions = [aws_sns_topic.alarms.arn]
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_metric_alarm" "table_stale" {
  for_each            = local.tables
  alarm_name          = "${var.name}-stale-${replace(each.key, ".", "-")}"
  alarm_description   = "${each.key}: the lake is more than ${each.value.freshness_alert_s}s behind its source (cdclake status)"
  namespace           = var.namespace
  metric_name         = "table_batch_lag_seconds"
  dimensions          = { Table = each.key }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.freshness_alert_s
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "table_blocked" {
  for_each            = local.tables
  alarm_name          = "${var.name}-blocked-${replace(each.key, ".", "-")}"
  alarm_description   = "${each.key} is blocked by schema drift: cdclake dlq list, then cdclake contracts sync"
  namespace           = var.namespace
  metric_name         = "table_blocked"
  dimensions          = { Table = each.key }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "dead_letters_growing" {
  for_each            = local.tables
  alarm_name          = "${var.name}-dead-letters-${replace(each.key, ".", "-")}"
  alarm_description   = "${each.key} has pending dead letters: cdclake dlq list"
  namespace           = var.namespace
  metric_name         = "table_dead_letters_pending"
  dimensions          = { Table = each.key }
  statistic           = "Maximum"
  period              = 600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "job_not_progressing" {
  alarm_name          = "${var.name}-job-not-progressing"
  alarm_description   = "no batch published for ${var.job_stall_minutes} minutes: is the streaming job running?"
  namespace           = var.namespace
  metric_name         = "batches_total"
  statistic           = "SampleCount"
  period              = 60
  evaluation_periods  = var.job_stall_minutes
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "connector_task_failed" {
  alarm_name          = "${var.name}-connector-task-failed"
  alarm_description   = "a task of MSK Connect connector ${var.connector_name} failed: its CloudWatch log group has the trace"
  namespace           = "AWS/KafkaConnect"
  metric_name         = "ErroredTaskCount"
  dimensions          = { ConnectorName = var.connector_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "connector_down" {
  alarm_name          = "${var.name}-connector-down"
  alarm_description   = "MSK Connect connector ${var.connector_name} runs no task"
  namespace           = "AWS/KafkaConnect"
  metric_name         = "RunningTaskCount"
  dimensions          = { ConnectorName = var.connector_name }
  statistic           = "Minimum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions
  tags                = var.tags
}
