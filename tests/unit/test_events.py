"""SourcePosition.sort_key ordering and the reference merge model (tests.support.ordering)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cdc.events import META_OP, META_POS, ChangeEvent, Op, SourcePosition
from tests.support.ordering import LakeState, apply_changes, key_tuple, latest_per_key, stored_row


def pos(file: str | None, p: int, row: int = 0, snapshot: bool = False) -> SourcePosition:
    return SourcePosition(file=file, pos=p, row=row, snapshot=snapshot)


def ev(op: Op, k: int, position: SourcePosition, v: Any = None) -> ChangeEvent:
    image = {"id": k, "v": v}
    return ChangeEvent(
        op=op,
        database="db",
        table="t",
        key={"id": k},
        before=image if op is Op.DELETE else None,
        after=None if op is Op.DELETE else image,
        position=position,
        snapshot=position.snapshot,
    )


# --------------------------------------------------------------------------- sort_key


def test_binlog_rotation_orders_numerically() -> None:
    # "9" > "1" as text, but file 9 is older than file 10 whatever the position.
    assert pos("mysql-bin.000009", 999999).sort_key < pos("mysql-bin.000010", 4).sort_key
    assert pos("mysql-bin.999999", 2**40).sort_key < pos("mysql-bin.1000000", 4).sort_key


def test_position_orders_within_a_file() -> None:
    assert pos("mysql-bin.000003", 154).sort_key < pos("mysql-bin.000003", 1046).sort_key
    assert pos("mysql-bin.000003", 999).sort_key < pos("mysql-bin.000003", 1000).sort_key


def test_snapshot_is_older_than_streaming_at_the_same_position() -> None:
    # The snapshot is read at the position where streaming starts: a change streamed there is newer.
    snap = pos("mysql-bin.000001", 1032387, snapshot=True)
    stream = pos("mysql-bin.000001", 1032387, snapshot=False)
    assert snap.sort_key < stream.sort_key
    # ... but not newer than a streamed change at a later position, and the row index never outranks the phase.
    assert pos("mysql-bin.000001", 1032387, row=5, snapshot=True).sort_key < stream.sort_key
    assert stream.sort_key < pos("mysql-bin.000001", 1032388, snapshot=True).sort_key


def test_row_index_orders_rows_of_one_binlog_event() -> None:
    keys = [pos("mysql-bin.000002", 500, row=r).sort_key for r in (0, 1, 2, 9, 10, 11)]
    assert keys == sorted(keys)
    assert pos("mysql-bin.000002", 500, row=10**6).sort_key < pos("mysql-bin.000002", 501, row=0).sort_key


def test_gtid_does_not_change_the_order_and_missing_file_sorts_first() -> None:
    a = SourcePosition(file="mysql-bin.000001", pos=4, gtid="0-1-99")
    b = SourcePosition(file="mysql-bin.000001", pos=4, gtid="0-1-1")
    assert a.sort_key == b.sort_key
    assert SourcePosition().sort_key < pos("mysql-bin.000001", 0).sort_key


# --------------------------------------------------------------------------- apply_changes / latest_per_key

P1, P2, P3 = pos("mysql-bin.000001", 100), pos("mysql-bin.000001", 200), pos("mysql-bin.000002", 4)


def test_newest_change_per_key_wins_regardless_of_arrival() -> None:
    events = [ev(Op.UPDATE, 1, P3, "new"), ev(Op.CREATE, 1, P1, "old"), ev(Op.CREATE, 2, P2, "b")]
    state = apply_changes({}, events)
    assert state == {(1,): stored_row(events[0]), (2,): stored_row(events[2])}
    assert state[(1,)]["v"] == "new" and state[(1,)][META_OP] == "u" and state[(1,)][META_POS] == P3.sort_key


def test_tie_goes_to_the_later_change_in_the_input() -> None:
    a, b = ev(Op.UPDATE, 1, P2, "first"), ev(Op.UPDATE, 1, P2, "second")
    assert apply_changes({}, [a, b])[(1,)]["v"] == "second"
    assert apply_changes({}, [b, a])[(1,)]["v"] == "first"
    # Across calls too: an equal position replaces the stored row (a replay is harmless).
    assert apply_changes(apply_changes({}, [a]), [b])[(1,)]["v"] == "second"
    assert latest_per_key([a, b])[(1,)] is b


def test_older_change_than_stored_is_ignored() -> None:
    state = apply_changes({}, [ev(Op.UPDATE, 1, P3, "new")])
    assert apply_changes(state, [ev(Op.UPDATE, 1, P2, "late")])[(1,)]["v"] == "new"


def test_delete_removes_and_late_older_change_does_not_resurrect() -> None:
    state = apply_changes({}, [ev(Op.CREATE, 1, P1, "a"), ev(Op.CREATE, 2, P1, "b")])
    state = apply_changes(state, [ev(Op.DELETE, 1, P2, "a")])
    assert set(state) == {(2,)}
    assert isinstance(state, LakeState) and state.deleted == {(1,): P2.sort_key}
    # A replayed (older) insert after the delete stays ignored: the state remembers the delete.
    assert set(apply_changes(state, [ev(Op.CREATE, 1, P1, "a")])) == {(2,)}
    # A newer insert brings the key back.
    again = apply_changes(state, [ev(Op.CREATE, 1, P3, "again")])
    assert again[(1,)]["v"] == "again" and again.deleted == {}


def test_delete_within_a_batch() -> None:
    events = [ev(Op.DELETE, 1, P2), ev(Op.CREATE, 1, P1, "a"), ev(Op.CREATE, 2, P3, "b")]
    assert set(apply_changes({}, events)) == {(2,)}
    assert latest_per_key(events)[(1,)].op is Op.DELETE  # deletes are kept: they must reach the table


def test_input_state_is_not_modified_and_seeded_rows_are_oldest() -> None:
    seeded = {(1,): {"id": 1, "v": "seed"}}  # no _cdc_pos: older than any change
    out = apply_changes(seeded, [ev(Op.UPDATE, 1, SourcePosition(), "x")])
    assert out[(1,)]["v"] == "x" and seeded == {(1,): {"id": 1, "v": "seed"}}


def test_truncate_is_not_applied() -> None:
    t = ChangeEvent(op=Op.TRUNCATE, database="db", table="t", key={}, position=P3)
    state = apply_changes({}, [ev(Op.CREATE, 1, P1, "a"), t])
    assert set(state) == {(1,)}


def test_key_columns_order() -> None:
    e = ChangeEvent(op=Op.CREATE, database="db", table="t", key={"b": 2, "a": 1}, after={"a": 1, "b": 2}, position=P1)
    assert key_tuple(e) == (2, 1)
    assert key_tuple(e, ("a", "b")) == (1, 2)
    assert set(apply_changes({}, [e], key_columns=("a", "b"))) == {(1, 2)}


# --------------------------------------------------------------------------- property: any delivery == source order


def stream_position(j: int) -> SourcePosition:
    """Strictly increasing positions that rotate the binlog every 6 changes and share a pos between row pairs."""
    return SourcePosition(file=f"mysql-bin.{1 + j // 6:06d}", pos=4 + (j % 6 // 2) * 100, row=j % 2, gtid=f"0-1-{j}")


@st.composite
def histories(draw: st.DrawFn) -> list[ChangeEvent]:
    """One source's changes in source order: a snapshot of some keys, then inserts/updates/deletes."""
    n_keys = draw(st.integers(1, 6))
    snapshot_keys = draw(st.sets(st.integers(0, n_keys - 1)))
    events: list[ChangeEvent] = []
    present: set[int] = set()
    # Snapshot reads: all at the position where streaming starts (the same for every key).
    for k in sorted(snapshot_keys):
        events.append(ev(Op.READ, k, SourcePosition(file="mysql-bin.000001", pos=4, snapshot=True), f"snap{k}"))
        present.add(k)
    for j, k in enumerate(draw(st.lists(st.integers(0, n_keys - 1), max_size=40))):
        if k in present:
            op = draw(st.sampled_from([Op.UPDATE, Op.DELETE]))
        else:
            op = Op.CREATE
        events.append(ev(op, k, stream_position(j), f"v{j}"))
        (present.discard if op is Op.DELETE else present.add)(k)
    return events


def in_source_order(history: list[ChangeEvent]) -> dict[tuple[Any, ...], dict[str, Any]]:
    state: dict[tuple[Any, ...], dict[str, Any]] = {}
    for e in history:
        if e.is_delete:
            del state[key_tuple(e)]
        else:
            state[key_tuple(e)] = stored_row(e)
    return state


@settings(max_examples=300, deadline=None)
@given(data=st.data(), history=histories())
def test_any_batching_and_order_equals_source_order(data: st.DataObject, history: list[ChangeEvent]) -> None:
    expected = in_source_order(history)
    duplicates = data.draw(st.lists(st.sampled_from(history), max_size=10)) if history else []
    delivered = data.draw(st.permutations(history + duplicates))  # shuffled within and across batches
    cuts = sorted(data.draw(st.lists(st.integers(0, len(delivered)), max_size=6)))
    batches = [delivered[a:b] for a, b in zip([0, *cuts], [*cuts, len(delivered)], strict=True)]

    state: dict[tuple[Any, ...], dict[str, Any]] = {}
    for batch in batches:
        state = apply_changes(state, batch)
    assert dict(state) == expected


@settings(max_examples=200, deadline=None)
@given(data=st.data(), history=histories())
def test_latest_per_key_is_the_last_change_in_source_order(data: st.DataObject, history: list[ChangeEvent]) -> None:
    last = {key_tuple(e): e for e in history}
    shuffled = data.draw(st.permutations(history))
    assert latest_per_key(shuffled) == last
