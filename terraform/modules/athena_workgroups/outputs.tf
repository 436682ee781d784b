output "workgroup_names" {
  description = "Workgroup name per key."
  value       = { for k, wg in aws_athena_workgroup.this : k => wg.name }
}

output "workgroup_arns" {
  description = "Workgroup ARN per key (for athena:* statements in the IAM policy documents)."
  value       = { for k, wg in aws_athena_workgroup.this : k => wg.arn }
}

output "result_locations" {
  description = "s3:// result location per key."
  value       = { for k, wg in aws_athena_workgroup.this : k => wg.configuration[0].result_configuration[0].output_location }
}

output "result_prefix_arns" {
  description = "S3 object ARN pattern of each workgroup's results (arn:<partition>:s3:::<bucket>/<workgroup>/*), for IAM policy documents."
  value       = { for k, name in local.names : k => "arn:${data.aws_partition.current.partition}:s3:::${var.results_bucket_name}/${name}/*" }
}
