# One Glue database per access domain. Grants are then per database (and its tables), so a
# domain's tables can be opened to one group without listing tables one by one.

resource "aws_glue_catalog_database" "this" {
  for_each = var.domains

  name         = "${var.database_name_prefix}${each.key}"
  catalog_id   = var.catalog_id
  description  = lookup(var.descriptions, each.key, "cdclake tables of access domain ${each.key}")
  location_uri = "${trimsuffix(var.lake_root_uri, "/")}/${each.key}/"

  parameters = {
    "cdclake.domain" = each.key
  }

  tags = var.tags
}

# The Data Catalog (table definitions, connection passwords) encrypted with the lake key. One
# setting per account and region: this module owns it.
resource "aws_glue_data_catalog_encryption_settings" "this" {
  count = var.encrypt_catalog ? 1 : 0

  catalog_id = var.catalog_id

  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = var.encryption_kms_key_arn
    }

    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = var.encryption_kms_key_arn
    }
  }
}

# Deny-by-default on each domain's databases and tables (generated: resource/glue.json).
resource "aws_glue_resource_policy" "this" {
  count = var.resource_policy_json == null ? 0 : 1

  policy        = var.resource_policy_json
  enable_hybrid = "TRUE"
}

# Optional Lake Formation grants generated from the contracts' domains (lakeformation/grants.json).
# Off by default (empty list): IAM plus the deny policies decide. Turn on only with Lake Formation
# managing the catalog; then these grants, not IAM alone, open a database.
locals {
  lf_grants = { for g in var.lake_formation_grants : "${g.principal} ${g.database}" => g }
}

resource "aws_lakeformation_permissions" "database" {
  for_each = local.lf_grants

  principal   = each.value.principal
  permissions = each.value.database_permissions

  database {
    name       = each.value.database
    catalog_id = var.catalog_id
  }

  depends_on = [aws_glue_catalog_database.this]
}

resource "aws_lakeformation_permissions" "tables" {
  for_each = local.lf_grants

  principal   = each.value.principal
  permissions = each.value.table_permissions

  table {
    database_name = each.value.database
    catalog_id    = var.catalog_id
    wildcard      = true
  }

  depends_on = [aws_glue_catalog_database.this]
}
