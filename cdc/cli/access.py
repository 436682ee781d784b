"""`cdclake access`: generated IAM policies and Athena workgroups; the same policies on the local S3 server."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from cdc.access import athena, audit, guard, minio, policies
from cdc.cli.common import log
from cdc.settings import get_settings
from lakehouse_schemas import load_contracts


@click.group("access")
def access() -> None:
    """Who may read which domain: IAM policy documents, Athena workgroups, local MinIO users."""


def _contracts():
    return load_contracts(get_settings().source.name)


@access.command("render")
@click.option("--out", type=click.Path(path_type=Path), default=Path("build/access"), show_default=True)
def render(out: Path) -> None:
    """Write iam/<principal>.json, resource/{bucket,kms,glue}.json (what Terraform attaches) and athena/<workgroup>.json."""

    settings, contracts = get_settings(), _contracts()
    docs = policies.generate(settings, contracts)
    for path in policies.write_documents(docs, out):
        click.echo(str(path))
    for path in guard.write_documents(guard.generate(settings, contracts), out):
        click.echo(str(path))
    lf = out / "lakeformation" / "grants.json"
    lf.parent.mkdir(parents=True, exist_ok=True)
    lf.write_text(policies.dumps(guard.lake_formation_grants(settings, contracts)))
    click.echo(str(lf))
    (out / "athena").mkdir(parents=True, exist_ok=True)
    for wg in athena.workgroups(settings, contracts):
        path = out / "athena" / f"{wg.name}.json"
        path.write_text(json.dumps(wg.create_request(), indent=2, sort_keys=True) + "\n")
        click.echo(str(path))
    loc = policies.lake_location(settings)
    log(f"account {settings.access.account_id}, region {settings.access.region}, lake s3://{loc.bucket}/{loc.prefix}")


@access.command("audit")
def audit_cmd() -> None:
    """Who can read each domain's prefix, listing, key and Glue databases, from the rendered policies."""
    click.echo(audit.table(audit.who(get_settings(), _contracts())))


@access.command("apply")
def apply_cmd() -> None:
    """Create or update the Athena workgroups with boto3 (IAM roles and policies are Terraform's: see docs/access.md)."""
    athena.apply(get_settings(), _contracts(), log=log)


@access.command("local-users")
def local_users() -> None:
    """Create the writer/analysts/finance users on the local S3 server: generated S3 statements plus the bucket policy's denials."""
    settings = get_settings()
    path = settings.stack.state_dir / "access-users.json"
    # Keep the secrets of an earlier run: only the policies are brought up to date.
    known = {p: v["secret_key"] for p, v in json.loads(path.read_text()).items()} if path.exists() else {}
    users = minio.ensure_users(settings, minio.local_documents(settings, _contracts()), secrets_by_principal=known)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({p: {"access_key": u.access_key, "secret_key": u.secret_key.get_secret_value()} for p, u in users.items()}, fh, indent=2)
    for p, u in users.items():
        click.echo(f"{p:10} user {u.access_key} policy {u.policy_name}")
    log(f"credentials in {path} (mode 0600)")
