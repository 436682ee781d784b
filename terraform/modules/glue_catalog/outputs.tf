output "database_names" {
  description = "Glue database name per domain."
  value       = { for d, db in aws_glue_catalog_database.this : d => db.name }
}

output "database_arns" {
  description = "Glue database ARN per domain."
  value       = { for d, db in aws_glue_catalog_database.this : d => db.arn }
}

output "table_arn_patterns" {
  description = "Glue ARN pattern of every table of a domain's database (arn:...:table/<db>/*), for IAM policy documents."
  value       = { for d, db in aws_glue_catalog_database.this : d => "${replace(db.arn, ":database/", ":table/")}/*" }
}

output "location_uris" {
  description = "S3 location of each domain's database."
  value       = { for d, db in aws_glue_catalog_database.this : d => db.location_uri }
}

output "lake_formation_grants" {
  description = "Lake Formation grants made, \"<principal> <database>\" => table permissions (empty unless grants are given)."
  value       = { for k, g in local.lf_grants : k => g.table_permissions }
}
