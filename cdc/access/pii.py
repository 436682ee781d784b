"""PII protection rules, the key, and the Python side of the protection (reconciliation uses it).

Per column (``Column.pii`` in the contract):
- ``hash``: HMAC-SHA256 with a secret key, lowercase hex. Deterministic, so equal values stay equal
  and joins on the column still work (``Invoice.BillingAddress = Customer.Address``); without the
  key nobody can confirm a guessed value, unlike a plain hash of an email or phone number.
- ``mask``: the first character and ``***`` (the length is hidden too).
- ``drop``: the column never reaches the lake.

The key comes from ``CDCLAKE_PII__KEY`` or from the Secrets Manager secret ``CDCLAKE_PII__SECRET_ID``
(its SecretString); the local stack generates one into its ``credentials.json`` (mode 0600, outside
the repository). Never from a file in the repository. The Spark side (``spark_jobs/pii.py``) builds
the same HMAC from native functions; a unit test proves both produce identical values.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cdc.errors import ConfigError, ContractError
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract

BLOCK = 64  # SHA-256 block size: the HMAC key is padded (or first hashed) to this many bytes
IPAD, OPAD = 0x36, 0x5C
MASK_SUFFIX = "***"
TEXT_TYPES = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext"}


def check_contract(contract: TableContract) -> None:
    """PII rules apply to text columns that are not part of the record key (the key must stay exact)."""
    for c in contract.columns:
        if c.pii is None:
            continue
        where = f"{contract.qualified_source}.{c.name}"
        if c.name in contract.key or c.name in contract.partition_by:
            raise ContractError(
                f"{where}: a key or partition column cannot be pii: {c.pii}",
                next_step="use a surrogate key, or protect the column upstream",
                table=contract.qualified_source,
            )
        if c.pii in ("hash", "mask") and c.mysql_type.base not in TEXT_TYPES:
            raise ContractError(
                f"{where}: pii: {c.pii} applies to text columns only (type {c.type})",
                next_step="use pii: drop for non-text columns",
                table=contract.qualified_source,
            )


def lake_view(contract: TableContract) -> TableContract:
    """The contract as the lake sees it: dropped PII columns removed, geometry SRID columns added."""
    columns = contract.lake_columns
    if columns == contract.columns and not any(c.pii == "drop" for c in columns):
        return contract
    dropped = {c.name for c in columns if c.pii == "drop"}
    kept = tuple(c for c in columns if c.name not in dropped and c.srid_of not in dropped)
    # Not re-validated: an SRID column reads its geometry column's source field (the same wire name).
    return contract.model_copy(update={"columns": kept})


def has_pii(contract: TableContract) -> bool:
    return any(c.pii for c in contract.columns)


def normalised_key(key: bytes) -> bytes:
    """HMAC's K': keys longer than the block are hashed first, then zero-padded to the block size."""
    if len(key) > BLOCK:
        key = hashlib.sha256(key).digest()
    return key.ljust(BLOCK, b"\x00")


def pads(key: bytes) -> tuple[bytes, bytes]:
    k = normalised_key(key)
    return bytes(b ^ IPAD for b in k), bytes(b ^ OPAD for b in k)


def keyed_hash(key: bytes, value: str | None) -> str | None:
    if value is None:
        return None
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def mask(value: str | None) -> str | None:
    if value is None:
        return None
    return value[:1] + MASK_SUFFIX


def protect_value(rule: str | None, value: Any, key: bytes | None) -> Any:
    if rule is None:
        return value
    if rule == "hash":
        if key is None:
            raise ConfigError("a PII key is needed to hash", next_step="export CDCLAKE_PII__KEY or CDCLAKE_PII__SECRET_ID")
        return keyed_hash(key, value)
    if rule == "mask":
        return mask(value)
    raise ValueError(f"rule {rule!r} keeps no value")


def protect_rows(view: TableContract, rows, key: bytes | None) -> list[tuple]:
    """Rows with ``view``'s columns (``lake_view``) -> the values the lake holds for them."""
    rules = [c.pii for c in view.columns]
    if not any(rules):
        return [tuple(r) for r in rows]
    return [tuple(protect_value(rule, v, key) for rule, v in zip(rules, r, strict=True)) for r in rows]


def pii_key(settings: Settings) -> bytes:
    """The keyed-hash key: env, else Secrets Manager, else the local stack's generated secret."""
    if settings.pii.key is not None:
        return settings.pii.key.get_secret_value().encode("utf-8")
    if settings.pii.secret_id:
        return _secret_key(settings.pii.secret_id, settings.pii.secret_region or settings.access.region)
    local = settings.local_credentials().get("pii_key")
    if local:
        return local.encode("utf-8")
    raise ConfigError(
        "no PII key: contracts mark PII columns to hash, and no key is configured",
        next_step="export CDCLAKE_PII__KEY=<secret> or CDCLAKE_PII__SECRET_ID=<Secrets Manager secret>; "
        "locally `cdclake stack up` generates one",
    )


DEAD_LETTER_LABEL = b"cdclake dead letters v1"


def dead_letter_key(settings: Settings) -> bytes | None:
    """AES-256 key that seals dead letters' raw values, derived from the PII key; None without one.

    A dead letter keeps the raw change value because it could not be decoded, so its PII columns
    could not be hashed or masked; sealing keeps it replayable (the writer unseals it) while no
    clear PII lands under the lake root. A key of its own (HMAC of a fixed label), so the hash key
    itself never doubles as an encryption key.
    """
    try:
        key = pii_key(settings)
    except ConfigError:
        return None
    return hmac.new(key, DEAD_LETTER_LABEL, hashlib.sha256).digest()


@lru_cache(maxsize=8)
def _secret_key(secret_id: str, region: str) -> bytes:
    # Cached per process: the job builds the hash expression once per micro-batch and table.
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_id)
    except (ClientError, BotoCoreError) as exc:
        raise ConfigError(
            f"cannot read the PII key from Secrets Manager secret {secret_id}: {exc}",
            next_step="check the secret id/region and that the role may secretsmanager:GetSecretValue on it",
            secret_id=secret_id,
        ) from exc
    text = value.get("SecretString")
    if not text:
        raise ConfigError(f"secret {secret_id} has no SecretString", next_step="store the key as a string secret", secret_id=secret_id)
    return text.encode("utf-8")
