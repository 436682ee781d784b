output "schedule_arns" {
  description = "ARN of each upkeep schedule."
  value       = { for k, s in aws_scheduler_schedule.upkeep : k => s.arn }
}

output "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes to start the runs."
  value       = aws_iam_role.scheduler.arn
}

output "job_run_inputs" {
  description = "Per schedule, the StartJobRun request it sends (JSON): which `cdclake` command runs, with which settings."
  value       = { for k, s in aws_scheduler_schedule.upkeep : k => s.target[0].input }
}
