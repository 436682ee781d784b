"""The settings of terraform/envs/dev/terraform.tfvars.example (docs/access.md, docs/aws-runbook.md).

Terraform's offline tests attach documents rendered with exactly these values; the unit tests that
render and compare them share this one definition.
"""

from __future__ import annotations

from cdc.settings import AccessSettings, ConnectSettings, LakeSettings, MetricsSettings, Settings

ACCOUNT = "111122223333"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/cdclake-break-glass"
# terraform/envs/dev: "${name_prefix}-${source_name}-connect-offsets"
CONNECT_OFFSETS_TOPIC = "cdclake-dev-chinook-connect-offsets"


def tf_dev_settings() -> Settings:
    return Settings(
        lake=LakeSettings(root="s3a://example-cdclake-dev-lake/warehouse", checkpoint_root="s3a://example-cdclake-dev-lake/_checkpoints"),
        connect=ConnectSettings(offsets_topic=CONNECT_OFFSETS_TOPIC),
        # terraform/envs/dev: var.metrics_namespace
        metrics=MetricsSettings(cloudwatch_namespace="cdclake"),
        access=AccessSettings(
            account_id=ACCOUNT,
            region="eu-west-1",
            kms_key_arn=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000",
            msk_cluster_arn=f"arn:aws:kafka:eu-west-1:{ACCOUNT}:cluster/cdclake-dev/00000000-0000-0000-0000-000000000000-1",
            workgroup_prefix="cdclake-dev-",
            results_bucket="example-cdclake-dev-athena-results",
            results_prefix="",
            role_prefix="cdclake-dev-",
            break_glass_role_arn=BREAK_GLASS,
            key_user_arns=(f"arn:aws:iam::{ACCOUNT}:role/cdclake-dev-chinook-msk-connect",),
        ),
    )
