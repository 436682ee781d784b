output "connector_arn" {
  description = "ARN of the MSK Connect connector."
  value       = aws_mskconnect_connector.this.arn
}

output "connector_name" {
  description = "Name of the connector."
  value       = aws_mskconnect_connector.this.name
}

output "custom_plugin_arn" {
  description = "ARN of the custom plugin (Debezium MySQL + config providers)."
  value       = aws_mskconnect_custom_plugin.this.arn
}

output "worker_configuration_arn" {
  description = "ARN of the worker configuration."
  value       = aws_mskconnect_worker_configuration.this.arn
}

output "service_execution_role_arn" {
  description = "ARN of the connector's service execution role."
  value       = aws_iam_role.connector.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the workers."
  value       = aws_cloudwatch_log_group.this.name
}

output "connector_configuration" {
  description = "The configuration as sent to MSK Connect (secret references only, no secret values)."
  value       = local.connector_configuration
}

output "topic_arns" {
  description = "MSK topic ARNs (patterns) the connector role may reach."
  value       = local.topic_arns
}

output "worker_properties" {
  description = "The workers' properties (converters, config provider, offsets topic)."
  value       = local.worker_properties
}
