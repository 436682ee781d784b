"""Random secrets for the local stack, generated once into the state folder (mode 0600)."""

from __future__ import annotations

import json
import os
import secrets

from cdc.devstack.base import private_dir
from cdc.settings import Settings

# pii_key: the local keyed-hash key for PII columns (production: CDCLAKE_PII__KEY or CDCLAKE_PII__SECRET_ID).
KEYS = ("source_password", "source_admin_password", "s3_access_key", "s3_secret_key", "pii_key", "kafka_scram_password")


def ensure_credentials(settings: Settings) -> dict[str, str]:
    path = settings.stack.state_dir / "credentials.json"
    private_dir(path.parent)
    creds = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for key in KEYS:
        if key not in creds:
            creds[key] = ("cdclake" if key == "s3_access_key" else "") + secrets.token_hex(16)
            changed = True
    if changed:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(creds, fh, indent=2)
    return creds
