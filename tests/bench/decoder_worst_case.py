"""Prints the slowest decode of the malformed corpus (tests/malformed.py), per decoder: the figure the
size, depth and digit limits of cdc/decoders/limits.py are meant to bound (issue 15: under 2 s per input).

    .venv/bin/python -m tests.bench.decoder_worst_case
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from cdc.decoders.debezium import decode_debezium
from cdc.decoders.dms import decode_dms_events
from cdc.errors import DecodeError
from lakehouse_schemas.contract import TableContract, load_contracts
from tests import malformed

ALLTYPES = TableContract.from_yaml((Path(malformed.FIXTURES) / "dms" / "alltypes.yaml").read_bytes(), "alltypes.yaml")
INVOICE = next(c for c in load_contracts("chinook") if c.table == "Invoice")


def _time(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    with contextlib.suppress(DecodeError):
        fn(*args, **kwargs)
    return time.perf_counter() - t0


def main() -> None:
    cases = malformed.DEBEZIUM + malformed.DMS
    dbz = [(max(_time(decode_debezium, c.value, key=c.key, contract=k) for k in (None, INVOICE)), c.name) for c in cases]
    dms = [(_time(decode_dms_events, c.value, contract=ALLTYPES), c.name) for c in cases]
    for label, timings in (("debezium", dbz), ("dms", dms)):
        worst = sorted(timings, reverse=True)[:3]
        print(f"{label}: {len(timings)} inputs; slowest " + ", ".join(f"{name} {s * 1000:.1f} ms" for s, name in worst))


if __name__ == "__main__":
    main()
