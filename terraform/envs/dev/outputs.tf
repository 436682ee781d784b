output "lake_root_uri" {
  description = "CDCLAKE_LAKE__ROOT of the streaming job."
  value       = local.lake_root_uri
}

output "lake_kms_key_arn" {
  description = "KMS key of the lake, results and artifacts buckets."
  value       = module.lake_bucket.kms_key_arn
}

output "glue_database_names" {
  description = "Glue database per access domain."
  value       = module.glue_catalog.database_names
}

output "athena_workgroup_names" {
  description = "Athena workgroup per key (analysts, finance)."
  value       = module.athena_workgroups.workgroup_names
}

output "role_arns" {
  description = "Access roles (writer, analysts, finance)."
  value       = module.iam_access.role_arns
}

output "connector_arn" {
  description = "MSK Connect connector."
  value       = module.msk_connect_debezium.connector_arn
}

output "emr_application_id" {
  description = "EMR Serverless application of the streaming job."
  value       = module.emr_serverless_stream.application_id
}

output "start_job_run_command" {
  description = "AWS CLI command that starts spark_jobs/stream.py."
  value       = module.emr_serverless_stream.start_job_run_command
}

# What the policy generator needs to write the roles' documents (`terraform output -json policy_generator_inputs`).
output "policy_generator_inputs" {
  description = "ARNs and names the IAM policy documents refer to, for the generator."
  value = {
    lake_bucket_arn           = module.lake_bucket.bucket_arn
    lake_root_uri             = local.lake_root_uri
    checkpoint_root_uri       = local.checkpoint_root_uri
    kms_key_arn               = module.lake_bucket.kms_key_arn
    artifacts_bucket_arn      = module.artifacts_bucket.bucket_arn
    athena_results_bucket_arn = module.athena_results_bucket.bucket_arn
    glue_database_names       = module.glue_catalog.database_names
    glue_database_arns        = module.glue_catalog.database_arns
    glue_table_arn_patterns   = module.glue_catalog.table_arn_patterns
    athena_workgroup_arns     = module.athena_workgroups.workgroup_arns
    athena_result_prefix_arns = module.athena_workgroups.result_prefix_arns
    msk_cluster_arn           = var.msk_cluster_arn
    emr_application_arn       = module.emr_serverless_stream.application_arn
    role_names                = module.iam_access.role_names
  }
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms."
  value       = module.observe_alarms.topic_arn
}
