"""Secrets from AWS Secrets Manager, for the settings that name a secret instead of holding a value."""

from __future__ import annotations

import json

from cdc.errors import ConfigError


def secret_json(secret_id: str, region: str | None, setting: str, fields: tuple[str, ...] = ("password",)) -> dict:
    """A Secrets Manager secret holding a JSON object with ``fields``; errors name the setting."""
    import boto3

    try:
        raw = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_id)["SecretString"]
    except Exception as e:
        raise ConfigError(
            f"cannot read Secrets Manager secret {secret_id} ({setting}): {type(e).__name__}: {e}",
            next_step="check the secret id and region, and that the role may secretsmanager:GetSecretValue (and kms:Decrypt) on it",
        ) from e
    try:
        doc = json.loads(raw)
        return {f: doc[f] for f in fields}
    except (KeyError, ValueError, TypeError) as e:
        raise ConfigError(
            f"Secrets Manager secret {secret_id} ({setting}) is not a JSON object with {', '.join(fields)}",
            next_step="store it as " + json.dumps({f: "..." for f in fields}),
        ) from e
