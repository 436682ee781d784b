"""Casts that give NULL for a value that does not fit, whatever ``spark.sql.ansi.enabled`` says.

The decoders turn "the cast gave NULL" into a dead letter naming the column. With ANSI mode on
(Spark 4's default) a plain ``cast`` raises instead and fails the whole batch, so every cast of
source data goes through ``try_cast``: Spark's TRY evaluation mode, the same as SQL ``try_cast``.
"""

from __future__ import annotations

from pyspark import SparkContext
from pyspark.sql import Column
from pyspark.sql.types import DataType


def try_cast(col: Column, to: str | DataType) -> Column:
    if hasattr(Column, "try_cast"):  # pyspark >= 4.0
        return col.try_cast(to)
    jvm = SparkContext._active_spark_context._jvm  # Spark 3.5 has no Python API for a TRY cast
    types = jvm.org.apache.spark.sql.types.DataType
    jtype = types.fromJson(to.json()) if isinstance(to, DataType) else types.fromDDL(to)
    expressions = jvm.org.apache.spark.sql.catalyst.expressions
    cast = expressions.Cast(col._jc.expr(), jtype, jvm.scala.Option.empty(), expressions.EvalMode.TRY())
    return Column(jvm.org.apache.spark.sql.Column(cast))
