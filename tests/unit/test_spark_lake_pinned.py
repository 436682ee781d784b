"""A lake read pinned to a commit sees that commit's files and schema, whatever the job commits meanwhile.

``cdclake reconcile`` runs while the job writes, and reads each table several times (chunk sums, then
the differing chunks row by row); it pins those reads to the table's newest completed commit.
Local Spark, Hudi tables under a temporary file:// root, no servers.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from lakehouse_schemas import hudi_options as H
from lakehouse_schemas.contract import TableContract

pytestmark = pytest.mark.spark


def _contract(qty_type: str) -> TableContract:
    return TableContract.from_yaml(
        "source: s\ndatabase: shop\ntable: orders\ntarget_database: shop\ntarget_table: orders\nkey: [id]\ncolumns:\n"
        f"- {{name: id, type: int, nullable: false}}\n- {{name: qty, type: {qty_type}}}\n"
    )


def _write(spark, contract: TableContract, root: str, rows: list[tuple[int, int]], qty: str) -> None:
    df = spark.createDataFrame(rows, f"id int, qty {qty}").withColumn("_cdc_pos", F.lit("00001")).withColumn(H.DELETE_MARKER_COLUMN, F.lit(False))
    df.write.format("hudi").options(**H.write_options(contract)).mode("append").save(contract.table_path(root))


def test_a_pinned_read_keeps_its_commit_s_rows_and_types_across_a_widening_commit(spark, tmp_path):
    """A plain read resolves the table's schema and lists its files in two steps, and the job can commit
    between them (the race that failed reconcile during `tests/e2e/test_schema_evolution.py`'s widening
    step: an INT32 schema over a file already rewritten as INT64). A read pinned to an instant takes both
    from that instant, even once later commits widened the column."""
    from spark_jobs.lake import completed_instants, read_table

    root = tmp_path.resolve().as_uri()
    narrow, wide = _contract("int"), _contract("bigint")
    _write(spark, narrow, root, [(i, i % 3) for i in range(1, 201)], "int")
    instant = completed_instants(spark, narrow.table_path(root))[-1]
    # The job widens qty (INT -> BIGINT, after `contracts sync`) and rewrites the file group.
    _write(spark, wide, root, [(i, 2**40 + i) for i in range(1, 11)], "bigint")
    pinned = read_table(spark, narrow, root, as_of=instant)
    old = sum(i % 3 for i in range(1, 201))
    assert pinned.agg(F.sum("qty")).first()[0] == old
    assert dict(pinned.dtypes)["qty"] == "int"
    now = read_table(spark, wide, root)
    assert now.agg(F.sum("qty")).first()[0] == old - sum(i % 3 for i in range(1, 11)) + sum(2**40 + i for i in range(1, 11))
    assert dict(now.dtypes)["qty"] == "bigint"
