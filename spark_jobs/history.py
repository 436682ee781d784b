"""The change-history table next to each current-state table (issue 5 fills this in)."""

from __future__ import annotations

from pyspark.sql import DataFrame

from lakehouse_schemas.contract import TableContract


def write_history(df: DataFrame, contract: TableContract, lake_root: str, *, batch_id: int | None = None) -> None:
    """Append every change of ``df`` to the table's history (idempotent under replay)."""
    return None
