"""Access to the lake by domain: generated IAM policies, Athena workgroups, local enforcement on MinIO, PII keys.

One source of truth: the table contracts (each table's ``domain``, each column's ``pii``) plus
``Settings.access``. Everything else (IAM JSON for Terraform, Athena workgroups, MinIO users and
policies, the e2e tests' expectations) is derived from them.
"""
