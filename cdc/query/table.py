"""The one text-table formatter of query results (Spark rows and Athena rows alike)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], limit: int) -> str:
    """A boxed text table of the first ``limit`` rows; NULL for None; a last line with the row count."""
    cells = [[("NULL" if v is None else str(v)) for v in r] for r in rows[:limit]]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line, "| " + " | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)) + " |", line]
    out += ["| " + " | ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) + " |" for row in cells]
    out += [line, f"{min(len(rows), limit)} row(s)" + (f" (first {limit} shown)" if len(rows) > limit else "")]
    return "\n".join(out)
