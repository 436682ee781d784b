output "schedule_arns" {
  description = "ARN of each upkeep schedule."
  value       = { for k, s in aws_scheduler_schedule.upkeep : k => s.arn }
}

output "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes to start the runs."
  value       = aws_iam_role.scheduler.arn
}
