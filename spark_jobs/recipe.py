"""A decoder's projections built once per contract and replayed on every batch.

Building the Debezium decoder's expression tree takes about 1,500 Py4J calls for a three-column
table (several thousand for a wide one): about a second of driver time per table per batch, spent
again for identical expressions. A ``Recipe`` records the ``select``/``where``/``withColumn``/``drop``
calls a decoder makes on a DataFrame, with the Column objects it built; ``apply`` replays them on a
batch. Columns are unresolved expressions (names, functions, literals), valid for any DataFrame with
the same input columns, so replaying gives the same plan as decoding the batch directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from pyspark.sql import DataFrame

# Contracts change rarely (a sync), but tests decode many generated ones: keep the cache bounded.
MAX_RECIPES = 256
ANSI_MODE = "spark.sql.ansi.enabled"


class Recipe:
    """Stands in for the input DataFrame while a decoder builds its plan; immutable, like a DataFrame."""

    __slots__ = ("steps",)

    def __init__(self, steps: tuple[tuple[str, tuple[Any, ...]], ...] = ()) -> None:
        self.steps = steps

    def _then(self, op: str, *args: Any) -> Recipe:
        return Recipe((*self.steps, (op, args)))

    def select(self, *cols: Any) -> Recipe:
        return self._then("select", *cols)

    def where(self, condition: Any) -> Recipe:
        return self._then("where", condition)

    def withColumn(self, name: str, col: Any) -> Recipe:
        return self._then("withColumn", name, col)

    def drop(self, *names: str) -> Recipe:
        return self._then("drop", *names)

    def apply(self, df: DataFrame) -> DataFrame:
        for op, args in self.steps:
            df = getattr(df, op)(*args)
        return df


_cache: dict[Hashable, Recipe] = {}
_lock = threading.Lock()


def cached(df: DataFrame, key: Hashable, build: Callable[[Recipe], Recipe]) -> DataFrame:
    """``build`` (a decoder taking a DataFrame-like input) applied to ``df``, its recipe built once per key.

    The key includes the JVM (Column objects live there and die with it: a test that restarts Spark)
    and ANSI mode: Spark 3.5 fixes a cast's or an arithmetic expression's evaluation mode from the
    session's setting when the expression is constructed, not when it runs.
    """
    spark = df.sparkSession
    full_key = (id(spark._jvm), spark.conf.get(ANSI_MODE, "false"), key)
    with _lock:
        recipe = _cache.get(full_key)
    if recipe is None:
        recipe = build(Recipe())
        with _lock:
            if len(_cache) >= MAX_RECIPES:
                _cache.clear()
            _cache[full_key] = recipe
    return recipe.apply(df)
