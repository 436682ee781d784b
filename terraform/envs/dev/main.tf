# dev: the AWS side of cdclake.
#   Aurora MySQL --(Debezium on MSK Connect)--> MSK --(Spark on EMR Serverless)--> Hudi on S3
#   --> Glue Data Catalog (one database per access domain) --> Athena workgroups.
# Aurora, MSK, the VPC and the source secret exist already; their IDs are variables.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  lake_root_uri       = "s3://${var.lake_bucket_name}/${trimsuffix(var.lake_prefix, "/")}"
  checkpoint_root_uri = "s3://${var.lake_bucket_name}/_checkpoints"

  # The connector config is generated from the contracts by `cdclake capture render --target msk`.
  connector_config_file   = startswith(var.connector_config_path, "/") ? var.connector_config_path : "${path.module}/${var.connector_config_path}"
  connector_configuration = { for k, v in jsondecode(file(local.connector_config_file)) : k => tostring(v) }

  # The IAM policy documents are generated from the contracts too; re-encoding normalises them.
  policy_documents = {
    for role, docs in var.policy_document_files : role => {
      for name, p in docs : name => jsonencode(jsondecode(file(startswith(p, "/") ? p : "${path.module}/${p}")))
    }
  }

  # Deny-by-default resource policies, generated with the IAM documents (resource/{bucket,kms,glue}.json).
  resource_policies = {
    for name, p in var.resource_policy_files : name => jsonencode(jsondecode(file(startswith(p, "/") ? p : "${path.module}/${p}")))
  }

  writer_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "EmrServerlessJobRuntime"
      Effect    = "Allow"
      Principal = { Service = "emr-serverless.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  analysts_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.analysts_principal_arns }
      Action    = "sts:AssumeRole"
    }]
  })
  finance_trust = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.finance_principal_arns }
      Action    = "sts:AssumeRole"
    }]
  })
}

# -- storage -------------------------------------------------------------------------------------

module "lake_bucket" {
  source = "../../modules/lake_bucket"

  bucket_name         = var.lake_bucket_name
  kms_key_alias       = "${var.name_prefix}-lake"
  kms_key_policy_json = local.resource_policies["kms"]
  bucket_policy_json  = local.resource_policies["bucket"]
  bucket_key_enabled  = false
  access_log_bucket   = module.access_logs.bucket_name
}

module "access_logs" {
  source = "../../modules/access_log_bucket"

  bucket_name = var.access_log_bucket_name
  source_bucket_arns = [
    "arn:${data.aws_partition.current.partition}:s3:::${var.lake_bucket_name}",
    "arn:${data.aws_partition.current.partition}:s3:::${var.athena_results_bucket_name}",
    "arn:${data.aws_partition.current.partition}:s3:::${var.artifacts_bucket_name}",
  ]
}

module "athena_results_bucket" {
  source = "../../modules/lake_bucket"

  bucket_name        = var.athena_results_bucket_name
  create_kms_key     = false
  kms_key_arn        = module.lake_bucket.kms_key_arn
  expiration_days    = var.athena_results_expiration_days
  access_log_bucket  = module.access_logs.bucket_name
  bucket_policy_json = lookup(local.resource_policies, "results-bucket", null)
  bucket_key_enabled = false
}

module "artifacts_bucket" {
  source = "../../modules/lake_bucket"

  bucket_name       = var.artifacts_bucket_name
  create_kms_key    = false
  kms_key_arn       = module.lake_bucket.kms_key_arn
  access_log_bucket = module.access_logs.bucket_name
}

# -- catalog and query ---------------------------------------------------------------------------

module "glue_catalog" {
  source = "../../modules/glue_catalog"

  domains              = var.domains
  database_name_prefix = var.glue_database_prefix
  lake_root_uri        = local.lake_root_uri

  lake_formation_grants  = var.lake_formation_grants_file == null ? [] : jsondecode(file(startswith(var.lake_formation_grants_file, "/") ? var.lake_formation_grants_file : "${path.module}/${var.lake_formation_grants_file}")).Grants
  encrypt_catalog        = true
  encryption_kms_key_arn = module.lake_bucket.kms_key_arn
  resource_policy_json   = local.resource_policies["glue"]
}

module "athena_workgroups" {
  source = "../../modules/athena_workgroups"

  name_prefix                    = "${var.name_prefix}-"
  results_bucket_name            = module.athena_results_bucket.bucket_name
  kms_key_arn                    = module.lake_bucket.kms_key_arn
  bytes_scanned_cutoff_per_query = var.bytes_scanned_cutoff_per_query
}

# -- access --------------------------------------------------------------------------------------

module "iam_access" {
  source = "../../modules/iam_access"

  name_prefix = "${var.name_prefix}-"
  roles = {
    writer = {
      description             = "Writes the lake: the streaming job's EMR Serverless runtime role"
      assume_role_policy_json = local.writer_trust
      policy_documents        = lookup(local.policy_documents, "writer", {})
    }
    analysts = {
      description             = "Queries the lake through the analysts workgroup"
      assume_role_policy_json = local.analysts_trust
      policy_documents        = lookup(local.policy_documents, "analysts", {})
    }
    finance = {
      description             = "Queries the lake, finance domain included, through the finance workgroup"
      assume_role_policy_json = local.finance_trust
      policy_documents        = lookup(local.policy_documents, "finance", {})
    }
  }
}

# -- capture -------------------------------------------------------------------------------------

module "msk_connect_debezium" {
  source = "../../modules/msk_connect_debezium"

  name                      = "${var.name_prefix}-${var.source_name}"
  connector_configuration   = local.connector_configuration
  source_secret_arn         = var.source_secret_arn
  source_secret_kms_key_arn = var.source_secret_kms_key_arn
  kafkaconnect_version      = var.kafkaconnect_version

  plugin_bucket_arn  = module.artifacts_bucket.bucket_arn
  plugin_object_key  = var.debezium_plugin_object_key
  plugin_source_path = var.debezium_plugin_zip_path

  msk_cluster_arn     = var.msk_cluster_arn
  bootstrap_servers   = var.msk_bootstrap_servers
  authentication_type = "IAM"
  subnet_ids          = var.subnet_ids
  security_group_ids  = var.connect_security_group_ids
  # A named offsets topic: it survives re-creating the connector, and the scheduled gap check reads it.
  offset_storage_topic = local.connect_offsets_topic
}

# -- streaming job -------------------------------------------------------------------------------

module "emr_serverless_stream" {
  source = "../../modules/emr_serverless_stream"

  name               = "${var.name_prefix}-stream"
  release_label      = var.emr_release_label
  image_uri          = var.emr_image_uri
  subnet_ids         = var.subnet_ids
  security_group_ids = var.emr_security_group_ids

  job_execution_role_arn = module.iam_access.role_arns["writer"]
  entry_point_uri        = "${module.artifacts_bucket.s3_uri}/${var.stream_entry_point_key}"
  python_archive_uri     = var.emr_image_uri == null ? "${module.artifacts_bucket.s3_uri}/${var.python_archive_key}" : null
  spark_jars             = local.job_jar_uris
  log_uri                = "${module.artifacts_bucket.s3_uri}/emr-serverless-logs/"
  job_environment        = local.job_environment
}

locals {
  connect_offsets_topic = "${var.name_prefix}-${var.source_name}-connect-offsets"
  job_jar_uris = [for j in var.job_jars : "${module.artifacts_bucket.s3_uri}/${var.job_jars_prefix}${j}"]
  # Settings of every job run (cdc/settings.py): the stream and the scheduled upkeep. No secrets.
  job_environment = {
    CDCLAKE_SOURCE__NAME             = var.source_name
    CDCLAKE_KAFKA__BOOTSTRAP_SERVERS = var.msk_bootstrap_servers
    # MSK's IAM listener (9098): the job's runtime role logs in (cdc/kafka_security.py).
    CDCLAKE_KAFKA__SECURITY_PROTOCOL = "SASL_SSL"
    CDCLAKE_KAFKA__SASL_MECHANISM    = "AWS_MSK_IAM"
    CDCLAKE_KAFKA__REGION            = var.region
    CDCLAKE_LAKE__ROOT               = local.lake_root_uri
    CDCLAKE_LAKE__CHECKPOINT_ROOT    = local.checkpoint_root_uri
    CDCLAKE_LAKE__S3_REGION          = var.region
    CDCLAKE_ACCESS__REGION           = var.region
    # The job publishes its metrics here; the alarms (module observe_alarms) watch the same namespace.
    CDCLAKE_METRICS__CLOUDWATCH_NAMESPACE = var.metrics_namespace
  }
}

# -- scheduled upkeep ----------------------------------------------------------------------------

module "scheduled_upkeep" {
  source = "../../modules/scheduled_upkeep"

  name                   = "${var.name_prefix}-upkeep"
  account_id             = data.aws_caller_identity.current.account_id
  partition              = data.aws_partition.current.partition
  application_id         = module.emr_serverless_stream.application_id
  application_arn        = module.emr_serverless_stream.application_arn
  job_role_arn           = module.iam_access.role_arns["writer"]
  upkeep_entry_point_uri = "${module.artifacts_bucket.s3_uri}/${var.upkeep_entry_point_key}"
  python_archive_uri     = "${module.artifacts_bucket.s3_uri}/${var.python_archive_key}"
  spark_jars             = local.job_jar_uris
  log_uri                = "${module.artifacts_bucket.s3_uri}/emr-serverless-logs/"
  job_environment = merge(local.job_environment, {
    # reconcile reads the source: host and the secret's id only; the password stays in Secrets Manager.
    CDCLAKE_SOURCE__FLAVOR             = "mysql"
    CDCLAKE_SOURCE__HOST               = var.source_host
    CDCLAKE_SOURCE__PASSWORD_SECRET_ID = var.source_secret_arn
    CDCLAKE_SOURCE__SSL_MODE           = "required"
    # `capture gap` reads the connector's committed offset from here (MSK Connect has no REST API).
    CDCLAKE_CONNECT__OFFSETS_TOPIC = local.connect_offsets_topic
  })
}

# -- DMS capture (optional: instead of Debezium for a source) --------------------------------------

module "dms_capture" {
  source = "../../modules/dms_capture"
  count  = var.dms_render_dir == null ? 0 : 1

  name                    = "${var.name_prefix}-${var.source_name}-dms"
  task_settings_path      = "${local.dms_dir}/task-settings.json"
  table_mappings_path     = "${local.dms_dir}/table-mappings.json"
  kafka_settings_path     = "${local.dms_dir}/kafka-settings.json"
  source_secret_arn       = var.source_secret_arn
  secrets_access_role_arn = var.dms_secrets_access_role_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.connect_security_group_ids
  kms_key_arn             = module.lake_bucket.kms_key_arn
}

locals {
  dms_dir = var.dms_render_dir == null ? "" : (startswith(var.dms_render_dir, "/") ? var.dms_render_dir : "${path.module}/${var.dms_render_dir}")
}

# -- alarms (docs/observe.md) ----------------------------------------------------------------------

module "observe_alarms" {
  source = "../../modules/observe_alarms"

  name           = var.name_prefix
  namespace      = var.metrics_namespace
  tables         = var.observe_tables
  connector_name = module.msk_connect_debezium.connector_name
  kms_key_arn    = module.lake_bucket.kms_key_arn
  alarm_emails   = var.alarm_emails
}
