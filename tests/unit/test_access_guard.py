"""Deny-by-default resource policies (bucket, KMS key, Glue catalog), the audit, and Terraform's copies of them."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdc.access import audit, guard, policies
from lakehouse_schemas import load_contracts
from tests.support.tf_dev import ACCOUNT, BREAK_GLASS, tf_dev_settings

TF_DEV = Path(__file__).resolve().parents[2] / "terraform" / "envs" / "dev"
FIXTURES = TF_DEV / "tests" / "fixtures"
OTHER = f"arn:aws:iam::{ACCOUNT}:role/any-other-role"


@pytest.fixture(scope="module")
def contracts():
    return load_contracts("chinook")


@pytest.fixture(scope="module")
def settings():
    return tf_dev_settings()


@pytest.fixture(scope="module")
def res(settings, contracts):
    return guard.generate(settings, contracts)


@pytest.fixture(scope="module")
def iam(settings, contracts):
    return policies.generate(settings, contracts)


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/cdclake-dev-{name}"


LAKE = "arn:aws:s3:::example-cdclake-dev-lake"
FIN_OBJ = f"{LAKE}/warehouse/finance/chinook/invoice/part-0.parquet"


def read_object(res, identity: dict, who: str, key_arn: str = FIN_OBJ) -> bool:
    return audit.allowed([identity], [res["bucket"]], who, "s3:GetObject", key_arn)


def list_prefix(res, identity: dict, who: str, prefix: str | None) -> bool:
    ctx = {} if prefix is None else {"s3:prefix": prefix}
    return audit.allowed([identity], [res["bucket"]], who, "s3:ListBucket", LAKE, ctx)


def decrypt(res, who: str, key_arn: str = FIN_OBJ) -> bool:
    return audit.allowed([res["kms"]], [], who, "kms:Decrypt", "*", {"kms:EncryptionContext:aws:s3:arn": key_arn})


def glue_read(res, identity: dict, who: str, db: str = "chinook_finance") -> bool:
    return audit.allowed([identity], [res["glue"]], who, "glue:GetTable", f"arn:aws:glue:eu-west-1:{ACCOUNT}:table/{db}/invoice")


# -- Terraform's fixtures are the generator's output -----------------------------------------------


def fixture_drift(settings, contracts, fixtures: Path = FIXTURES) -> dict[str, str]:
    """file name -> what differs from the generator (empty: every fixture is current)."""
    expected = {f"policy.{n}.json": d for n, d in policies.generate(settings, contracts).items()}
    expected |= {f"resource.{n}.json": d for n, d in guard.generate(settings, contracts).items()}
    expected["lakeformation.grants.json"] = guard.lake_formation_grants(settings, contracts)
    out = {}
    for name, doc in expected.items():
        path = fixtures / name
        if not path.exists():
            out[name] = "missing"
        elif json.loads(path.read_text()) != doc:
            out[name] = "differs from `cdclake access render` (regenerate: docs/access.md)"
    for path in fixtures.glob("*.json"):
        if path.name.startswith(("policy.", "resource.", "lakeformation.")) and path.name not in expected:
            out[path.name] = "not generated any more"
    return out


FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.json") if p.name.startswith(("policy.", "resource.", "lakeformation.")))


def test_fixture_set_is_complete(settings, contracts):
    assert set(FIXTURE_NAMES) == {f"policy.{n}.json" for n in ("writer", "analysts", "finance")} | {
        f"resource.{n}.json" for n in ("bucket", "kms", "glue", "results-bucket")
    } | {"lakeformation.grants.json"}
    assert fixture_drift(settings, contracts) == {}


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_each_terraform_fixture_equals_the_generator_and_an_edit_is_caught(settings, contracts, name, tmp_path):
    path = FIXTURES / name
    doc = json.loads(path.read_text())
    assert name not in fixture_drift(settings, contracts)
    # Mutation: one principal ARN, prefix or action changed by one character is reported.
    edited = copy.deepcopy(doc)
    if "Grants" in edited:
        edited["Grants"][0]["table_permissions"].append("DROP")
        st = {"Resource": [], "Action": []}
    else:
        st = edited["Statement"][0]
    target = st["Condition"]["ArnNotLike"]["aws:PrincipalArn"] if "Condition" in st and "ArnNotLike" in st["Condition"] else None
    if "Grants" in edited:
        pass
    elif target:
        target[0] = target[0] + "x"
    elif isinstance(st["Resource"], list):
        st["Resource"][0] = st["Resource"][0] + "x"
    else:
        st["Action"][0] = st["Action"][0] + "x"
    copy_dir = tmp_path / "fixtures"
    copy_dir.mkdir()
    for p in FIXTURES.glob("*.json"):
        (copy_dir / p.name).write_text(p.read_text())
    (copy_dir / name).write_text(json.dumps(edited))
    assert fixture_drift(settings, contracts, copy_dir) == {name: "differs from `cdclake access render` (regenerate: docs/access.md)"}


# -- the bucket policy --------------------------------------------------------------------------


def test_any_other_role_with_broad_rights_is_denied_finance(res):
    broad = audit.BROAD
    assert not read_object(res, broad, OTHER)
    for prefix in (None, "", "warehouse", "warehouse/", "warehouse/f", "warehouse/finance", "warehouse/finance/", "warehouse/finance/chinook/"):
        assert not list_prefix(res, broad, OTHER, prefix), prefix
    assert not decrypt(res, OTHER)
    assert not glue_read(res, broad, OTHER)
    # Deny is not the only thing it meets: the general domain is denied too (deny by default).
    assert not read_object(res, broad, OTHER, f"{LAKE}/warehouse/general/chinook/customer/part-0.parquet")


def test_finance_reads_finance_analysts_do_not(res, iam):
    assert read_object(res, iam["finance"], role("finance"))
    assert list_prefix(res, iam["finance"], role("finance"), "warehouse/finance/")
    assert decrypt(res, role("finance"))
    assert glue_read(res, iam["finance"], role("finance"))
    assert not read_object(res, iam["analysts"], role("analysts"))
    # Even with a broad identity policy attached by mistake, the analysts role stays out.
    assert not read_object(res, audit.BROAD, role("analysts"))
    assert not decrypt(res, role("analysts"))
    assert not glue_read(res, audit.BROAD, role("analysts"))


def test_writer_and_break_glass_are_the_exceptions(res, iam):
    assert read_object(res, iam["writer"], role("writer"))
    assert audit.allowed([iam["writer"]], [res["bucket"]], role("writer"), "s3:PutObject", FIN_OBJ)
    assert decrypt(res, role("writer"))
    assert read_object(res, audit.BROAD, BREAK_GLASS)
    assert list_prefix(res, audit.BROAD, BREAK_GLASS, "")
    assert decrypt(res, BREAK_GLASS)
    # Dead letters and checkpoints: the writer's (and break-glass) only; finance is denied.
    for key in ("warehouse/_system/_cdclake/dead_letter/x.parquet", "_checkpoints/stream/offsets/0"):
        assert read_object(res, iam["writer"], role("writer"), f"{LAKE}/{key}")
        assert not read_object(res, audit.BROAD, role("finance"), f"{LAKE}/{key}")


def test_removing_a_deny_statement_reopens_finance(res):
    """The checks above can fail: without the finance statements the broad role reads and lists finance."""
    weakened = copy.deepcopy(res)
    weakened["bucket"]["Statement"] = [s for s in weakened["bucket"]["Statement"] if not s["Sid"].endswith("Finance")]
    assert read_object(weakened, audit.BROAD, OTHER)
    assert list_prefix(weakened, audit.BROAD, OTHER, "warehouse/finance/")
    weakened["kms"]["Statement"][1]["Principal"]["AWS"].append(OTHER)
    weakened["kms"]["Statement"] = [s for s in weakened["kms"]["Statement"] if s["Sid"] != "DenyDecryptFinance"]
    assert decrypt(weakened, OTHER)


def test_kms_key_policy_does_not_delegate_to_iam(res, settings):
    statements = {s["Sid"]: s for s in res["kms"]["Statement"]}
    admin = statements["KeyAdministration"]
    assert admin["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]}
    assert not any(a in ("kms:*", "kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncrypt*") for a in admin["Action"])
    users = statements["LakeRolesUseTheKey"]["Principal"]["AWS"]
    assert users == sorted([role("analysts"), role("finance"), role("writer"), BREAK_GLASS, *settings.access.key_user_arns])
    # The account root cannot decrypt (so no IAM policy of the account can grant it).
    assert not decrypt(res, f"arn:aws:iam::{ACCOUNT}:root", "arn:aws:s3:::example-cdclake-dev-artifacts/jobs/stream.py")


def test_results_bucket_keeps_each_readers_results_its_own(res):
    doc = res["results-bucket"]
    fin = "arn:aws:s3:::example-cdclake-dev-athena-results/cdclake-dev-finance/q.csv"
    assert audit.allowed([audit.BROAD], [doc], role("finance"), "s3:GetObject", fin)
    assert not audit.allowed([audit.BROAD], [doc], role("analysts"), "s3:GetObject", fin)
    assert not audit.allowed([audit.BROAD], [doc], OTHER, "s3:GetObject", fin)


def test_without_break_glass_nobody_else_is_exempt(contracts):
    s = tf_dev_settings()
    s = s.model_copy(update={"access": s.access.model_copy(update={"break_glass_role_arn": None})})
    docs = guard.generate(s, contracts)
    assert BREAK_GLASS not in json.dumps(docs)
    assert not read_object(docs, audit.BROAD, BREAK_GLASS)


# -- audit ----------------------------------------------------------------------------------------


def test_audit_lists_who_reads_each_space(settings, contracts):
    rows = {r.space: r for r in audit.who(settings, contracts)}
    assert rows["finance"].objects == ("writer", "finance", "break-glass")
    assert rows["finance"].listing == ("writer", "finance", "break-glass")
    assert rows["finance"].decrypt == ("writer", "finance", "break-glass")
    assert rows["finance"].catalog == ("writer", "finance", "break-glass")
    assert rows["general"].objects == ("writer", "analysts", "break-glass")
    assert rows["_system"].objects == ("writer", "break-glass")
    assert not any(audit.OTHER in r.objects + r.listing + r.decrypt + r.catalog for r in rows.values())
    text = audit.table(list(rows.values()))
    assert "chinook_finance" in text and "s3://example-cdclake-dev-lake/warehouse/finance/" in text


def test_cli_render_and_audit(tmp_path, monkeypatch, settings, contracts):
    from cdc import settings as settings_mod
    from cdc.cli import main

    env = {
        "CDCLAKE_LAKE__ROOT": "s3a://example-cdclake-dev-lake/warehouse",
        "CDCLAKE_LAKE__CHECKPOINT_ROOT": "s3a://example-cdclake-dev-lake/_checkpoints",
        "CDCLAKE_ACCESS__ACCOUNT_ID": ACCOUNT,
        "CDCLAKE_ACCESS__REGION": "eu-west-1",
        "CDCLAKE_ACCESS__KMS_KEY_ARN": settings.access.kms_key_arn,
        "CDCLAKE_ACCESS__MSK_CLUSTER_ARN": settings.access.msk_cluster_arn,
        "CDCLAKE_ACCESS__WORKGROUP_PREFIX": "cdclake-dev-",
        "CDCLAKE_ACCESS__RESULTS_BUCKET": "example-cdclake-dev-athena-results",
        "CDCLAKE_ACCESS__RESULTS_PREFIX": "",
        "CDCLAKE_ACCESS__ROLE_PREFIX": "cdclake-dev-",
        "CDCLAKE_ACCESS__BREAK_GLASS_ROLE_ARN": BREAK_GLASS,
        "CDCLAKE_ACCESS__KEY_USER_ARNS": json.dumps(list(settings.access.key_user_arns)),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings_mod.get_settings.cache_clear()
    try:
        rendered = CliRunner().invoke(main, ["access", "render", "--out", str(tmp_path)])
        audited = CliRunner().invoke(main, ["access", "audit"])
    finally:
        settings_mod.get_settings.cache_clear()
    assert rendered.exit_code == 0, rendered.output
    for name, doc in guard.generate(settings, contracts).items():
        assert json.loads((tmp_path / "resource" / f"{name}.json").read_text()) == doc
        assert (FIXTURES / f"resource.{name}.json").read_text() == (tmp_path / "resource" / f"{name}.json").read_text()
    assert audited.exit_code == 0, audited.output
    finance_line = next(line for line in audited.output.splitlines() if line.startswith("finance "))
    assert "writer, finance, break-glass" in finance_line and "analysts" not in finance_line and "any-other-role" not in finance_line


def test_writer_reaches_only_its_streams_consumer_groups(iam):
    from tests.unit.test_access import allows

    group = "arn:aws:kafka:eu-west-1:111122223333:group/cdclake-dev/00000000-0000-0000-0000-000000000000-1/"
    prefix = policies.consumer_group_prefix("chinook")
    assert allows(iam["writer"], "kafka-cluster:AlterGroup", f"{group}{prefix}-0b9f-driver-0")
    for other in ("spark-kafka-source-0b9f-driver-0", "cdclake-othersource-stream-1", "connect-cluster"):
        assert not allows(iam["writer"], "kafka-cluster:AlterGroup", f"{group}{other}"), other


def test_minio_gets_the_denials_that_apply_to_each_user(settings, contracts, res):
    from cdc.access import minio

    other = minio.bucket_denials(res["bucket"], OTHER)
    assert [s["Sid"] for s in other] == [s["Sid"] for s in res["bucket"]["Statement"]]  # never exempt
    assert not any("ArnNotLike" in s.get("Condition", {}) or "Principal" in s for s in other)
    finance = {s["Sid"] for s in minio.bucket_denials(res["bucket"], role("finance"))}
    assert "DenyObjectsFinance" not in finance and "DenyListingFinance" not in finance
    assert {"DenyObjectsGeneral", "DenyObjectsSystem", "DenyListingOutsideSpaces"} <= finance
    assert minio.bucket_denials(res["bucket"], BREAK_GLASS) == []
    docs = minio.local_documents(settings, contracts, {"other": (OTHER, audit.BROAD)})
    assert set(docs) == {"writer", "analysts", "finance", "other"}
    assert docs["finance"]["Statement"][: len(policies.s3_only(policies.generate(settings, contracts)["finance"])["Statement"])] == (
        policies.s3_only(policies.generate(settings, contracts)["finance"])["Statement"]
    )


def test_lake_formation_grants_mirror_the_domains(settings, contracts):
    grants = {(g["principal"], g["database"]): g for g in guard.lake_formation_grants(settings, contracts)["Grants"]}
    assert set(grants) == {
        (role("writer"), "chinook_finance"), (role("writer"), "chinook_general"),
        (role("finance"), "chinook_finance"), (role("analysts"), "chinook_general"),
    }
    assert grants[(role("finance"), "chinook_finance")]["table_permissions"] == ["DESCRIBE", "SELECT"]
