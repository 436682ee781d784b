"""PII protection applied to decoded changes before anything is written (history and current state).

Native Spark expressions only, no Python UDF: the keyed hash is HMAC-SHA256 written out as
``sha2(opad || unhex(sha2(ipad || value)))`` with the key's ipad/opad blocks as binary literals
(computed once on the driver), which is exactly RFC 2104 HMAC, so ``cdc.access.pii.keyed_hash``
(Python's ``hmac``) gives the same hex string. Rules and key: ``cdc/access/pii.py``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from cdc.access.pii import MASK_SUFFIX, check_contract, has_pii, pads, pii_key
from cdc.errors import ConfigError
from cdc.settings import Settings
from lakehouse_schemas.contract import TableContract


def keyed_hash(col: Column, key: bytes) -> Column:
    """HMAC-SHA256(key, utf8(col)) as lowercase hex; NULL stays NULL."""
    ipad, opad = pads(key)
    inner = F.sha2(F.concat(F.lit(bytearray(ipad)), col.cast("string").cast("binary")), 256)
    return F.sha2(F.concat(F.lit(bytearray(opad)), F.unhex(inner)), 256)


def mask(col: Column) -> Column:
    return F.when(col.isNull(), F.lit(None).cast("string")).otherwise(F.concat(F.substring(col, 1, 1), F.lit(MASK_SUFFIX)))


# The key is read only when a contract hashes a column: a job whose contracts hash nothing needs none.
KeySource = Callable[[], bytes]


def key_source(settings: Settings) -> KeySource:
    """The keyed-hash key of ``settings``, read once, on first use."""
    return functools.cache(lambda: pii_key(settings))


def protect(df: DataFrame, contract: TableContract, key: bytes | KeySource | None = None) -> DataFrame:
    """Return ``df`` with the contract's PII columns hashed, masked or dropped.

    ``key`` comes from the job's own Settings (``key_source``), never from the environment's global
    settings: a job started with other Settings must hash with its key.
    """
    if not has_pii(contract):
        return df
    check_contract(contract)
    rules = {c.name: c.pii for c in contract.columns if c.pii}
    rules.update({c.srid_column().name: "drop" for c in contract.columns if c.pii == "drop" and c.is_geometry})
    if "hash" in rules.values():
        if key is None:
            raise ConfigError(
                f"{contract.qualified_source} hashes PII columns but the job was given no PII key",
                next_step="pass pii_key=spark_jobs.pii.key_source(settings) (the stream and `cdclake dlq replay` do)",
                table=contract.qualified_source,
            )
        key = key() if callable(key) else key
    out = []
    for name in df.columns:
        rule = rules.get(name)
        if rule == "drop":
            continue
        if rule == "hash":
            out.append(keyed_hash(F.col(f"`{name}`"), key).alias(name))
        elif rule == "mask":
            out.append(mask(F.col(f"`{name}`")).alias(name))
        else:
            out.append(F.col(f"`{name}`"))
    return df.select(*out)
