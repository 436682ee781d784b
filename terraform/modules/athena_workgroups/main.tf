# Athena workgroups whose settings users cannot override (enforce_workgroup_configuration):
# each writes its results, SSE_KMS encrypted, under its own prefix of the results bucket,
# and cancels any query that scans more than its cutoff.

data "aws_partition" "current" {}

locals {
  names = { for k, _ in var.workgroups : k => "${var.name_prefix}${k}" }
}

resource "aws_athena_workgroup" "this" {
  for_each = var.workgroups

  name          = local.names[each.key]
  description   = each.value.description
  state         = "ENABLED"
  force_destroy = var.force_destroy

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = var.publish_cloudwatch_metrics_enabled
    bytes_scanned_cutoff_per_query     = coalesce(each.value.bytes_scanned_cutoff_per_query, var.bytes_scanned_cutoff_per_query)

    engine_version {
      selected_engine_version = var.engine_version
    }

    result_configuration {
      output_location       = "s3://${var.results_bucket_name}/${local.names[each.key]}/"
      expected_bucket_owner = var.expected_bucket_owner

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = each.value.bytes_scanned_cutoff_per_query == null ? true : each.value.bytes_scanned_cutoff_per_query >= 10485760
      error_message = "bytes_scanned_cutoff_per_query of workgroup ${each.key} must be at least 10485760 (10 MB)."
    }
  }
}
