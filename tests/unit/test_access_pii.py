"""PII protection: the Spark expressions (streaming job) and the Python functions (reconciliation) agree exactly."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from cdc.access import pii as py_pii
from cdc.errors import ContractError
from lakehouse_schemas import load_contracts
from lakehouse_schemas.contract import Column

VALUES = [
    "luisg@embraer.com.br",
    "+55 (12) 3923-5555",
    "Av. Brigadeiro Faria Lima, 2170",
    "",
    "a",
    "Ærøskøbing Straße 7 — 東京都",
    "x" * 300,
    None,
]
KEYS = [b"k", b"0123456789abcdef" * 4, b"a-key-longer-than-one-sha256-block-" * 3, "ключ".encode()]


def test_python_keyed_hash_is_rfc2104_hmac():
    for key in KEYS:
        assert py_pii.keyed_hash(key, "v") == hmac.new(key, b"v", hashlib.sha256).hexdigest()
        # Built from the pads by hand, as the Spark side does.
        ipad, opad = py_pii.pads(key)
        inner = hashlib.sha256(ipad + b"v").digest()
        assert hashlib.sha256(opad + inner).hexdigest() == py_pii.keyed_hash(key, "v")
    assert py_pii.keyed_hash(b"k1", "v") != py_pii.keyed_hash(b"k2", "v")
    assert py_pii.keyed_hash(b"k", None) is None


@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{len(k)}B")
def test_spark_hash_equals_python_hash(spark, key):
    from spark_jobs.pii import keyed_hash, mask

    df = spark.createDataFrame([(i, v) for i, v in enumerate(VALUES)], "i int, v string")
    rows = df.select("i", keyed_hash(df["v"], key).alias("h"), mask(df["v"]).alias("m")).orderBy("i").collect()
    assert [r["h"] for r in rows] == [py_pii.keyed_hash(key, v) for v in VALUES]
    assert [r["m"] for r in rows] == [py_pii.mask(v) for v in VALUES]
    assert rows[0]["h"] != VALUES[0] and len(rows[0]["h"]) == 64


def test_protect_dataframe_equals_protect_rows(spark):
    """The Customer contract through spark_jobs.pii.protect equals the Python side used by reconciliation."""
    from spark_jobs.pii import protect

    customer = next(c for c in load_contracts("chinook") if c.table == "Customer")
    key = b"test-key"
    row = (1, "Luís", "Gonçalves", "Embraer", "Av. Brigadeiro Faria Lima, 2170", "São José dos Campos", "SP", "Brazil",
           "12227-000", "+55 (12) 3923-5555", "+55 (12) 3923-5566", "luisg@embraer.com.br", 3)
    names = [c.name for c in customer.columns]
    df = spark.createDataFrame([row], ", ".join(f"{n} {'int' if n.endswith('Id') else 'string'}" for n in names))
    out = protect(df.withColumn("_cdc_op", df["CustomerId"].cast("string")), customer, key)
    view = py_pii.lake_view(customer)
    assert "Fax" not in out.columns and "Fax" not in [c.name for c in view.columns]
    assert "_cdc_op" in out.columns  # meta columns pass through
    got = tuple(out.select(*[c.name for c in view.columns]).first())
    kept = tuple(v for c, v in zip(customer.columns, row, strict=True) if c.pii != "drop")
    assert got == py_pii.protect_rows(view, [kept], key)[0]
    as_dict = dict(zip([c.name for c in view.columns], got, strict=True))
    assert as_dict["Email"] == hmac.new(key, b"luisg@embraer.com.br", hashlib.sha256).hexdigest()
    assert as_dict["FirstName"] == "L***" and as_dict["City"] == "São José dos Campos"


def test_pii_rules_are_checked():
    customer = next(c for c in load_contracts("chinook") if c.table == "Customer")
    bad_key = customer.model_copy(
        update={"columns": tuple(c.model_copy(update={"pii": "hash"}) if c.name == "CustomerId" else c for c in customer.columns)}
    )
    with pytest.raises(ContractError, match="key"):
        py_pii.check_contract(bad_key)
    bad_type = customer.model_copy(update={"columns": (*customer.columns, Column(name="Born", type="datetime", pii="mask"))})
    with pytest.raises(ContractError, match="text columns"):
        py_pii.check_contract(bad_type)


def test_chinook_personal_columns_are_protected():
    by = {c.table: {col.name: col.pii for col in c.columns} for c in load_contracts("chinook")}
    for col in ("Email", "Phone", "Address", "Fax", "FirstName", "LastName", "PostalCode"):
        assert by["Customer"][col] is not None, col
        assert by["Employee"][col] is not None, col
    assert by["Employee"]["BirthDate"] == "drop"
    assert by["Invoice"]["BillingAddress"] == "hash"  # often equal to Customer.Address: same rule, joinable
    assert by["Customer"]["Address"] == by["Invoice"]["BillingAddress"]


def test_the_job_hashes_with_the_key_of_its_own_settings(monkeypatch):
    from cdc.settings import PiiSettings, Settings
    from spark_jobs.pii import key_source

    monkeypatch.setenv("CDCLAKE_PII__KEY", "the-environment-key")
    own = Settings(pii=PiiSettings(key="the-job-key"))
    assert key_source(own)() == b"the-job-key"
    assert key_source(Settings())() == b"the-environment-key"  # the mutation check: another Settings, another key


def test_a_hashing_contract_without_a_key_is_refused_before_any_row_is_written():
    from cdc.errors import ConfigError
    from spark_jobs.pii import protect

    customer = next(c for c in load_contracts("chinook") if c.table == "Customer")
    with pytest.raises(ConfigError, match=r"Chinook.Customer hashes PII columns but the job was given no PII key"):
        protect(None, customer, None)  # type: ignore[arg-type] - refused before the frame is touched
