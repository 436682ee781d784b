"""PII protection applied to decoded changes before anything is written (issue 6 fills this in)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse_schemas.contract import TableContract


def protect(df: DataFrame, contract: TableContract) -> DataFrame:
    """Return ``df`` with the contract's PII columns hashed, masked or dropped."""
    return df
