output "application_id" {
  description = "ID of the EMR Serverless application."
  value       = aws_emrserverless_application.this.id
}

output "application_arn" {
  description = "ARN of the EMR Serverless application (for emr-serverless:StartJobRun statements)."
  value       = aws_emrserverless_application.this.arn
}

output "job_driver" {
  description = "The jobDriver JSON of the streaming job run."
  value       = jsonencode(local.job_driver)
}

output "configuration_overrides" {
  description = "The configurationOverrides JSON of the job run (empty object when log_uri is null)."
  value       = jsonencode(local.configuration_overrides)
}

output "start_job_run_command" {
  description = "AWS CLI command that starts spark_jobs/stream.py on the application."
  value       = local.start_job_run_command
}
