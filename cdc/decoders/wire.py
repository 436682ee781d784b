"""Facts about values on the wire, shared by the Python decoders (cdc/decoders) and the Spark ones (spark_jobs/decode*.py).

Both sides must accept and refuse exactly the same values, so each fact is defined here once.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal

# Value ranges of the MySQL integer types, by (base type, unsigned): a value outside its column's range does not fit.
INT_RANGES: dict[tuple[str, bool], tuple[int, int]] = {
    ("tinyint", False): (-(2**7), 2**7 - 1),
    ("tinyint", True): (0, 2**8 - 1),
    ("boolean", False): (-(2**7), 2**7 - 1),
    ("smallint", False): (-(2**15), 2**15 - 1),
    ("smallint", True): (0, 2**16 - 1),
    ("mediumint", False): (-(2**23), 2**23 - 1),
    ("mediumint", True): (0, 2**24 - 1),
    ("int", False): (-(2**31), 2**31 - 1),
    ("int", True): (0, 2**32 - 1),
    ("year", False): (0, 2155),
    ("bigint", False): (-(2**63), 2**63 - 1),
}
BIGINT_RANGE = INT_RANGES[("bigint", False)]
# The lake's integer kinds (what a DMS value is checked against).
LAKE_INT_RANGES: dict[str, tuple[int, int]] = {"int": INT_RANGES[("int", False)], "long": BIGINT_RANGE}
# BIGINT UNSIGNED above 2**63-1 arrives as a negative long (two's complement): add 2**64.
TWO_POW_64 = 2**64

# A plain decimal literal as Debezium writes it (BigDecimal.toPlainString): no exponent.
PLAIN_DECIMAL_RE = r"^-?[0-9]+(\.[0-9]+)?$"
PLAIN_DECIMAL = re.compile(PLAIN_DECIMAL_RE)
# Large enough that quantize never loses digits before the precision check; a value that
# still does not fit (e.g. 1E+999999) raises InvalidOperation -> "does not fit".
DECIMAL_CONTEXT = Context(prec=1000, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999)

# source.snapshot of a streamed (not snapshot) change, as Spark reads the field: a string. Everything
# else ("true", "last", "first", "incremental", ...) is a snapshot read. JSON null and false count as
# streamed: Spark's string cast turns them into null and "false".
SNAPSHOT_FALSE_TEXT = "false"
SNAPSHOT_FALSE: tuple[object, ...] = (None, SNAPSHOT_FALSE_TEXT, False)


def integer_digits_fit(q: Decimal, precision: int, scale: int) -> bool:
    """Whether a value already quantized to ``scale`` fits decimal(precision, scale)."""
    return q.copy_abs() < Decimal(1).scaleb(precision - scale)  # copy_abs: no 28-digit context rounding
