"""cdc/decoders/wire.py: the wire facts both decoders share exist once, and the fit check's boundaries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cdc.decoders import debezium as py_dbz
from cdc.decoders import dms as py_dms
from cdc.decoders import wire


def test_python_and_spark_decoders_use_the_same_facts():
    import spark_jobs.decode as spark_dbz  # pyspark's Python side only: no JVM starts

    assert spark_dbz.INT_RANGES is wire.INT_RANGES is py_dbz.INT_RANGES
    assert spark_dbz.PLAIN_DECIMAL_RE is wire.PLAIN_DECIMAL_RE
    assert spark_dbz.TWO_POW_64 == wire.TWO_POW_64 == 18446744073709551616
    assert py_dbz.SNAPSHOT_FALSE is wire.SNAPSHOT_FALSE and spark_dbz.SNAPSHOT_FALSE_TEXT in wire.SNAPSHOT_FALSE
    assert py_dms.LAKE_INT_RANGES is wire.LAKE_INT_RANGES


@pytest.mark.parametrize(
    ("value", "precision", "scale", "fits"),
    [
        ("999.99", 5, 2, True),
        ("-999.99", 5, 2, True),
        ("1000.00", 5, 2, False),
        ("-1000.00", 5, 2, False),
        ("0.99", 2, 2, True),
        ("1.00", 2, 2, False),
        ("1" + "0" * 64, 65, 0, True),
        ("1" + "0" * 65, 65, 0, False),
    ],
)
def test_integer_digits_fit_at_the_boundary(value, precision, scale, fits):
    assert wire.integer_digits_fit(Decimal(value), precision, scale) is fits


def test_integer_ranges_are_the_mysql_ones():
    assert wire.INT_RANGES[("tinyint", False)] == (-128, 127)
    assert wire.INT_RANGES[("int", True)] == (0, 4294967295)
    assert wire.LAKE_INT_RANGES == {"int": (-2147483648, 2147483647), "long": (-9223372036854775808, 9223372036854775807)}
