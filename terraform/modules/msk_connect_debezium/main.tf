# Debezium MySQL source connector on MSK Connect, reading Aurora MySQL's binlog into MSK.
#
# The connector configuration is not written here: it is the JSON that
# `cdclake capture render --target msk --secret-arn <ARN>` prints, generated from the table
# contracts (the same config the local Kafka Connect worker gets, except for the secret
# reference). The password never appears in it: the worker's secretsmanager config provider
# resolves $${secretsmanager:<secret>:password} at runtime.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  plugin_bucket_name = element(split(":::", var.plugin_bucket_arn), 1)

  # Kafka's config-reference parser splits $${provider:path:key} at the first ':', so a raw ARN
  # (full of ':') cannot be the path. The MSK config provider URL-decodes the path, so the ARN
  # is URL-encoded here. Values without the reference are left as they are.
  # "$" and "{" joined rather than an escaped "$${": scanners' HCL parsers (checkov) reject the escape.
  secret_ref_open    = join("", ["$", "{secretsmanager:"])
  secret_ref_raw     = "${local.secret_ref_open}${var.source_secret_arn}:"
  secret_ref_encoded = "${local.secret_ref_open}${urlencode(var.source_secret_arn)}:"

  iam_client_security = {
    "security.protocol"                  = "SASL_SSL"
    "sasl.mechanism"                     = "AWS_MSK_IAM"
    "sasl.jaas.config"                   = "software.amazon.msk.auth.iam.IAMLoginModule required;"
    "sasl.client.callback.handler.class" = "software.amazon.msk.auth.iam.IAMClientCallbackHandler"
  }
  client_security = (
    var.authentication_type == "IAM" ? local.iam_client_security :
    var.encryption_in_transit == "TLS" ? { "security.protocol" = "SSL" } : {}
  )
  schema_history_client_security = var.add_schema_history_client_security ? merge([
    for client in ["producer", "consumer"] : {
      for k, v in local.client_security : "schema.history.internal.${client}.${k}" => v
    }
  ]...) : {}

  connector_configuration = merge(
    { for k, v in var.connector_configuration : k => replace(v, local.secret_ref_raw, local.secret_ref_encoded) },
    { "schema.history.internal.kafka.bootstrap.servers" = var.bootstrap_servers },
    local.schema_history_client_security,
    var.connector_configuration_overrides,
  )

  worker_properties = join("\n", compact([
    "key.converter=org.apache.kafka.connect.json.JsonConverter",
    "value.converter=org.apache.kafka.connect.json.JsonConverter",
    "config.providers=secretsmanager",
    "config.providers.secretsmanager.class=com.amazonaws.kafka.config.providers.SecretsManagerConfigProvider",
    "config.providers.secretsmanager.param.region=${data.aws_region.current.name}",
    var.offset_storage_topic == null ? "" : "offset.storage.topic=${var.offset_storage_topic}",
  ]))

  plugin_object_version = var.plugin_source_path != null ? aws_s3_object.plugin[0].version_id : var.plugin_object_version

  # Only this source's topics and groups: its change and transaction topics (<prefix>.*), its
  # schema history and heartbeat topics, and MSK Connect's own internal topics and groups.
  topic_prefix = lookup(var.connector_configuration, "topic.prefix", var.name)
  topic_arn    = replace(var.msk_cluster_arn, ":cluster/", ":topic/")
  group_arn    = replace(var.msk_cluster_arn, ":cluster/", ":group/")
  topic_arns = distinct(compact([
    "${local.topic_arn}/${local.topic_prefix}.*",
    "${local.topic_arn}/__debezium-heartbeat.${local.topic_prefix}",
    "${local.topic_arn}/__amazon_msk_connect_*",
    "${local.topic_arn}/${lookup(var.connector_configuration, "schema.history.internal.kafka.topic", "_schema-history.${local.topic_prefix}")}",
    var.offset_storage_topic == null ? "" : "${local.topic_arn}/${var.offset_storage_topic}",
  ]))
  group_arns = [
    "${local.group_arn}/__amazon_msk_connect_*",
    "${local.group_arn}/${local.topic_prefix}*",
    "${local.group_arn}/${var.name}*",
  ]
}

# -- plugin -----------------------------------------------------------------------------------

resource "aws_s3_object" "plugin" {
  count = var.plugin_source_path != null ? 1 : 0

  bucket       = local.plugin_bucket_name
  key          = var.plugin_object_key
  source       = var.plugin_source_path
  source_hash  = filemd5(var.plugin_source_path)
  content_type = "application/zip"
  tags         = var.tags
}

# Custom plugins are immutable: a new ZIP (new object version) makes a new plugin.
resource "aws_mskconnect_custom_plugin" "this" {
  name         = "${var.name}-debezium-mysql-${substr(sha1("${var.plugin_object_key}@${coalesce(local.plugin_object_version, "latest")}"), 0, 8)}"
  description  = "Debezium MySQL connector + MSK config providers (s3://${local.plugin_bucket_name}/${var.plugin_object_key})"
  content_type = "ZIP"

  location {
    s3 {
      bucket_arn     = var.plugin_bucket_arn
      file_key       = var.plugin_object_key
      object_version = local.plugin_object_version
    }
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# -- worker configuration -----------------------------------------------------------------------

# Also immutable: the name carries a hash of the content so a change creates a new one.
resource "aws_mskconnect_worker_configuration" "this" {
  name                    = "${var.name}-${substr(sha1(local.worker_properties), 0, 8)}"
  description             = "JSON converters and the Secrets Manager config provider"
  properties_file_content = local.worker_properties
  tags                    = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# -- service execution role --------------------------------------------------------------------

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["kafkaconnect.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "connector" {
  name               = "${var.name}-msk-connect"
  description        = "Service execution role of MSK Connect connector ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "connector" {
  statement {
    sid       = "ReadSourcePassword"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.source_secret_arn]
  }

  dynamic "statement" {
    for_each = var.source_secret_kms_key_arn == null ? [] : [var.source_secret_kms_key_arn]
    content {
      sid       = "DecryptSourcePassword"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.authentication_type == "IAM" ? [1] : []
    content {
      sid       = "MskCluster"
      actions   = ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster", "kafka-cluster:WriteDataIdempotently"]
      resources = [var.msk_cluster_arn]
    }
  }

  dynamic "statement" {
    for_each = var.authentication_type == "IAM" ? [1] : []
    content {
      sid = "MskTopics"
      actions = [
        "kafka-cluster:CreateTopic",
        "kafka-cluster:DescribeTopic",
        "kafka-cluster:DescribeTopicDynamicConfiguration",
        "kafka-cluster:ReadData",
        "kafka-cluster:WriteData",
      ]
      resources = local.topic_arns
    }
  }

  dynamic "statement" {
    for_each = var.authentication_type == "IAM" ? [1] : []
    content {
      sid       = "MskGroups"
      actions   = ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"]
      resources = local.group_arns
    }
  }
}

resource "aws_iam_role_policy" "connector" {
  name   = "msk-connect"
  role   = aws_iam_role.connector.id
  policy = data.aws_iam_policy_document.connector.json
}

# -- logs ----------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:worker logs carry connector state and binlog positions, not row values; CloudWatch encrypts them at rest with its own key, and the lake key's policy does not admit the logs service
  #checkov:skip=CKV_AWS_338:operational logs, kept log_retention_in_days; the audit trail of data access is the lake's S3 server access logs
  name              = "/aws/mskconnect/${var.name}"
  retention_in_days = var.log_retention_in_days
  tags              = var.tags
}

# -- connector -----------------------------------------------------------------------------------

resource "aws_mskconnect_connector" "this" {
  name                       = var.name
  description                = "Debezium MySQL CDC (cdclake)"
  kafkaconnect_version       = var.kafkaconnect_version
  service_execution_role_arn = aws_iam_role.connector.arn
  connector_configuration    = local.connector_configuration

  capacity {
    provisioned_capacity {
      mcu_count    = var.mcu_count
      worker_count = var.worker_count
    }
  }

  kafka_cluster {
    apache_kafka_cluster {
      bootstrap_servers = var.bootstrap_servers

      vpc {
        subnets         = var.subnet_ids
        security_groups = var.security_group_ids
      }
    }
  }

  kafka_cluster_client_authentication {
    authentication_type = var.authentication_type
  }

  kafka_cluster_encryption_in_transit {
    encryption_type = var.encryption_in_transit
  }

  plugin {
    custom_plugin {
      arn      = aws_mskconnect_custom_plugin.this.arn
      revision = aws_mskconnect_custom_plugin.this.latest_revision
    }
  }

  worker_configuration {
    arn      = aws_mskconnect_worker_configuration.this.arn
    revision = aws_mskconnect_worker_configuration.this.latest_revision
  }

  log_delivery {
    worker_log_delivery {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.this.name
      }
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = lookup(var.connector_configuration, "connector.class", "") == "io.debezium.connector.mysql.MySqlConnector"
      error_message = "The plugin is Debezium's MySQL connector: render the config with CDCLAKE_SOURCE__FLAVOR=mysql (Aurora MySQL)."
    }
    precondition {
      condition     = startswith(lookup(var.connector_configuration, "database.password", ""), local.secret_ref_open)
      error_message = "database.password must be a secretsmanager config-provider reference: render with `cdclake capture render --target msk --secret-arn <ARN>`."
    }
  }

  depends_on = [aws_iam_role_policy.connector]
}
