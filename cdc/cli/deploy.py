"""`cdclake deploy bundle|upload|start|status|stop`: the streaming job on EMR Serverless."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cdc.cli.common import log as _log

DEFAULT_DIR = Path("dist/bundle")


@click.group("deploy")
def deploy() -> None:
    """Build the job bundle, upload it, and start/stop the job on EMR Serverless."""


@deploy.command("bundle")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DIR, show_default=True)
def bundle_cmd(out: Path) -> None:
    """Python archive (this package + dependencies, no pyspark), the pinned jars and the entry point."""
    from cdc.deploy.bundle import build
    from cdc.settings import get_settings

    click.echo(json.dumps(build(get_settings(), out, log=_log), indent=2))


@deploy.command("upload")
@click.argument("artifacts_uri")
@click.option("--bundle", "bundle_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DIR, show_default=True)
@click.option("--region", default=None)
def upload_cmd(artifacts_uri: str, bundle_dir: Path, region: str | None) -> None:
    """Upload the bundle to ARTIFACTS_URI (s3://<artifacts bucket>/jobs)."""
    from cdc.deploy.emr import upload

    for uri in upload(bundle_dir, artifacts_uri, region=region, log=_log):
        click.echo(uri)


@deploy.command("start")
@click.option("--application-id", required=True)
@click.option("--role-arn", required=True, help="the writer role (job runtime role)")
@click.option("--artifacts", "artifacts_uri", required=True, help="where `deploy upload` put the bundle")
@click.option("--bundle", "bundle_dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_DIR, show_default=True)
@click.option("--env", "env", multiple=True, help="CDCLAKE_*=value for the job (repeatable)")
@click.option("--batch", is_flag=True, help="one available-now run (BATCH mode) instead of the STREAMING job")
@click.option("--log-uri", default=None)
@click.option("--region", default=None)
def start_cmd(application_id, role_arn, artifacts_uri, bundle_dir, env, batch, log_uri, region) -> None:
    """Start the streaming job (or one --batch run) with the bundle's jars and archive."""
    from cdc.deploy.bundle import MANIFEST
    from cdc.deploy.emr import start
    from cdc.errors import ConfigError

    environment = {}
    for item in env:
        k, sep, v = item.partition("=")
        if not sep or not k.startswith("CDCLAKE_"):
            raise ConfigError(f"--env {item!r} is not CDCLAKE_NAME=value", next_step="pass settings as --env CDCLAKE_LAKE__ROOT=s3://...")
        environment[k] = v
    jars = json.loads((bundle_dir / MANIFEST).read_text())["jars"]
    args = ["--trigger", "available-now"] if batch else ["--trigger", "continuous", "--interval", "60 seconds"]
    click.echo(start(application_id, role_arn, artifacts_uri, jars, environment=environment, arguments=args,
                     streaming=not batch, log_uri=log_uri, region=region, log=_log))


@deploy.command("status")
@click.option("--application-id", required=True)
@click.option("--run-id", default=None)
@click.option("--region", default=None)
def status_cmd(application_id: str, run_id: str | None, region: str | None) -> None:
    """State of one job run, or of the application's runs."""
    from cdc.deploy.emr import status

    for r in status(application_id, run_id, region=region):
        click.echo(f"{r['id']}\t{r['state']}\t{r['name']}")


@deploy.command("stop")
@click.option("--application-id", required=True)
@click.option("--run-id", required=True)
@click.option("--region", default=None)
def stop_cmd(application_id: str, run_id: str, region: str | None) -> None:
    """Cancel a job run (the checkpoint keeps its position: `start` resumes there)."""
    from cdc.deploy.emr import stop

    click.echo(stop(application_id, run_id, region=region, log=_log))


commands: list[click.Command] = [deploy]
