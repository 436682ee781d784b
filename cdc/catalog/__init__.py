"""The AWS Glue Data Catalog: table definitions Athena reads, one database per domain."""
