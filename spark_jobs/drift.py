"""Schema drift: a change event whose row image has columns the contract does not know, or lacks ones it requires.

Debezium writes values without schemas here, so drift is visible in the row image's
field names. Each event gets a reason (or null) computed with native functions; an
event with drift is parked in the dead-letter table rather than decoded with a
contract that would drop the new column's values. Once a table has drifted, the
job parks every later event of that table too (``BlockedTables``), so that when the
contract is fixed the parked events are applied first, in source order, and the
newer ones after them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyspark.sql import Column as SparkColumn
from pyspark.sql import functions as F

from lakehouse_schemas.contract import TableContract

DRIFT_PREFIX = "schema drift"
BLOCKED_PREFIX = "table blocked"


def _image_json(value: SparkColumn, path: str) -> SparkColumn:
    # Schemas disabled: {"before":..,"after":..}; schemas enabled: {"schema":..,"payload":{..}}.
    return F.coalesce(F.get_json_object(value, f"$.payload.{path}"), F.get_json_object(value, f"$.{path}"))


def drift_reason(value: SparkColumn, contract: TableContract) -> SparkColumn:
    """Null when the row image's columns are the contract's; otherwise what differs and what to do."""
    known = F.array(*[F.lit(c.name) for c in contract.columns])
    image = F.coalesce(_image_json(value, "after"), _image_json(value, "before"))
    keys = F.json_object_keys(image)
    added = F.array_sort(F.array_except(keys, known))
    dropped = F.array_sort(F.array_except(known, keys))
    fix = "update the contract (cdclake contracts init) and restart the job: parked events are replayed first"
    if contract.on_missing_column == "null":
        dropped = F.array().cast("array<string>")
    return (
        F.when(image.isNull(), F.lit(None))
        .when(
            F.size(added) > 0,
            F.concat(F.lit(f"{DRIFT_PREFIX}: {contract.qualified_source} has column(s) not in the contract: "),
                     F.array_join(added, ", "), F.lit(f"; {fix}")),
        )
        .when(
            F.size(dropped) > 0,
            F.concat(F.lit(f"{DRIFT_PREFIX}: {contract.qualified_source} no longer sends column(s) "),
                     F.array_join(dropped, ", "), F.lit(f"; {fix}")),
        )
    )


@dataclass
class BlockedTables:
    """Tables whose events are parked until their contract is fixed: source table -> first drift reason."""

    tables: dict[str, str] = field(default_factory=dict)

    def block(self, table: str, reason: str) -> None:
        self.tables.setdefault(table, reason)

    def reason(self, table: str) -> str | None:
        first = self.tables.get(table)
        return None if first is None else f"{BLOCKED_PREFIX} after earlier {first.split(';')[0]}"
