"""Access domains enforced for real: the generated policies on the local S3 server (MinIO), Spark over s3a://.

One module-scoped lake (``s3a://lake/access-<run>/lake``) is filled by the real pipeline
(MariaDB -> Debezium -> Kafka -> Spark -> Hudi) running with the *writer* user's credentials.
Then every principal of the generated policies is checked against every table of the contracts:
allowed reads return the lake's rows, denied reads, listings and writes fail with S3's
AccessDenied / 403 (asserted on the error text). Expectations come from the contracts' domains
and ``access.readers``; principals and tables are enumerated, so a new table or domain needs no
new test code. Finally every file under the lake root is scanned for Customer/Employee PII in clear.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cdc.access import minio as local_minio
from cdc.access import policies
from cdc.access.policies import SYSTEM_DOMAIN
from cdc.devstack import pipeline
from cdc.settings import LakeSettings, Settings
from lakehouse_schemas import load_contracts
from tests.e2e.support import assert_reconciled

# Own pytest process (see the Makefile): switching s3a keys inside one JVM leaves filesystem objects
# with a principal's keys cached by Hudi, which later tests in the same JVM would pick up.
pytestmark = [pytest.mark.e2e, pytest.mark.s3, pytest.mark.access]

DENIED = re.compile(r"AccessDenied|Status Code: 403|403 Forbidden")


def _principals() -> list[policies.Principal]:
    """Collection-time enumeration (the lake root does not matter for who reads which domain)."""
    probe = Settings(lake=LakeSettings(root="s3a://lake/probe"))
    return policies.principals(probe, load_contracts("chinook"))


READERS = [p for p in _principals() if p.kind == "reader"]
DOMAINS = policies.domains(load_contracts("chinook"))


# -- credentials per principal ---------------------------------------------------------------------


@contextlib.contextmanager
def as_user(spark, user: local_minio.LocalUser | None):
    """Run Spark's s3a calls with this user's keys (None: the settings' root keys).

    The FileSystem cache is off while switching, so every s3a FileSystem built afterwards reads
    the keys from the configuration instead of reusing an instance made with other credentials.
    """
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    saved = {k: conf.get(k) for k in ("fs.s3a.access.key", "fs.s3a.secret.key", "fs.s3a.impl.disable.cache")}
    conf.set("fs.s3a.impl.disable.cache", "true")
    if user is not None:
        conf.set("fs.s3a.access.key", user.access_key)
        conf.set("fs.s3a.secret.key", user.secret_key.get_secret_value())
    try:
        yield
    finally:
        for k, v in saved.items():
            conf.unset(k) if v is None else conf.set(k, v)


def s3(settings, user: local_minio.LocalUser):
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint(),
        aws_access_key_id=user.access_key,
        aws_secret_access_key=user.secret_key.get_secret_value(),
        region_name=settings.lake.s3_region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def error_text(spark, exc: BaseException) -> str:
    """The whole Java cause chain: Hudi/Spark wrap S3A's AccessDeniedException in their own errors."""
    text = str(exc)
    origin = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    if origin is not None:
        text += spark.sparkContext._jvm.org.apache.commons.lang3.exception.ExceptionUtils.getStackTrace(origin)
    return text


def assert_denied(spark, fn) -> str:
    with pytest.raises(Exception) as info:
        fn()
    text = error_text(spark, info.value)
    assert DENIED.search(text), f"expected AccessDenied/403, got: {text[:800]}"
    return text


def assert_boto_denied(fn) -> None:
    with pytest.raises(ClientError) as info:
        fn()
    assert info.value.response["Error"]["Code"] == "AccessDenied", info.value.response["Error"]


def _key(uri: str) -> str:
    return uri.split("://", 1)[1].split("/", 1)[1]


# -- the lake, written by the real pipeline as the writer -------------------------------------------


BREAK_GLASS_ARN = "arn:aws:iam::123456789012:role/cdclake-break-glass"
OTHER_ARN = "arn:aws:iam::123456789012:role/any-other-role"
# "Any other role in the account": broad S3 read (and kms:Decrypt on AWS, which MinIO cannot hold).
BROAD_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": ["arn:aws:s3:::lake", "arn:aws:s3:::lake/*"]}],
}


@pytest.fixture(scope="module")
def lake(local_stack, spark, contracts):
    run = uuid.uuid4().hex[:8]
    settings = local_stack.model_copy(
        update={
            "lake": LakeSettings(root=f"s3a://lake/access-{run}/lake", checkpoint_root=f"s3a://lake/access-{run}/checkpoints"),
            "access": local_stack.access.model_copy(update={"break_glass_role_arn": BREAK_GLASS_ARN}),
        }
    )
    docs = policies.generate(settings, contracts)
    # Each lake role: its IAM document's S3 statements + the bucket policy's denials for it; plus
    # break-glass and any other role with the same broad read, and a control user with that read
    # alone (no bucket policy), which shows what the denials take away.
    local_docs = local_minio.local_documents(settings, contracts, {"break-glass": (BREAK_GLASS_ARN, BROAD_READ), "other": (OTHER_ARN, BROAD_READ)})
    local_docs["unguarded"] = BROAD_READ
    users = local_minio.ensure_users(settings, local_docs, name_prefix=f"access-{run}-")
    pipeline.fresh_source(settings, contracts)
    with as_user(spark, users["writer"]):
        stats = pipeline.apply_to_lake(spark, settings, contracts)
        diffs = assert_reconciled(spark, settings, contracts, "lake (PII protected)")
    assert stats.dead_letters == 0
    counts = {d.table: d.lake_rows for d in diffs}
    assert all(n > 0 for n in counts.values()), counts
    yield {"settings": settings, "docs": docs, "users": users, "counts": counts}
    local_minio.remove_users(settings, users)
    pipeline.wipe_lake(settings)


# -- readers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("reader", READERS, ids=lambda p: p.name)
def test_reader_reads_only_its_domains(lake, spark, contracts, reader, domain):
    from spark_jobs.lake import read_table

    settings, user = lake["settings"], lake["users"][reader.name]
    tables = [c for c in contracts if c.domain == domain]
    assert tables
    allowed = domain in reader.domains
    with as_user(spark, user):
        for c in tables:
            if allowed:
                assert read_table(spark, c, settings.lake_root).count() == lake["counts"][c.qualified_source]
            else:
                assert_denied(spark, lambda c=c: read_table(spark, c, settings.lake_root).count())
        # Listing the domain's folder (Hadoop FileSystem, as Spark lists tables).
        jvm = spark.sparkContext._jvm
        path = jvm.org.apache.hadoop.fs.Path(f"{settings.lake_root}/{domain}/")
        fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        if allowed:
            assert len(fs.listStatus(path)) >= 1
        else:
            assert_denied(spark, lambda: fs.listStatus(path))
        # No write anywhere in the lake, own domain included (Spark and plain S3).
        target = f"{tables[0].table_path(settings.lake_root)}_probe_{reader.name}"
        assert_denied(spark, lambda: spark.range(3).write.mode("append").parquet(target))
    client = s3(settings, user)
    bucket = "lake"
    for c in tables:
        key = _key(c.table_path(settings.lake_root))
        assert_boto_denied(lambda key=key: client.put_object(Bucket=bucket, Key=f"{key}/probe.txt", Body=b"x"))
        assert_boto_denied(lambda key=key: client.delete_object(Bucket=bucket, Key=f"{key}/.hoodie/hoodie.properties"))
        if allowed:
            assert client.list_objects_v2(Bucket=bucket, Prefix=f"{key}/", MaxKeys=5)["KeyCount"] > 0
            assert client.head_object(Bucket=bucket, Key=f"{key}/.hoodie/hoodie.properties")["ContentLength"] > 0
        else:
            assert_boto_denied(lambda key=key: client.list_objects_v2(Bucket=bucket, Prefix=f"{key}/"))
            assert_boto_denied(lambda key=key: client.get_object(Bucket=bucket, Key=f"{key}/.hoodie/hoodie.properties"))


@pytest.mark.parametrize("reader", READERS, ids=lambda p: p.name)
def test_reader_cannot_list_outside_and_writes_only_its_results(lake, reader):
    settings, user = lake["settings"], lake["users"][reader.name]
    client, root = s3(settings, user), _key(settings.lake_root)
    for prefix in ("", f"{root}/", f"{_key(settings.checkpoint_root)}/", f"{root}/{SYSTEM_DOMAIN}/"):
        assert_boto_denied(lambda prefix=prefix: client.list_objects_v2(Bucket="lake", Prefix=prefix))
    bucket, prefix = policies.results_location(settings, reader.name)
    client.put_object(Bucket=bucket, Key=f"{prefix}/probe-{reader.name}.csv", Body=b"ok")
    # Not even deletes of its own results: Athena never needs them.
    assert_boto_denied(lambda: client.delete_object(Bucket=bucket, Key=f"{prefix}/probe-{reader.name}.csv"))
    others = [p.name for p in READERS if p.name != reader.name]
    for other in others:
        _, other_prefix = policies.results_location(settings, other)
        assert_boto_denied(lambda op=other_prefix: client.put_object(Bucket=bucket, Key=f"{op}/x.csv", Body=b"x"))


# -- writer -----------------------------------------------------------------------------------------


def test_writer_writes_where_it_must_and_nowhere_else(lake, spark, contracts):
    settings, user = lake["settings"], lake["users"]["writer"]
    client = s3(settings, user)
    musts = [_key(c.table_path(settings.lake_root)) for c in contracts]
    musts += [_key(c.history_path(settings.lake_root)) for c in contracts]
    musts += [f"{_key(settings.lake_root)}/{SYSTEM_DOMAIN}/_cdclake/dead_letter", _key(settings.checkpoint_root)]
    for key in musts:
        client.put_object(Bucket="lake", Key=f"{key}/writer-probe.txt", Body=b"x")
        client.delete_object(Bucket="lake", Key=f"{key}/writer-probe.txt")
    run_root = _key(settings.lake_root).rsplit("/", 1)[0]
    nowhere = [f"{run_root}/elsewhere", f"{_key(settings.lake_root)}/unknown-domain", "outside-the-run"]
    nowhere += [policies.results_location(settings, r.name)[1] for r in READERS]
    for key in nowhere:
        assert_boto_denied(lambda key=key: client.put_object(Bucket="lake", Key=f"{key}/x.txt", Body=b"x"))
    assert_boto_denied(lambda: client.list_objects_v2(Bucket="lake", Prefix=""))
    with as_user(spark, user):
        assert_denied(spark, lambda: spark.range(3).write.mode("append").parquet(f"s3a://lake/{run_root}/elsewhere"))


# -- any other role of the account, break-glass ----------------------------------------------------


def _restricted_keys(settings, contracts) -> dict[str, list[str]]:
    """space name -> object keys in it that exist (tables' Hudi properties, a dead-letter/checkpoint probe)."""
    out: dict[str, list[str]] = {}
    for c in contracts:
        out.setdefault(c.domain, []).append(f"{_key(c.table_path(settings.lake_root))}/.hoodie/hoodie.properties")
    return out


def test_any_other_role_with_broad_read_is_denied_finance_and_every_space(lake, spark, contracts):
    from spark_jobs.lake import read_table

    settings, users = lake["settings"], lake["users"]
    other, unguarded, glass = s3(settings, users["other"]), s3(settings, users["unguarded"]), s3(settings, users["break-glass"])
    root = _key(settings.lake_root)
    keys = _restricted_keys(settings, contracts)
    assert keys["finance"]
    for domain_keys in keys.values():
        for key in domain_keys:
            # The same broad read without the bucket policy reads it: the denial is what stops "other".
            assert unguarded.get_object(Bucket="lake", Key=key)["ContentLength"] > 0
            assert_boto_denied(lambda key=key: other.get_object(Bucket="lake", Key=key))
            assert glass.get_object(Bucket="lake", Key=key)["ContentLength"] > 0
    finance_prefix = f"{root}/finance/"
    assert unguarded.list_objects_v2(Bucket="lake", Prefix=finance_prefix)["KeyCount"] > 0
    assert glass.list_objects_v2(Bucket="lake", Prefix=finance_prefix)["KeyCount"] > 0
    # No prefix that would list finance keys: the domain's, its parents, a shorter one, none at all.
    for prefix in (finance_prefix, f"{root}/finance", f"{root}/fin", f"{root}/", root, f"{root.split('/')[0]}/", ""):
        assert_boto_denied(lambda prefix=prefix: other.list_objects_v2(Bucket="lake", Prefix=prefix))
    assert_boto_denied(lambda: other.list_objects_v2(Bucket="lake"))
    # Spark, as the query engines read: the finance tables fail, listing the domain folder too.
    with as_user(spark, users["other"]):
        for c in contracts:
            if c.domain == "finance":
                assert_denied(spark, lambda c=c: read_table(spark, c, settings.lake_root).count())
    with as_user(spark, users["break-glass"]):
        invoice = next(c for c in contracts if c.domain == "finance")
        assert read_table(spark, invoice, settings.lake_root).count() == lake["counts"][invoice.qualified_source]
    print(f"any other role: denied {sum(len(v) for v in keys.values())} objects and 8 listings that a broad read alone gets")


def test_writer_reads_nothing_it_need_not(lake):
    """The writer reads its spaces (Hudi merges read the files) but not the readers' query results."""
    settings, writer = lake["settings"], s3(lake["settings"], lake["users"]["writer"])
    root_keys = settings.s3_credentials()
    admin = s3(settings, local_minio.LocalUser(principal="root", access_key=root_keys[0], secret_key=root_keys[1], policy_name=""))
    for reader in READERS:
        bucket, prefix = policies.results_location(settings, reader.name)
        admin.put_object(Bucket=bucket, Key=f"{prefix}/result-{reader.name}.csv", Body=b"secret,result")
        assert_boto_denied(lambda b=bucket, k=f"{prefix}/result-{reader.name}.csv": writer.get_object(Bucket=b, Key=k))
        assert_boto_denied(lambda b=bucket, p=prefix: writer.list_objects_v2(Bucket=b, Prefix=f"{p}/"))
    assert_boto_denied(lambda: writer.get_object(Bucket="lake", Key="outside-the-run/x.txt"))


# -- PII ----------------------------------------------------------------------------------------------


def _source_pii(settings) -> tuple[set[str], list[tuple]]:
    from cdc.source import connect

    values: set[str] = set()
    with connect(settings, admin=True) as conn, conn.cursor() as cur:
        for table in ("Customer", "Employee"):
            cur.execute(f"SELECT Email, Phone, Fax, Address FROM Chinook.{table}")
            values |= {v for row in cur.fetchall() for v in row if v}
        cur.execute("SELECT BillingAddress FROM Chinook.Invoice")
        values |= {r[0] for r in cur.fetchall() if r[0]}
        cur.execute("SELECT i.InvoiceId, c.CustomerId, i.BillingAddress, c.Address FROM Chinook.Invoice i, Chinook.Customer c")
        pairs = cur.fetchall()
    # Exact (binary) equality, as the keyed hash sees it: MariaDB's collation would ignore case.
    joined = sorted((i, c) for i, c, a, b in pairs if a is not None and a == b)
    return values, joined


def _dead_letter_with_clear_pii(lake, spark, contracts, value: str) -> None:
    """A record of a PII table that cannot be decoded, holding a clear PII value: it becomes a dead letter."""
    from confluent_kafka import Producer

    from spark_jobs import dlq

    settings = lake["settings"]
    customer = next(c for c in contracts if c.table == "Customer")
    raw = '{"before":null,"after":{"CustomerId":1,"Email":' + json.dumps(value) + ',"Country":"Brazil"'  # cut short: not JSON
    producer = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    producer.produce(customer.topic(), key=b'{"CustomerId":1}', value=raw.encode())
    assert producer.flush(30) == 0
    with as_user(spark, lake["users"]["writer"]):
        stats = pipeline.apply_to_lake(spark, settings, contracts)
    assert stats.dead_letters == 1
    # The writer still gets the exact raw value back (replay needs it); on disk it is sealed.
    letters = dlq.list_dead_letters(spark, settings.lake_root, table=customer.table)
    assert [d["value"] for d in letters] == [raw]


def test_no_pii_in_clear_under_the_lake_root_and_hashed_joins_work(lake, spark, contracts):
    import pyarrow.parquet as pq

    from spark_jobs.lake import read_table

    settings = lake["settings"]
    clear, source_join = _source_pii(settings)
    assert len(clear) > 100 and source_join
    _dead_letter_with_clear_pii(lake, spark, contracts, min(clear))
    root = s3(settings, local_minio.LocalUser(principal="root", access_key=settings.s3_credentials()[0],
                                              secret_key=settings.s3_credentials()[1], policy_name=""))
    prefix = _key(settings.lake_root) + "/"
    found, parquet_files, other_files, strings_seen, scanned_dead_letters = [], 0, 0, set(), 0
    needles = [v.encode("utf-8") for v in clear]
    for page in root.get_paginator("list_objects_v2").paginate(Bucket="lake", Prefix=prefix):
        for obj in page.get("Contents", []):
            body = root.get_object(Bucket="lake", Key=obj["Key"])["Body"].read()
            scanned_dead_letters += obj["Key"].endswith(".parquet") and f"/{SYSTEM_DOMAIN}/" in obj["Key"]
            found += [(obj["Key"], n.decode()) for n in needles if n in body]
            if obj["Key"].endswith(".parquet"):
                parquet_files += 1
                table = pq.read_table(io.BytesIO(body))
                for col in table.column_names:
                    for v in table.column(col).to_pylist():
                        if isinstance(v, str):
                            strings_seen.add(v)
                            if v in clear or any(c in v for c in clear if len(c) > 8 and len(v) >= len(c)):
                                found.append((obj["Key"], v))
            else:
                other_files += 1
    assert parquet_files >= len(contracts) and other_files > len(contracts)  # data files and Hudi metadata were scanned
    assert scanned_dead_letters, "the dead-letter table was scanned too"
    # The scan would see clear values: non-PII text columns of the same tables are there.
    assert {"Brazil", "São José dos Campos"} <= strings_seen
    assert not found, f"PII in clear under {settings.lake_root}: {found[:10]}"
    print(f"scanned {parquet_files} parquet + {other_files} other files for {len(clear)} clear PII values: none found")

    by = {c.table: c for c in contracts}
    invoice = read_table(spark, by["Invoice"], settings.lake_root)
    customer = read_table(spark, by["Customer"], settings.lake_root)
    assert "Fax" not in customer.columns  # dropped before it landed
    lake_join = sorted(
        (r[0], r[1])
        for r in invoice.join(customer, invoice["BillingAddress"] == customer["Address"])
        .select(invoice["InvoiceId"], customer["CustomerId"])
        .collect()
    )
    assert lake_join == source_join
    print(f"invoice-customer join on the hashed address: {len(lake_join)} pairs, equal to the source's clear-text join")
