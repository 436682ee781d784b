variable "name" {
  description = "Identifier of the replication instance, endpoints and task (e.g. cdclake-dev-shop)."
  type        = string
}

variable "task_settings_path" {
  description = "task-settings.json written by `cdclake dms render --out DIR`."
  type        = string
}

variable "table_mappings_path" {
  description = "table-mappings.json written by `cdclake dms render --out DIR`."
  type        = string
}

variable "kafka_settings_path" {
  description = "kafka-settings.json written by `cdclake dms render --out DIR` (broker, topic, message format)."
  type        = string
}

variable "source_engine" {
  description = "DMS source engine: aurora (Aurora MySQL), mysql or mariadb."
  type        = string
  default     = "aurora"

  validation {
    condition     = contains(["aurora", "mysql", "mariadb"], var.source_engine)
    error_message = "source_engine must be aurora, mysql or mariadb."
  }
}

variable "source_secret_arn" {
  description = "Secrets Manager secret with the source's host, port, username and password (DMS reads it)."
  type        = string
}

variable "secrets_access_role_arn" {
  description = "Role DMS assumes to read source_secret_arn (trusted by dms.<region>.amazonaws.com)."
  type        = string
}

variable "kafka_sasl_password" {
  description = "SCRAM password of the DMS user on MSK (from a Secrets Manager data source in the caller; null for IAM-less TLS)."
  type        = string
  default     = null
  sensitive   = true
}

variable "instance_class" {
  description = "Replication instance class."
  type        = string
  default     = "dms.t3.medium"
}

variable "allocated_storage_gb" {
  description = "Storage of the replication instance (DMS spills cached changes here during full load)."
  type        = number
  default     = 50
}

variable "engine_version" {
  description = "DMS engine version; null for the default."
  type        = string
  default     = null
}

variable "multi_az" {
  description = "Standby replication instance in a second AZ."
  type        = bool
  default     = false
}

variable "migration_type" {
  description = "full-load-and-cdc (initial load, then changes) or cdc."
  type        = string
  default     = "full-load-and-cdc"
}

variable "subnet_ids" {
  description = "Private subnets that reach the source and the MSK brokers."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the replication instance."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key of the replication instance storage; null for the AWS managed key."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every resource."
  type        = map(string)
  default     = {}
}
