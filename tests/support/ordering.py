"""The reference model of how changes merge into a current-state table, in plain Python.

The Spark job (``spark_jobs.upsert``) dedups a micro-batch per record key by source
position and upserts into Hudi with event-time ordering; tests hold its output to this
model. The rule: per key, the change with the greatest ``SourcePosition.sort_key`` is the
state (ties: the one later in the input wins, so a replayed duplicate is harmless), a
delete removes the key, and a change older than what is stored for the key is ignored.

Stored rows carry ``_cdc_op`` and ``_cdc_pos`` like the lake table's rows do, because the
stored position is what a late change is compared with (Hudi compares against the
stored record's ordering field in the same way).

Deletes and late changes: once a key is deleted there is no row left whose ``_cdc_pos``
could reject a late, older change for that key (a replayed insert would bring the row
back). ``apply_changes`` therefore returns a ``LakeState`` — a plain ``dict`` of the
visible rows that also remembers the position of each delete; pass it back in for the
next batch and older changes to deleted keys stay ignored. Passing a plain dict starts
without that memory (as a physically deleted Hudi record has none).

Truncates are not applied: the Spark job dead-letters them (a TRUNCATE needs an operator
decision about the lake table), so the reference model skips them as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cdc.events import META_OP, META_POS, ChangeEvent, Op

KeyTuple = tuple[Any, ...]
Row = dict[str, Any]


class LakeState(dict[KeyTuple, Row]):
    """Visible rows per key, plus ``deleted``: key -> sort_key of the delete that removed it."""

    def __init__(self, rows: Mapping[KeyTuple, Row] | None = None, deleted: Mapping[KeyTuple, str] | None = None) -> None:
        super().__init__(rows or {})
        self.deleted: dict[KeyTuple, str] = dict(deleted or {})


def key_tuple(event: ChangeEvent, key_columns: Sequence[str] | None = None) -> KeyTuple:
    """The record key as a tuple: in ``key_columns`` order if given, else in the event key's order."""
    if key_columns is None:
        return tuple(event.key.values())
    return tuple(event.key[k] for k in key_columns)


def stored_row(event: ChangeEvent) -> Row:
    """The row a non-delete change leaves in the table: its after image plus the ordering meta columns."""
    assert event.after is not None, "only changes with an after image are stored"
    return {**event.after, META_OP: event.op.value, META_POS: event.position.sort_key}


def latest_per_key(events: Iterable[ChangeEvent], key_columns: Sequence[str] | None = None) -> dict[KeyTuple, ChangeEvent]:
    """Per key, the change with the greatest position (deletes included: they must reach the table too).

    Ties go to the change later in the input. Truncates have no key and are skipped.
    """
    latest: dict[KeyTuple, ChangeEvent] = {}
    for e in events:
        if e.op is Op.TRUNCATE:
            continue
        k = key_tuple(e, key_columns)
        current = latest.get(k)
        if current is None or e.position.sort_key >= current.position.sort_key:
            latest[k] = e
    return latest


def apply_changes(
    state: Mapping[KeyTuple, Row],
    events: Iterable[ChangeEvent],
    key_columns: Sequence[str] | None = None,
) -> LakeState:
    """Merge ``events`` into ``state`` and return the new state (``state`` itself is not modified).

    A stored row without ``_cdc_pos`` (e.g. seeded by a test) counts as older than any change.
    """
    deleted = state.deleted if isinstance(state, LakeState) else {}
    out = LakeState({k: dict(v) for k, v in state.items()}, deleted)
    for k, e in latest_per_key(events, key_columns).items():
        pos = e.position.sort_key
        stored = out.get(k)
        stored_pos = (stored.get(META_POS) or "") if stored is not None else out.deleted.get(k, "")
        if pos < stored_pos:
            continue  # older than what the table holds for this key: a late or replayed change
        if e.is_delete:
            out.pop(k, None)
            out.deleted[k] = pos
        else:
            out[k] = stored_row(e)
            out.deleted.pop(k, None)
    return out
