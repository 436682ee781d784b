variable "region" {
  description = "AWS region of the whole environment."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of resource names (roles, workgroups, connector, application)."
  type        = string
  default     = "cdclake-dev"
}

variable "tags" {
  description = "Extra tags for every resource (added to project/environment)."
  type        = map(string)
  default     = {}
}

# -- storage -------------------------------------------------------------------------------------

variable "lake_bucket_name" {
  description = "S3 bucket of the lake (globally unique)."
  type        = string
}

variable "lake_prefix" {
  description = "Prefix of the lake root in the bucket: CDCLAKE_LAKE__ROOT = s3://<lake_bucket_name>/<lake_prefix>."
  type        = string
  default     = "warehouse"
}

variable "athena_results_bucket_name" {
  description = "S3 bucket of the Athena query results (globally unique)."
  type        = string
}

variable "athena_results_expiration_days" {
  description = "Days after which Athena query results are deleted."
  type        = number
  default     = 30
}

variable "artifacts_bucket_name" {
  description = "S3 bucket of deployable artifacts: the MSK Connect plugin ZIP, the job's stream.py and Python environment, EMR logs (globally unique)."
  type        = string
}

# -- catalog and query ---------------------------------------------------------------------------

variable "domains" {
  description = "Access domains of the table contracts (their `domain` field); one Glue database each."
  type        = set(string)
  default     = ["finance", "general"]
}

variable "glue_database_prefix" {
  description = "Prefix of the Glue database names (database of domain finance = <prefix>finance)."
  type        = string
  default     = "cdclake_dev_"
}

variable "bytes_scanned_cutoff_per_query" {
  description = "Per-query scan limit (bytes) of the Athena workgroups."
  type        = number
  default     = 10737418240
}

# -- access --------------------------------------------------------------------------------------

variable "policy_document_files" {
  description = <<-EOT
    JSON IAM policy documents per role (writer, analysts, finance): role => { name => file path }.
    The files are produced from the table contracts by the policy generator; relative paths are
    relative to this directory. Empty maps (the default) create the roles with no permissions.
  EOT
  type        = map(map(string))
  default     = {}
}

variable "analysts_principal_arns" {
  description = "IAM roles or users allowed to assume the analysts role, by name: never the account root (that would let every IAM policy in the account decide)."
  type        = list(string)

  validation {
    condition     = length(var.analysts_principal_arns) > 0 && alltrue([for a in var.analysts_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "Name at least one IAM role or user ARN (arn:aws:iam::<account>:role/<name>) allowed to assume the analysts role; the account root is not accepted."
  }
}

variable "finance_principal_arns" {
  description = "IAM roles or users allowed to assume the finance role, by name: never the account root."
  type        = list(string)

  validation {
    condition     = length(var.finance_principal_arns) > 0 && alltrue([for a in var.finance_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", a))])
    error_message = "Name at least one IAM role or user ARN (arn:aws:iam::<account>:role/<name>) allowed to assume the finance role; the account root is not accepted."
  }
}

variable "break_glass_role_arn" {
  description = "The one role, besides each space's own roles, that the deny-by-default bucket, key and catalog policies let in (CDCLAKE_ACCESS__BREAK_GLASS_ROLE_ARN when rendering)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.break_glass_role_arn))
    error_message = "break_glass_role_arn must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "resource_policy_files" {
  description = <<-EOT
    The generated deny-by-default resource policies: { bucket, kms, glue, results-bucket } file
    paths of `cdclake access render`'s resource/*.json (relative paths: relative to this directory).
    results-bucket is the Athena results bucket's (rendered when the results have their own bucket).
  EOT
  type        = map(string)

  validation {
    condition     = length(setsubtract(["bucket", "kms", "glue"], keys(var.resource_policy_files))) == 0
    error_message = "resource_policy_files needs bucket, kms and glue (render them with `cdclake access render`)."
  }
}

variable "lake_formation_grants_file" {
  description = "Optional: `cdclake access render`'s lakeformation/grants.json, for accounts where Lake Formation manages the catalog. Null (the default): no Lake Formation grants."
  type        = string
  default     = null
}

variable "access_log_bucket_name" {
  description = "S3 bucket receiving the server access logs of the lake, results and artifacts buckets (globally unique)."
  type        = string
}

# -- capture (MSK Connect) -----------------------------------------------------------------------

variable "connector_config_path" {
  description = "Path of the JSON printed by `cdclake capture render --target msk --secret-arn <source_secret_arn>` (relative paths: relative to this directory)."
  type        = string
}

variable "source_secret_arn" {
  description = "Secrets Manager secret of the CDC user's password (JSON with a `password` key)."
  type        = string
}

variable "source_secret_kms_key_arn" {
  description = "Customer managed KMS key of the secret; null for the AWS managed key."
  type        = string
  default     = null
}

variable "msk_cluster_arn" {
  description = "ARN of the MSK cluster."
  type        = string
}

variable "msk_bootstrap_servers" {
  description = "MSK bootstrap brokers for IAM authentication (port 9098)."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets for MSK Connect workers and EMR Serverless jobs."
  type        = list(string)
}

variable "connect_security_group_ids" {
  description = "Security groups of the MSK Connect workers (allowed to reach MSK and Aurora)."
  type        = list(string)
}

variable "emr_security_group_ids" {
  description = "Security groups of the EMR Serverless jobs (allowed to reach MSK)."
  type        = list(string)
}

variable "debezium_plugin_object_key" {
  description = "Key, in the artifacts bucket, of the MSK Connect plugin ZIP (Debezium MySQL 3.5.0.Final + MSK config providers)."
  type        = string
  default     = "msk-connect/debezium-connector-mysql-3.5.0.Final-msk.zip"
}

variable "debezium_plugin_zip_path" {
  description = "Local path of that ZIP to upload; null when it is uploaded outside Terraform."
  type        = string
  default     = null
}

variable "kafkaconnect_version" {
  description = "MSK Connect version."
  type        = string
  default     = "3.7.x"
}

# -- streaming job (EMR Serverless) --------------------------------------------------------------

variable "source_name" {
  description = "Logical source name (CDCLAKE_SOURCE__NAME, the topic prefix)."
  type        = string
  default     = "chinook"
}

variable "emr_release_label" {
  description = "EMR release of the streaming application: Spark 3.5 / Scala 2.12 / Java 17, as tested (cdc/versions.py EMR_PROFILE)."
  type        = string
  default     = "emr-7.12.0"
}

variable "job_jars_prefix" {
  description = "Key prefix, in the artifacts bucket, of the job bundle's jars (`cdclake deploy upload` writes them there)."
  type        = string
  default     = "jobs/jars/"
}

variable "job_jars" {
  description = "File names of the job bundle's jars (cdc/versions.py JOB_JARS; tests/unit/test_runtime_pins.py compares), given to the job as spark.jars."
  type        = list(string)
  default = [
    "hudi-spark3.5-bundle_2.12-1.1.1.jar",
    "spark-sql-kafka-0-10_2.12-3.5.7.jar",
    "spark-token-provider-kafka-0-10_2.12-3.5.7.jar",
    "kafka-clients-3.4.1.jar",
    "commons-pool2-2.11.1.jar",
    "aws-msk-iam-auth-2.3.9-all.jar",
  ]
}

variable "emr_image_uri" {
  description = "Custom EMR Serverless image with cdclake installed; null to ship it as a packed virtualenv (python_archive_key)."
  type        = string
  default     = null
}

variable "python_archive_key" {
  description = "Key, in the artifacts bucket, of the job bundle's Python archive (`cdclake deploy bundle`: pip install --target of cdclake and its dependencies, no pyspark), used when emr_image_uri is null."
  type        = string
  default     = "jobs/cdclake-python.tar.gz"
}

variable "stream_entry_point_key" {
  description = "Key, in the artifacts bucket, of spark_jobs/stream.py."
  type        = string
  default     = "jobs/stream.py"
}

variable "upkeep_entry_point_key" {
  description = "Key, in the artifacts bucket, of the job bundle's upkeep.py (the scheduled `cdclake` commands)."
  type        = string
  default     = "jobs/upkeep.py"
}

variable "source_host" {
  description = "Writer endpoint of the Aurora cluster (the scheduled reconcile reads the source there)."
  type        = string
  default     = "aurora-writer.cluster-example.eu-west-1.rds.amazonaws.com"
}

variable "dms_render_dir" {
  description = "Folder of `cdclake dms render --out DIR` (task-settings.json, table-mappings.json, kafka-settings.json); null: no DMS capture."
  type        = string
  default     = null
}

variable "dms_secrets_access_role_arn" {
  description = "Role DMS assumes to read source_secret_arn (needed with dms_render_dir)."
  type        = string
  default     = null
}

# -- alarms --------------------------------------------------------------------------------------

variable "metrics_namespace" {
  description = "CloudWatch namespace of the job's metrics (CDCLAKE_METRICS__CLOUDWATCH_NAMESPACE of the job run)."
  type        = string
  default     = "cdclake"
}

variable "observe_tables" {
  description = "Tables and freshness limits of the alarms: observe.auto.tfvars.json, written by `cdclake observe render`."
  type = list(object({
    table             = string
    freshness_alert_s = number
  }))
  default = []
}

variable "alarm_emails" {
  description = "Addresses the alarm topic mails."
  type        = list(string)
  default     = []
}
