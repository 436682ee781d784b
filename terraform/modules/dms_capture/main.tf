# AWS DMS capture (the alternative to Debezium): Aurora MySQL -> DMS -> MSK, JSON the stream decodes
# with spark_jobs/decode_dms.py. Task settings, table mappings and the Kafka endpoint settings are
# the files `cdclake dms render --out DIR` writes from the contracts (never hand-edited here).

locals {
  task_settings  = jsonencode(jsondecode(file(var.task_settings_path)))
  table_mappings = jsonencode(jsondecode(file(var.table_mappings_path)))
  kafka          = jsondecode(file(var.kafka_settings_path))
}

resource "aws_dms_replication_subnet_group" "this" {
  replication_subnet_group_id          = var.name
  replication_subnet_group_description = "cdclake DMS capture ${var.name}"
  subnet_ids                           = var.subnet_ids
  tags                                 = var.tags
}

resource "aws_dms_replication_instance" "this" {
  replication_instance_id     = var.name
  replication_instance_class  = var.instance_class
  allocated_storage           = var.allocated_storage_gb
  engine_version              = var.engine_version
  multi_az                    = var.multi_az
  publicly_accessible         = false
  replication_subnet_group_id = aws_dms_replication_subnet_group.this.id
  vpc_security_group_ids      = var.security_group_ids
  kms_key_arn                 = var.kms_key_arn
  auto_minor_version_upgrade  = true
  tags                        = var.tags
}

resource "aws_dms_endpoint" "source" {
  endpoint_id                     = "${var.name}-source"
  endpoint_type                   = "source"
  engine_name                     = var.source_engine
  secrets_manager_arn             = var.source_secret_arn
  secrets_manager_access_role_arn = var.secrets_access_role_arn
  ssl_mode                        = "require"
  kms_key_arn                     = var.kms_key_arn
  tags                            = var.tags
}

resource "aws_dms_endpoint" "kafka" {
  endpoint_id   = "${var.name}-kafka"
  endpoint_type = "target"
  engine_name   = "kafka"
  # The endpoint holds the SCRAM password: encrypted with the customer-managed key.
  kms_key_arn = var.kms_key_arn

  kafka_settings {
    broker                         = local.kafka.Broker
    topic                          = local.kafka.Topic
    message_format                 = local.kafka.MessageFormat
    include_transaction_details    = local.kafka.IncludeTransactionDetails
    include_partition_value        = local.kafka.IncludePartitionValue
    partition_include_schema_table = local.kafka.PartitionIncludeSchemaTable
    include_table_alter_operations = local.kafka.IncludeTableAlterOperations
    include_control_details        = local.kafka.IncludeControlDetails
    include_null_and_empty         = local.kafka.IncludeNullAndEmpty
    no_hex_prefix                  = local.kafka.NoHexPrefix
    message_max_bytes              = local.kafka.MessageMaxBytes
    security_protocol              = lookup(local.kafka, "SecurityProtocol", null)
    sasl_username                  = lookup(local.kafka, "SaslUsername", null)
    # The SCRAM password is read at apply time from Secrets Manager, never from a file of this repo.
    sasl_password = var.kafka_sasl_password
  }

  tags = var.tags
}

resource "aws_dms_replication_task" "this" {
  replication_task_id       = var.name
  migration_type            = var.migration_type
  replication_instance_arn  = aws_dms_replication_instance.this.replication_instance_arn
  source_endpoint_arn       = aws_dms_endpoint.source.endpoint_arn
  target_endpoint_arn       = aws_dms_endpoint.kafka.endpoint_arn
  replication_task_settings = local.task_settings
  table_mappings            = local.table_mappings
  # Started by the operator (`aws dms start-replication-task`) once the stream job runs: see docs/aws-runbook.md.
  start_replication_task = false
  tags                   = var.tags
}
