"""decode_dms against the AWS DMS guide's samples (shared/cdc-samples/dms/aws-docs), our fixtures
(tests/fixtures/dms), the `events decode --format dms` command, and the DMS renderer/applier (moto)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from click.testing import CliRunner
from moto import mock_aws

from cdc.capture import dms as dms_capture
from cdc.cli import main
from cdc.decoders import DECODERS, decode_all
from cdc.decoders.dms import decode_dms, decode_dms_events, parse_stream_position
from cdc.errors import ConfigError, DecodeError, TerminalError
from cdc.events import Op
from lakehouse_schemas.contract import TableContract, load_contracts

HERE = Path(__file__).resolve()
FIXTURES = HERE.parents[1] / "fixtures" / "dms"
ALLTYPES = TableContract.from_yaml((FIXTURES / "alltypes.yaml").read_text(), "alltypes.yaml")
MESSAGES = {m["name"]: m for m in (json.loads(x) for x in (FIXTURES / "messages.jsonl").read_text().splitlines() if x.strip())}

# The DMS guide's sample table (sbtest.sbtest_x: id + three strings), as a contract.
SBTEST = TableContract.from_yaml(
    """
source: s
database: sbtest
table: sbtest_x
target_database: sbtest
target_table: sbtest_x
key: [id]
capture_format: dms
columns:
- {name: id, type: int}
- {name: fname, type: varchar(255)}
- {name: lname, type: varchar(255)}
- {name: REGION, type: varchar(1000)}
"""
)


def _samples() -> Path:
    env = os.environ.get("CDCLAKE_SHARED")
    candidates = ([Path(env) / "cdc-samples"] if env else []) + [p / "shared" / "cdc-samples" for p in HERE.parents]
    for c in candidates:
        if (c / "dms" / "aws-docs").is_dir():
            return c / "dms" / "aws-docs"
    pytest.fail(f"shared/cdc-samples/dms not found (set CDCLAKE_SHARED); looked in {candidates}")


SAMPLES = _samples()
COVERED = {
    "kafka-data-insert-all-metadata.json",
    "kafka-control-create-table.json",
    "table-mapping-add-before-image-columns.json",
    "task-settings-before-image.json",
}


def test_every_shared_dms_sample_is_covered():
    assert {p.name for p in SAMPLES.iterdir()} == COVERED


def test_docs_insert_with_all_metadata():
    ev = decode_dms((SAMPLES / "kafka-data-insert-all-metadata.json").read_text(), contract=SBTEST)
    assert ev is not None and ev.op is Op.CREATE and not ev.snapshot
    assert (ev.database, ev.table, ev.key) == ("sbtest", "sbtest_x", {"id": 100000161})
    assert ev.after == {"id": 100000161, "fname": "val61s", "lname": "val61s", "REGION": "val61s"} and ev.before is None
    # stream-position: binlog file, event position and row of the change; the commit time is the source's.
    assert (ev.position.file, ev.position.pos, ev.position.row) == ("mysql-bin-changelog.002171", 36912271, 0)
    assert ev.position.sort_key == "0000002171:00000000000036912271:1:0000000000"
    assert ev.commit_ts == datetime(2019, 10, 31, 22, 53, 55, tzinfo=UTC)
    assert ev.transaction_id == "9324410911751"
    # The DMS transaction id packs the binlog file index and the transaction's start position.
    assert divmod(int(ev.transaction_id), 2**32)[0] == 2171


def test_docs_control_create_table_is_not_a_row():
    text = (SAMPLES / "kafka-control-create-table.json").read_text()
    assert decode_dms(text, contract=SBTEST) is None
    assert decode_all("dms", text, contract=SBTEST) == []


def test_table_alter_control_record_is_an_error_naming_the_operation():
    doc = json.loads((SAMPLES / "kafka-control-create-table.json").read_text())
    doc["metadata"]["operation"] = "drop-column"
    with pytest.raises(DecodeError) as e:
        decode_dms(json.dumps(doc), contract=SBTEST)
    assert "drop-column" in e.value.reason and e.value.table == "sbtest.sbtest_t1"


def test_our_settings_have_the_shape_of_the_docs_samples():
    """BeforeImageSettings and the table-mapping rules use the keys the DMS guide shows."""
    sample_settings = json.loads((SAMPLES / "task-settings-before-image.json").read_text())
    ours = dms_capture.render([SBTEST]).task_settings
    assert set(ours["BeforeImageSettings"]) == set(sample_settings["BeforeImageSettings"])
    assert ours["BeforeImageSettings"]["EnableBeforeImage"] is True and ours["BeforeImageSettings"]["ColumnFilter"] == "all"
    sample_rules = json.loads((SAMPLES / "table-mapping-add-before-image-columns.json").read_text())["rules"]
    rules = dms_capture.render([SBTEST]).table_mappings["rules"]
    selection = next(r for r in rules if r["rule-type"] == "selection")
    assert set(selection) == set(sample_rules[0])
    # The sample's transformation-rule before image (BI_ prefix) is decoded too.
    prefix = sample_rules[1]["before-image-def"]["column-prefix"]
    doc = json.loads((SAMPLES / "kafka-data-insert-all-metadata.json").read_text())
    doc["metadata"]["operation"] = "update"
    doc["data"][f"{prefix}id"] = 5
    old, new = decode_dms_events(json.dumps(doc), contract=SBTEST)
    assert (old.op, old.key, new.op, new.key) == (Op.DELETE, {"id": 5}, Op.CREATE, {"id": 100000161})


def test_registry_and_types():
    assert DECODERS["dms"] is decode_dms
    ev = decode_dms(MESSAGES["insert"]["value"], contract=ALLTYPES)
    row = ev.after
    assert row["money"] == Decimal("12345678.91") and isinstance(row["money"], Decimal)
    assert row["biu"] == Decimal(18446744073709551615) and row["iu"] == 4294967295
    assert row["vbn"] == b"\x00\x01\xff" and row["b1"] is True
    assert row["dt0"] == datetime(2021, 1, 1, 10, 0) and row["dt0"].tzinfo is None  # DATETIME: a wall clock
    assert row["ts6"] == datetime(2021, 1, 1, 10, 0, 0, 654321, tzinfo=UTC)  # TIMESTAMP: an instant
    assert row["tm6"] == -((838 * 3600 + 59 * 60 + 58) * 10**6 + 999999)


def test_load_is_a_snapshot_read_that_sorts_before_every_change():
    load = decode_dms(MESSAGES["load"]["value"], contract=ALLTYPES)
    ins = decode_dms(MESSAGES["insert"]["value"], contract=ALLTYPES)
    assert load.op is Op.READ and load.snapshot and load.commit_ts == datetime(2021, 1, 1, 9, 0, 0, 500000, tzinfo=UTC)
    assert load.position.sort_key < ins.position.sort_key


def test_delete_carries_the_deleted_row_and_update_its_before_image():
    d = decode_dms(MESSAGES["delete"]["value"], contract=ALLTYPES)
    assert d.op is Op.DELETE and d.after is None and d.before["vc"] == "Grüße 😀" and d.key == {"id": 1}
    u = decode_dms(MESSAGES["update-before-image"]["value"], contract=ALLTYPES)
    assert u.op is Op.UPDATE and u.before["money"] == Decimal("12345678.91") and u.after["money"] == Decimal("0.01")
    assert u.after["vc"] is None


def test_primary_key_change_is_delete_plus_create():
    old, new = decode_dms_events(MESSAGES["pk-change-before-image"]["value"], contract=ALLTYPES)
    assert (old.op, old.key, new.op, new.key) == (Op.DELETE, {"id": 1}, Op.CREATE, {"id": 7})
    assert old.position == new.position
    # The Decoder protocol's single event keeps both images.
    ev = decode_dms(MESSAGES["pk-change-before-image"]["value"], contract=ALLTYPES)
    assert ev.op is Op.UPDATE and ev.before["id"] == 1 and ev.after["id"] == 7
    # A pk-only before image with the same key is an ordinary update.
    assert [e.op for e in decode_dms_events(MESSAGES["update-same-key-pk-only-before"]["value"], contract=ALLTYPES)] == [Op.UPDATE]


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("malformed", "malformed"),
        ("no-stream-position", "IncludeTransactionDetails"),
        ("null-key", "null"),
        ("decimal-too-wide", "money"),
        ("bigint-scientific", "value of bi"),
        ("bad-hex", "vbn"),
        ("bad-datetime", "dt0"),
        ("unknown-operation", "upsert"),
        ("control-add-column", "add-column"),
    ],
)
def test_bad_messages_raise_a_reason(name, needle):
    with pytest.raises(DecodeError) as e:
        decode_dms_events(MESSAGES[name]["value"], contract=ALLTYPES)
    assert needle in e.value.reason


def test_no_contract_is_a_clear_error():
    with pytest.raises(DecodeError, match="contract"):
        decode_dms(MESSAGES["insert"]["value"])


def test_stream_position_parsing():
    assert parse_stream_position("mysql-bin.000003:154:2:200:12884902042:mysql-bin.000003:100") == ("mysql-bin.000003", 154, 2)
    assert parse_stream_position("mysql-bin-changelog.157832:1975:-1:2002:677883278264080:mysql-bin-changelog.157832:1876") == (
        "mysql-bin-changelog.157832",
        1975,
        0,
    )
    assert parse_stream_position("00000002/7C007178.3.00000002/7C007178") is None  # PostgreSQL LSN: not a MySQL source


# --------------------------------------------------------------------------- CLI


def _chinook_invoice_dms(op="insert", invoice_id=1, total="1.98", pos=500):
    row = {"InvoiceId": invoice_id, "CustomerId": 2, "InvoiceDate": "2021-01-01T00:00:00Z", "BillingAddress": "A",
           "BillingCity": "B", "BillingState": None, "BillingCountry": "C", "BillingPostalCode": None, "Total": total}
    meta = {"timestamp": "2021-01-01T00:00:01.000000Z", "record-type": "data", "operation": op, "partition-key-type": "primary-key",
            "schema-name": "Chinook", "table-name": "Invoice", "commit-timestamp": "2021-01-01T00:00:01.000000Z",
            "transaction-id": 4294967396, "transaction-record-id": 1,
            "stream-position": f"mysql-bin.000001:{pos}:0:{pos + 60}:4294967396:mysql-bin.000001:{pos - 40}"}
    return json.dumps({"data": row, "metadata": meta})


def test_events_decode_format_dms():
    invoice = next(c for c in load_contracts("chinook") if c.table == "Invoice")
    assert {c.name for c in invoice.columns} >= {"InvoiceId", "Total", "InvoiceDate"}
    r = CliRunner().invoke(main, ["events", "decode", "--format", "dms", "-"], input=_chinook_invoice_dms() + "\n")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output.strip().splitlines()[-1])
    assert out["op"] == "c" and (out["database"], out["table"]) == ("Chinook", "Invoice") and out["key"] == {"InvoiceId": 1}
    assert out["after"]["Total"] == "1.98" and out["position"]["sort_key"] == "0000000001:00000000000000000500:1:0000000000"
    assert out["commit_ts"].startswith("2021-01-01T00:00:01")
    for field in ("before", "position", "commit_ts"):
        assert field in out


def test_events_decode_format_dms_bad_message_fails():
    bad = _chinook_invoice_dms(total="not money")
    r = CliRunner().invoke(main, ["events", "decode", "--format", "dms", "-"], input=bad + "\n" + _chinook_invoice_dms(invoice_id=2) + "\n")
    assert r.exit_code == 1
    lines = [json.loads(x) for x in r.output.strip().splitlines()]
    assert lines[0]["error"] == "DecodeError" and "Total" in lines[0]["reason"]
    assert lines[1]["key"] == {"InvoiceId": 2}  # the good message after the bad one is still decoded


# --------------------------------------------------------------------------- render + apply


def test_render_routes_every_table_to_its_contract_topic():
    contracts = [c.model_copy(update={"capture_format": "dms", "source": "chinook_dms"}) for c in load_contracts("chinook")]
    config = dms_capture.render(contracts, dms_capture.DmsSettings(security_protocol="plaintext"))
    rules = config.table_mappings["rules"]
    topics = {r["kafka-target-topic"] for r in rules if r["rule-type"] == "object-mapping"}
    assert topics == {c.topic() for c in contracts}
    assert all(t.startswith("chinook_dms.Chinook.") for t in topics)
    assert len({r["rule-id"] for r in rules}) == len(rules)
    k = config.kafka_settings
    for setting in ("IncludeTransactionDetails", "IncludeNullAndEmpty", "IncludeTableAlterOperations", "IncludePartitionValue"):
        assert k[setting] is True, setting
    assert config.task_settings["TargetMetadata"]["BatchApplyEnabled"] is False
    assert "SaslPassword" not in json.dumps(config.model_dump())


def test_render_needs_dms_contracts():
    with pytest.raises(ConfigError):
        dms_capture.render(load_contracts("chinook"))  # the checked-in Chinook contracts are Debezium


def test_dms_render_command_writes_files(tmp_path, monkeypatch):
    monkeypatch.setenv("CDCLAKE_DMS__SECURITY_PROTOCOL", "plaintext")
    r = CliRunner().invoke(main, ["dms", "render", "--help"])
    assert r.exit_code == 0 and "--out" in r.output


@pytest.fixture
def aws(monkeypatch):
    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(k, v)
    with mock_aws():
        yield boto3.session.Session(region_name="eu-west-1")


def test_apply_creates_endpoints_and_task_then_is_idempotent(aws):
    sm = aws.client("secretsmanager")
    sasl = sm.create_secret(Name="msk-sasl", SecretString="s3cret")["ARN"]
    src = sm.create_secret(Name="aurora", SecretString='{"username": "dms", "password": "x"}')["ARN"]
    dms = aws.client("dms")
    instance = dms.create_replication_instance(ReplicationInstanceIdentifier="ri", ReplicationInstanceClass="dms.t3.medium")[
        "ReplicationInstance"
    ]["ReplicationInstanceArn"]
    settings = dms_capture.DmsSettings(
        replication_instance_arn=instance,
        source_secret_arn=src,
        source_secret_access_role_arn="arn:aws:iam::123456789012:role/dms-secrets",
        broker="b-1.msk:9096",
        sasl_username="dms",
        sasl_password_secret_arn=sasl,
    )
    contracts = [c.model_copy(update={"capture_format": "dms", "source": "chinook_dms"}) for c in load_contracts("chinook")]
    logs: list[str] = []
    arns = dms_capture.apply(contracts, settings, session=aws, log=logs.append)
    task = dms.describe_replication_tasks()["ReplicationTasks"][0]
    assert task["ReplicationTaskArn"] == arns["replication_task_arn"] and task["MigrationType"] == "full-load-and-cdc"
    assert json.loads(task["TableMappings"]) == dms_capture.render(contracts, settings).table_mappings
    endpoints = {e["EndpointIdentifier"]: e for e in dms.describe_endpoints()["Endpoints"]}
    assert set(endpoints) == {"cdclake-chinook_dms-kafka", "cdclake-chinook_dms-mysql"}
    assert endpoints["cdclake-chinook_dms-kafka"]["EngineName"] == "kafka"
    assert len(logs) == 3
    # Second run: nothing to create, nothing changed.
    logs.clear()
    assert dms_capture.apply(contracts, settings, session=aws, log=logs.append) == arns
    assert [x for x in logs if "created" in x] == []


def test_apply_modifies_a_changed_task_only_when_stopped():
    """modify_replication_task is not in moto: the botocore Stubber checks the request against the real API model."""
    client = boto3.client("dms", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    contracts = [SBTEST]
    settings = dms_capture.DmsSettings(replication_instance_arn="arn:aws:dms:eu-west-1:1:rep:ri", security_protocol="plaintext")
    config = dms_capture.render(contracts, settings)
    arn = "arn:aws:dms:eu-west-1:1:task:t"
    ep = {"EndpointArn": "arn:aws:dms:eu-west-1:1:endpoint:k", "KafkaSettings": config.kafka_settings}
    old_task = {"ReplicationTaskArn": arn, "MigrationType": "full-load-and-cdc", "Status": "stopped", "TableMappings": '{"rules": []}',
                "ReplicationTaskSettings": json.dumps(config.task_settings)}

    class Session:
        def client(self, name, region_name=None):
            return client

    with Stubber(client) as stub:
        stub.add_response("describe_endpoints", {"Endpoints": [ep]})
        stub.add_response("describe_endpoints", {"Endpoints": [{"EndpointArn": "arn:aws:dms:eu-west-1:1:endpoint:m"}]})
        stub.add_response("describe_replication_tasks", {"ReplicationTasks": [old_task]})
        stub.add_response(
            "modify_replication_task",
            {"ReplicationTask": {**old_task, "TableMappings": json.dumps(config.table_mappings)}},
            {
                "ReplicationTaskArn": arn,
                "MigrationType": "full-load-and-cdc",
                "TableMappings": json.dumps(config.table_mappings, sort_keys=True),
                "ReplicationTaskSettings": json.dumps(config.task_settings, sort_keys=True),
            },
        )
        dms_capture.apply(contracts, settings, session=Session(), log=lambda m: None)
        stub.assert_no_pending_responses()
    with Stubber(client) as stub:
        stub.add_response("describe_endpoints", {"Endpoints": [ep]})
        stub.add_response("describe_endpoints", {"Endpoints": [{"EndpointArn": "arn:aws:dms:eu-west-1:1:endpoint:m"}]})
        stub.add_response("describe_replication_tasks", {"ReplicationTasks": [{**old_task, "Status": "running"}]})
        with pytest.raises(TerminalError, match="stopped"):
            dms_capture.apply(contracts, settings, session=Session(), log=lambda m: None)


# --------------------------------------------------------------------------- the DMS stand-in (dms_emit)


def test_emitted_dms_messages_decode_back_to_the_same_changes():
    """Debezium-style events -> DMS records -> decode_dms: same rows, ops and binlog positions; a key change stays one."""
    from cdc.events import ChangeEvent, SourcePosition
    from tests.support import dms_emit

    row = decode_dms(MESSAGES["insert"]["value"], contract=ALLTYPES).after
    at = datetime(2021, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)

    def ev(op, pos, before=None, after=None, snapshot=False, txn="0-1-9"):
        image = after if after is not None else before
        return ChangeEvent(op=op, database="shop", table="alltypes", key={"id": image["id"]}, before=before, after=after,
                           position=SourcePosition(file="mysql-bin.000004", pos=pos, row=0, snapshot=snapshot),
                           commit_ts=at, snapshot=snapshot, transaction_id=txn)

    r2 = {**row, "id": 2, "money": Decimal("0.10"), "vbn": None}
    events = [
        ev(Op.READ, 100, after=row, snapshot=True, txn=None),
        ev(Op.CREATE, 200, after=r2),
        ev(Op.UPDATE, 300, before=r2, after={**r2, "vc": "neu"}),
        ev(Op.DELETE, 400, before={**r2, "vc": "neu"}),  # a key change: delete + create at one position
        ev(Op.CREATE, 400, after={**r2, "id": 9, "vc": "neu"}),
        ev(Op.DELETE, 500, before=row, txn="0-1-10"),
    ]
    messages = dms_emit.render_messages(events, [ALLTYPES])
    assert len(messages) == 5 and all(t == ALLTYPES.topic() for t, _, _ in messages)
    decoded = [e for _, _, v in messages for e in decode_dms_events(v, contract=ALLTYPES)]
    assert [e.op for e in decoded] == [Op.READ, Op.CREATE, Op.UPDATE, Op.DELETE, Op.CREATE, Op.DELETE]
    for original, back in zip(events, decoded, strict=True):
        assert back.row_image == original.row_image
        assert back.key == original.key and back.commit_ts == original.commit_ts
        if not original.snapshot:
            assert back.position.sort_key == original.position.sort_key
    docs = [json.loads(v) for _, _, v in messages]
    assert "stream-position" not in docs[0]["metadata"] and docs[0]["metadata"]["operation"] == "load"
    assert docs[3]["metadata"]["operation"] == "update" and docs[3]["before-image"]["id"] == 2
    assert docs[1]["data"]["money"] == "0.10" and docs[1]["data"]["dt0"] == "2021-01-01T10:00:00Z"
    tid = docs[1]["metadata"]["transaction-id"]
    assert docs[2]["metadata"]["transaction-id"] == tid and docs[2]["metadata"]["transaction-record-id"] == 2
    assert docs[4]["metadata"]["transaction-id"] != tid and divmod(tid, 2**32)[0] == 4
