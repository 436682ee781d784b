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
