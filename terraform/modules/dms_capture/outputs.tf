output "replication_task_arn" {
  description = "ARN of the replication task (start it with aws dms start-replication-task)."
  value       = aws_dms_replication_task.this.replication_task_arn
}

output "replication_instance_arn" {
  description = "ARN of the replication instance."
  value       = aws_dms_replication_instance.this.replication_instance_arn
}
