output "topic_arn" {
  description = "ARN of the SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "alarm_names" {
  description = "Names of all alarms."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.table_stale : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.table_blocked : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.dead_letters_growing : a.alarm_name],
    [aws_cloudwatch_metric_alarm.job_not_progressing.alarm_name, aws_cloudwatch_metric_alarm.connector_task_failed.alarm_name,
    aws_cloudwatch_metric_alarm.connector_down.alarm_name],
  )
}
