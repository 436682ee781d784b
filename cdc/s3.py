"""boto3 clients for the lake's object store (AWS S3, or the local S3-compatible server)."""

from __future__ import annotations

import boto3
from botocore.config import Config

from cdc.settings import Settings


def s3_client(settings: Settings):
    endpoint = settings.s3_endpoint()
    kwargs = {}
    if endpoint:
        access, secret = settings.s3_credentials()
        kwargs = {"endpoint_url": endpoint, "aws_access_key_id": access, "aws_secret_access_key": secret}
    return boto3.client(
        "s3", region_name=settings.lake.s3_region, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}), **kwargs
    )


def ensure_bucket(settings: Settings, bucket: str) -> None:
    client = s3_client(settings)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        client.create_bucket(Bucket=bucket)
