output "role_arns" {
  description = "Role ARN per role key (writer, analysts, finance)."
  value       = { for k, r in aws_iam_role.this : k => r.arn }
}

output "role_names" {
  description = "Role name per role key."
  value       = { for k, r in aws_iam_role.this : k => r.name }
}

output "policy_arns" {
  description = "Managed policy ARN per \"<role>/<document name>\"."
  value       = { for k, p in aws_iam_policy.this : k => p.arn }
}

output "trust_policies" {
  description = "Trust policy (JSON) per role key: who may assume it."
  value       = { for k, r in var.roles : k => r.assume_role_policy_json }
}
