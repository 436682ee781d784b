variable "name" {
  description = "Name of the connector (also the prefix of the plugin, worker configuration, role and log group)."
  type        = string
}

variable "connector_configuration" {
  description = <<-EOT
    The connector configuration: the JSON object that
    `cdclake capture render --target msk --secret-arn <ARN>` prints, decoded (all values strings).
    Render it with CDCLAKE_SOURCE__FLAVOR=mysql and CDCLAKE_SOURCE__HOST/PORT pointing at the
    Aurora MySQL writer endpoint. schema.history.internal.kafka.bootstrap.servers is replaced by
    bootstrap_servers, and a Secrets Manager ARN inside a $${secretsmanager:...} reference is
    URL-encoded (see main.tf).
  EOT
  type        = map(string)

  validation {
    condition     = contains(keys(var.connector_configuration), "connector.class") && contains(keys(var.connector_configuration), "database.password")
    error_message = "connector_configuration must contain connector.class and database.password (is it the output of `cdclake capture render --target msk`?)."
  }
}

variable "connector_configuration_overrides" {
  description = "Extra or replacement connector properties, merged over connector_configuration (e.g. snapshot.mode)."
  type        = map(string)
  default     = {}
}

variable "source_secret_arn" {
  description = "ARN of the Secrets Manager secret (JSON with a `password` key) that the connector's $${secretsmanager:...} reference reads; the same ARN given to `cdclake capture render --secret-arn`."
  type        = string
}

variable "source_secret_kms_key_arn" {
  description = "KMS key that encrypts the secret, when it is a customer managed key (the role then gets kms:Decrypt on it); null for the AWS managed key."
  type        = string
  default     = null
}

variable "plugin_bucket_arn" {
  description = "ARN of the S3 bucket holding the custom plugin ZIP."
  type        = string
}

variable "plugin_object_key" {
  description = "Key of the custom plugin ZIP: the Debezium MySQL connector plugin (tar.gz from Maven Central, repacked as ZIP) plus the MSK config providers jar that provides the secretsmanager provider."
  type        = string
}

variable "plugin_object_version" {
  description = "S3 version ID of the plugin ZIP (the plugin bucket is versioned); null for the latest at creation time."
  type        = string
  default     = null
}

variable "plugin_source_path" {
  description = "Local path of the plugin ZIP to upload to plugin_bucket_arn/plugin_object_key; null when the object is uploaded outside Terraform."
  type        = string
  default     = null
}

variable "kafkaconnect_version" {
  description = "MSK Connect (Apache Kafka Connect) version. Debezium 3.x needs Java 17 on the workers: check that the chosen MSK Connect runtime provides it."
  type        = string
  default     = "3.7.x"
}

variable "bootstrap_servers" {
  description = "MSK bootstrap broker string for the chosen authentication (IAM: port 9098; TLS: 9094; PLAINTEXT: 9092)."
  type        = string
}

variable "msk_cluster_arn" {
  description = "ARN of the MSK cluster; used to scope the kafka-cluster:* permissions when authentication_type is IAM."
  type        = string
}

variable "authentication_type" {
  description = "Client authentication to the MSK cluster: IAM only (the connector's topic and group grants are IAM policies)."
  type        = string
  default     = "IAM"

  validation {
    condition     = var.authentication_type == "IAM"
    error_message = "authentication_type must be IAM: with NONE any client in the VPC reads the change topics (clear PII) and the topic grants mean nothing."
  }
}

variable "encryption_in_transit" {
  description = "Encryption between the connector and the brokers: TLS only."
  type        = string
  default     = "TLS"

  validation {
    condition     = var.encryption_in_transit == "TLS"
    error_message = "encryption_in_transit must be TLS: PLAINTEXT sends the change events (clear PII) and credentials unencrypted."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the workers (must reach the MSK brokers and the Aurora endpoint)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the workers (allowed by the brokers' and Aurora's security groups)."
  type        = list(string)
}

variable "mcu_count" {
  description = "MSK Connect units per worker (1, 2, 4 or 8)."
  type        = number
  default     = 1

  validation {
    condition     = contains([1, 2, 4, 8], var.mcu_count)
    error_message = "mcu_count must be 1, 2, 4 or 8."
  }
}

variable "worker_count" {
  description = "Provisioned workers. A MySQL binlog reader runs a single task (tasks.max=1), so one worker is enough."
  type        = number
  default     = 1
}

variable "offset_storage_topic" {
  description = "Worker offset storage topic; null for MSK Connect's default. Set it to keep offsets when the connector is re-created."
  type        = string
  default     = null
}

variable "log_retention_in_days" {
  description = "Retention of the connector's CloudWatch log group."
  type        = number
  default     = 30
}

variable "add_schema_history_client_security" {
  description = "Add the client security settings Debezium's schema-history producer and consumer need to reach the brokers (they do not inherit the worker's): SASL_SSL + AWS_MSK_IAM when authentication_type is IAM (needs the aws-msk-iam-auth classes in the plugin ZIP), SSL for TLS without authentication."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}
