"""Schema drift: a change event whose row image has columns the contract does not know, or lacks ones it requires.

Debezium writes values without schemas here, so drift is visible in the row image's field
names. Each event gets a reason (or null) computed with native functions. A table whose
events drift is *blocked*: this and every later event of the table is parked in the
dead-letter table (other tables go on), until its contract changes; the job then replays the
parked events first, in source order, and applies newer ones after them (spark_jobs.stream).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column as SparkColumn
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from lakehouse_schemas.contract import TableContract

DRIFT_PREFIX = "schema drift"
BLOCKED_PREFIX = "table blocked"
NO_CONTRACT_PREFIX = "no contract"
# Dead letters the job parked for schema reasons: replayed automatically once the contract changes.
PARKED_PREFIXES = (DRIFT_PREFIX, BLOCKED_PREFIX, NO_CONTRACT_PREFIX)
FIX = (
    "update the contract (cdclake contracts sync), then `cdclake run` (any trigger) or `cdclake dlq replay` replays the "
    "parked events first; a running job replays them with its next batch, no restart needed"
)


def _image_json(value: SparkColumn, path: str) -> SparkColumn:
    # Schemas disabled: {"before":..,"after":..}; schemas enabled: {"schema":..,"payload":{..}}.
    return F.coalesce(F.get_json_object(value, f"$.payload.{path}"), F.get_json_object(value, f"$.{path}"))


def image_columns(value: SparkColumn) -> SparkColumn:
    """The column names of an event's row image (after, or before for a delete)."""
    return F.json_object_keys(F.coalesce(_image_json(value, "after"), _image_json(value, "before")))


def with_drift_reason(
    df: DataFrame, value: str, reason_column: str, contract: TableContract, *, added_later: frozenset[str] = frozenset()
) -> DataFrame:
    """``reason_column`` := its value, else the drift reason of the JSON in column ``value``.

    The image's text and keys get projections of their own first, so each is parsed once per record
    (a repeated expression inside ``when`` conditions is evaluated again for every condition).
    """
    image, keys = "_drift_image", "_drift_keys"
    staged = df.withColumn(image, F.coalesce(_image_json(F.col(value), "after"), _image_json(F.col(value), "before")))
    staged = staged.withColumn(keys, F.json_object_keys(F.col(image)))
    reason = drift_reason(F.col(value), contract, added_later=added_later, image=F.col(image), keys=F.col(keys))
    return staged.withColumn(reason_column, F.coalesce(F.col(reason_column), reason)).drop(image, keys)


def drift_reason(
    value: SparkColumn, contract: TableContract, *, added_later: frozenset[str] = frozenset(),
    image: SparkColumn | None = None, keys: SparkColumn | None = None,
) -> SparkColumn:
    """Null when the row image's columns are the contract's; otherwise what differs and what to do.

    ``added_later`` (replays): columns the source has *now* (its newest event carries them). An older
    parked event that lacks one of them predates its ADD COLUMN, so the column is NULL for it rather
    than a DROP: several ALTERs made while a table was blocked then replay in one go.
    """
    known = F.array(*[F.lit(c.wire_name) for c in contract.source_columns])
    if image is None:
        image = F.coalesce(_image_json(value, "after"), _image_json(value, "before"))
    if keys is None:
        keys = F.json_object_keys(image)
    added = F.array_sort(F.array_except(keys, known))
    expected = F.array(*[F.lit(c.wire_name) for c in contract.source_columns if c.wire_name not in added_later])
    dropped = F.array_sort(F.array_except(expected, keys))
    if contract.on_missing_column == "null":
        dropped = F.array().cast("array<string>")
    return (
        F.when(image.isNull(), F.lit(None))
        .when(
            F.size(added) > 0,
            F.concat(F.lit(f"{DRIFT_PREFIX}: {contract.qualified_source} has column(s) not in the contract: "),
                     F.array_join(added, ", "), F.lit(f"; {FIX}")),
        )
        .when(
            F.size(dropped) > 0,
            F.concat(F.lit(f"{DRIFT_PREFIX}: {contract.qualified_source} no longer sends column(s) "),
                     F.array_join(dropped, ", "), F.lit(f" (contract on_missing_column: park); {FIX}")),
        )
    )


@dataclass
class BlockedTables:
    """Topics whose events are parked until their contract changes: topic -> the reason it was first blocked."""

    tables: dict[str, str] = field(default_factory=dict)

    def block(self, topic: str, reason: str) -> None:
        self.tables.setdefault(topic, reason)

    def unblock(self, topic: str) -> None:
        self.tables.pop(topic, None)

    def is_blocked(self, topic: str) -> bool:
        return topic in self.tables

    def reason(self, topic: str) -> str:
        first = self.tables[topic].split(";")[0]
        return f"{BLOCKED_PREFIX} after an earlier {first}; {FIX}"
