"""Generated IAM policies (least privilege, from the contracts), Athena workgroups (moto) and the PII key."""

from __future__ import annotations

import fnmatch
import json

import boto3
import pytest
from click.testing import CliRunner
from moto import mock_aws

from cdc.access import athena, policies
from cdc.access.minio import ensure_users
from cdc.errors import ConfigError
from cdc.settings import AccessSettings, LakeSettings, PiiSettings, Settings
from lakehouse_schemas import load_contracts
from tests.support.tf_dev import tf_dev_settings

LAKE = "s3a://corp-lake/warehouse"
KMS = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MSK = "arn:aws:kafka:eu-west-1:111122223333:cluster/cdc/0f1e2d3c-aaaa-bbbb-cccc-000000000000-1"


@pytest.fixture(scope="module")
def contracts():
    return load_contracts("chinook")


@pytest.fixture(scope="module")
def settings():
    return Settings(
        lake=LakeSettings(root=LAKE, checkpoint_root="s3a://corp-lake/_checkpoints"),
        access=AccessSettings(account_id="111122223333", region="eu-west-1", kms_key_arn=KMS, msk_cluster_arn=MSK),
    )


@pytest.fixture(scope="module")
def docs(settings, contracts):
    return policies.generate(settings, contracts)


# -- a small IAM evaluator (Allow statements only, StringLike/StringEquals), for least-privilege checks --


def _match(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


def allows(doc: dict, action: str, resource: str, context: dict | None = None) -> bool:
    context = context or {}
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow"
        if not any(_match(a, action) for a in st["Action"]):
            continue
        if not any(_match(r, resource) for r in st["Resource"]):
            continue
        ok = True
        for op, conds in st.get("Condition", {}).items():
            for key, values in conds.items():
                if key not in context:
                    ok = False
                    continue
                test = _match if op == "StringLike" else (lambda p, v: p == v)
                ok &= any(test(p, context[key]) for p in values)
        if ok:
            return True
    return False


def obj(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{bucket}/{key}"


def _key(uri: str) -> str:
    return uri.split("://", 1)[1].split("/", 1)[1]


def _paths(c) -> list[str]:
    return [_key(p(LAKE)) for p in (c.table_path, c.history_path, c.snapshot_path)]


def test_principals_and_domains_come_from_contracts(settings, contracts, docs):
    assert set(docs) == {"writer", "analysts", "finance"}
    assert {c.domain for c in contracts} == {"finance", "general"}
    assert {c.table for c in contracts if c.domain == "finance"} == {"Invoice", "InvoiceLine"}
    for doc in docs.values():
        assert doc["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in doc["Statement"]]
        assert len(sids) == len(set(sids))
        assert all(s["Effect"] == "Allow" for s in doc["Statement"])
        # No wildcard action and no wildcard resource anywhere.
        assert not any(a.endswith(":*") or a == "*" for s in doc["Statement"] for a in s["Action"])
        assert not any(r == "*" for s in doc["Statement"] for r in s["Resource"])
        # IAM's managed-policy size limit (characters without whitespace).
        assert len(json.dumps(doc, separators=(",", ":"))) < 6144


@pytest.mark.parametrize("reader", ["analysts", "finance"])
def test_reader_reads_exactly_its_domain_and_writes_nothing_in_the_lake(settings, contracts, docs, reader):
    doc = docs[reader]
    own = set(settings.access.readers[reader])
    for c in contracts:
        for key in _paths(c):
            mine = c.domain in own
            assert allows(doc, "s3:GetObject", obj("corp-lake", f"{key}/.hoodie/hoodie.properties")) is mine, (reader, key)
            assert allows(doc, "s3:ListBucket", "arn:aws:s3:::corp-lake", {"s3:prefix": f"{key}/"}) is mine, (reader, key)
            for write in ("s3:PutObject", "s3:DeleteObject"):
                assert not allows(doc, write, obj("corp-lake", f"{key}/x.parquet"))
    # ListBucket is never unconditional: not the bucket root, not the lake root, not a sibling prefix.
    for prefix in ("", "warehouse/", "warehouse/fin", "warehouse/_system/", "warehouse/financeX/"):
        assert not allows(doc, "s3:ListBucket", "arn:aws:s3:::corp-lake", {"s3:prefix": prefix}), prefix
    assert not allows(doc, "s3:ListBucket", "arn:aws:s3:::corp-lake")
    assert not allows(doc, "s3:GetObject", obj("corp-lake", "warehouse/_system/_cdclake/dead_letter/x.parquet"))
    assert not allows(doc, "s3:GetObject", obj("corp-lake", "_checkpoints/stream-chinook/offsets/0"))


def test_finance_policy_grants_only_finance(settings, docs):
    text = json.dumps(docs["finance"])
    assert "warehouse/general" not in text
    assert "chinook_general" not in text
    assert "cdclake-analysts" not in text
    doc = docs["finance"]
    list_st = next(s for s in doc["Statement"] if s["Sid"] == "ListOwnDomains")
    assert list_st["Resource"] == ["arn:aws:s3:::corp-lake"]
    assert list_st["Condition"] == {"StringLike": {"s3:prefix": ["warehouse/finance/", "warehouse/finance/*"]}}
    # Athena: only its own workgroup.
    assert allows(doc, "athena:StartQueryExecution", "arn:aws:athena:eu-west-1:111122223333:workgroup/cdclake-finance")
    assert not allows(doc, "athena:StartQueryExecution", "arn:aws:athena:eu-west-1:111122223333:workgroup/cdclake-analysts")
    assert not allows(doc, "athena:StartQueryExecution", "arn:aws:athena:eu-west-1:111122223333:workgroup/primary")
    # Glue: the finance database and its tables only.
    glue = "arn:aws:glue:eu-west-1:111122223333"
    assert allows(doc, "glue:GetTable", f"{glue}:table/chinook_finance/invoice")
    assert allows(doc, "glue:GetDatabase", f"{glue}:database/chinook_finance")
    assert not allows(doc, "glue:GetTable", f"{glue}:table/chinook_general/customer")
    assert not allows(doc, "glue:CreateTable", f"{glue}:table/chinook_finance/invoice")
    # KMS: decrypt the lake key, through S3 only.
    assert allows(doc, "kms:Decrypt", KMS, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    assert not allows(doc, "kms:Decrypt", KMS)
    # Writes: its own results prefix only.
    assert allows(doc, "s3:PutObject", obj("corp-lake", "athena-results/cdclake-finance/q1.csv"))
    assert not allows(doc, "s3:PutObject", obj("corp-lake", "athena-results/cdclake-analysts/q1.csv"))
    assert not allows(doc, "s3:PutObject", obj("corp-lake", "warehouse/finance/chinook/invoice/x"))


def test_writer_writes_every_domain_and_nothing_else(settings, contracts, docs):
    doc = docs["writer"]
    for c in contracts:
        for key in _paths(c):
            assert allows(doc, "s3:PutObject", obj("corp-lake", f"{key}/.hoodie/x.commit"))
            assert allows(doc, "s3:ListBucket", "arn:aws:s3:::corp-lake", {"s3:prefix": f"{key}/"})
    assert allows(doc, "s3:PutObject", obj("corp-lake", "warehouse/_system/_cdclake/dead_letter/x.parquet"))
    assert allows(doc, "s3:PutObject", obj("corp-lake", "_checkpoints/stream-chinook/offsets/0"))
    for outside in ("other/x", "warehouse/x", "warehouse/unknown-domain/x", "athena-results/cdclake-finance/x"):
        assert not allows(doc, "s3:PutObject", obj("corp-lake", outside)), outside
    assert not allows(doc, "s3:ListBucket", "arn:aws:s3:::corp-lake", {"s3:prefix": ""})
    glue = "arn:aws:glue:eu-west-1:111122223333"
    for c in contracts:
        assert allows(doc, "glue:CreateTable", f"{glue}:table/{c.glue_database}/{c.target_table}")
    assert not allows(doc, "glue:CreateTable", f"{glue}:table/default/x")
    assert not any(a.startswith("athena:") for s in doc["Statement"] for a in s["Action"])
    # MSK: the source's table topics, read only.
    topic = "arn:aws:kafka:eu-west-1:111122223333:topic/cdc/0f1e2d3c-aaaa-bbbb-cccc-000000000000-1/chinook.Chinook.Invoice"
    assert allows(doc, "kafka-cluster:ReadData", topic)
    assert not allows(doc, "kafka-cluster:WriteData", topic)
    assert not allows(doc, "kafka-cluster:ReadData", topic.replace("chinook.Chinook.Invoice", "other.db.t"))


def test_writer_reads_the_connect_offsets_topic_only_when_the_gap_check_uses_it(settings, contracts, docs):
    """MSK Connect has no REST API: the scheduled gap check reads the workers' offsets topic as the writer."""
    cluster_tail = MSK.split(":cluster/")[1]
    topic = f"arn:aws:kafka:eu-west-1:111122223333:topic/{cluster_tail}/cdclake-dev-chinook-offsets"
    group = f"arn:aws:kafka:eu-west-1:111122223333:group/{cluster_tail}/cdclake-offsets-cdclake-chinook"
    assert not allows(docs["writer"], "kafka-cluster:ReadData", topic)
    with_topic = settings.model_copy(update={"connect": settings.connect.model_copy(update={"offsets_topic": "cdclake-dev-chinook-offsets"})})
    writer = policies.generate(with_topic, contracts)["writer"]
    assert allows(writer, "kafka-cluster:ReadData", topic)
    assert allows(writer, "kafka-cluster:DescribeGroup", group)
    assert not allows(writer, "kafka-cluster:WriteData", topic)
    assert not allows(writer, "kafka-cluster:ReadData", topic.replace("chinook-offsets", "other-offsets"))


def test_writer_publishes_metrics_only_to_its_namespace(settings, contracts, docs):
    assert not allows(docs["writer"], "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "cdclake"})
    with_ns = settings.model_copy(update={"metrics": settings.metrics.model_copy(update={"cloudwatch_namespace": "cdclake"})})
    writer = policies.generate(with_ns, contracts)["writer"]
    assert allows(writer, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "cdclake"})
    assert not allows(writer, "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "AWS/EC2"})
    assert not allows(policies.generate(with_ns, contracts)["finance"], "cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "cdclake"})


def test_new_finance_table_needs_no_policy_change(settings, contracts, docs):
    """Adding a table to an existing domain and lake database leaves every document unchanged."""
    extra = contracts[0].model_copy(update={"table": "Payment", "target_table": "payment", "domain": "finance"})
    assert policies.generate(settings, [*contracts, extra]) == docs
    # A new lake database in the domain adds exactly its Glue database ARNs.
    new_db = extra.model_copy(update={"target_database": "billing"})
    finance = json.dumps(policies.generate(settings, [*contracts, new_db])["finance"])
    assert "database/billing_finance" in finance and "table/billing_finance/*" in finance


def test_unknown_reader_domain_is_rejected(settings, contracts):
    bad = settings.model_copy(update={"access": settings.access.model_copy(update={"readers": {"finance": ("finanse",)}})})
    with pytest.raises(ConfigError, match="finanse"):
        policies.generate(bad, contracts)


def test_file_lake_without_bucket_is_a_clear_error(contracts, tmp_path):
    s = Settings(lake=LakeSettings(root=tmp_path.as_uri()))
    with pytest.raises(ConfigError, match="not in S3"):
        policies.generate(s, contracts)


def test_minio_gets_exactly_the_s3_statements(settings, docs):
    class FakeAdmin:
        def __init__(self):
            self.policies, self.users, self.attached = {}, {}, {}

        def policy_add(self, name, policy):
            self.policies[name] = policy

        def user_add(self, name, secret):
            self.users[name] = secret

        def user_info(self, name):
            return json.dumps({"policyName": ",".join(self.attached.get(name, []))})

        def attach_policy(self, names, user):
            self.attached.setdefault(user, []).extend(names)

        def detach_policy(self, names, user):
            self.attached[user] = [p for p in self.attached[user] if p not in names]

    admin = FakeAdmin()
    admin.attached["t-finance"] = ["readwrite"]  # a stale grant is removed
    users = ensure_users(settings, docs, name_prefix="t-", admin=admin)
    assert set(users) == set(docs)
    for principal, doc in docs.items():
        sent = admin.policies[f"t-{principal}"]
        assert all(a.startswith("s3:") for s in sent["Statement"] for a in s["Action"])
        s3_statements = [s for s in doc["Statement"] if any(a.startswith("s3:") for a in s["Action"])]
        assert sent["Statement"] == s3_statements  # unchanged, not rewritten
        assert admin.attached[f"t-{principal}"] == [f"t-{principal}"]


# -- Athena workgroups --------------------------------------------------------------------------


def test_workgroups_render(settings, contracts):
    wgs = {w.principal: w for w in athena.workgroups(settings, contracts)}
    assert set(wgs) == {"analysts", "finance"}
    req = wgs["finance"].create_request()
    assert req["Name"] == "cdclake-finance"
    conf = req["Configuration"]
    assert conf["EnforceWorkGroupConfiguration"] is True
    assert conf["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert conf["ResultConfiguration"]["OutputLocation"] == "s3://corp-lake/athena-results/cdclake-finance/"
    assert conf["ResultConfiguration"]["EncryptionConfiguration"] == {"EncryptionOption": "SSE_KMS", "KmsKey": KMS}
    # The workgroup's results prefix is exactly where the finance role may write.
    finance = policies.generate(settings, contracts)["finance"]
    assert allows(finance, "s3:PutObject", obj("corp-lake", "athena-results/cdclake-finance/abc.csv"))


@mock_aws
def test_workgroups_apply_with_moto(settings, contracts):
    client = boto3.client("athena", region_name="eu-west-1")
    assert athena.apply(settings, contracts, client=client, log=lambda m: None) == {
        "cdclake-analysts": "created",
        "cdclake-finance": "created",
    }
    got = client.get_work_group(WorkGroup="cdclake-finance")["WorkGroup"]
    conf = got["Configuration"]
    assert conf["EnforceWorkGroupConfiguration"] is True
    assert conf["BytesScannedCutoffPerQuery"] == 10 * 1024**3
    assert conf["ResultConfiguration"]["OutputLocation"] == "s3://corp-lake/athena-results/cdclake-finance/"
    assert conf["ResultConfiguration"]["EncryptionConfiguration"]["KmsKey"] == KMS
    # Idempotent: a second apply changes nothing.
    assert set(athena.apply(settings, contracts, client=client, log=lambda m: None).values()) == {"unchanged"}


def test_workgroup_drift_is_updated(settings, contracts):
    """moto has no UpdateWorkGroup: the update request is checked against botocore's real API model."""
    from botocore.stub import Stubber

    client = boto3.client("athena", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    wgs = athena.workgroups(settings, contracts)
    with Stubber(client) as stub:
        for wg in wgs:
            drifted = {"Name": wg.name, "State": "ENABLED", "Configuration": {**wg.configuration(), "EnforceWorkGroupConfiguration": False}}
            stub.add_response("get_work_group", {"WorkGroup": drifted}, {"WorkGroup": wg.name})
            stub.add_response("update_work_group", {}, wg.update_request())
        assert set(athena.apply(settings, contracts, client=client, log=lambda m: None).values()) == {"updated"}
        stub.assert_no_pending_responses()


def test_cli_render_writes_what_terraform_reads(tmp_path, monkeypatch, docs):
    from cdc import settings as settings_mod
    from cdc.cli import main

    monkeypatch.setenv("CDCLAKE_LAKE__ROOT", LAKE)
    monkeypatch.setenv("CDCLAKE_LAKE__CHECKPOINT_ROOT", "s3a://corp-lake/_checkpoints")
    monkeypatch.setenv("CDCLAKE_ACCESS__ACCOUNT_ID", "111122223333")
    monkeypatch.setenv("CDCLAKE_ACCESS__REGION", "eu-west-1")
    monkeypatch.setenv("CDCLAKE_ACCESS__KMS_KEY_ARN", KMS)
    monkeypatch.setenv("CDCLAKE_ACCESS__MSK_CLUSTER_ARN", MSK)
    settings_mod.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["access", "render", "--out", str(tmp_path)])
    finally:
        settings_mod.get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    for name, doc in docs.items():
        assert json.loads((tmp_path / "iam" / f"{name}.json").read_text()) == doc
    assert json.loads((tmp_path / "athena" / "cdclake-finance.json").read_text())["Name"] == "cdclake-finance"


# -- PII key --------------------------------------------------------------------------------------


def test_pii_key_from_env(monkeypatch, tmp_path):
    from cdc.access.pii import pii_key
    from cdc.settings import StackSettings

    monkeypatch.setenv("CDCLAKE_PII__KEY", "k-from-env")
    assert pii_key(Settings(stack=StackSettings(state_dir=tmp_path))) == b"k-from-env"


@mock_aws
def test_pii_key_from_secrets_manager(tmp_path):
    from cdc.access import pii
    from cdc.settings import StackSettings

    sm = boto3.client("secretsmanager", region_name="eu-west-1")
    arn = sm.create_secret(Name="cdclake/pii-key", SecretString="k-from-secrets-manager")["ARN"]
    pii._secret_key.cache_clear()
    s = Settings(stack=StackSettings(state_dir=tmp_path), pii=PiiSettings(secret_id=arn, secret_region="eu-west-1"))
    assert pii.pii_key(s) == b"k-from-secrets-manager"
    # The writer may read exactly that secret.
    s = s.model_copy(update={"lake": LakeSettings(root=LAKE)})
    writer = policies.generate(s, load_contracts("chinook"))["writer"]
    assert allows(writer, "secretsmanager:GetSecretValue", arn)
    missing = s.model_copy(update={"pii": PiiSettings(secret_id="no-such-secret", secret_region="eu-west-1")})
    with pytest.raises(ConfigError, match="no-such-secret"):
        pii.pii_key(missing)


def test_pii_key_missing_is_a_clear_error(tmp_path, monkeypatch):
    from cdc.access.pii import pii_key
    from cdc.settings import StackSettings

    monkeypatch.delenv("CDCLAKE_PII__KEY", raising=False)
    with pytest.raises(ConfigError, match="CDCLAKE_PII__KEY"):
        pii_key(Settings(stack=StackSettings(state_dir=tmp_path)))


# -- Terraform consumes exactly these documents -----------------------------------------------------

TF_DEV = __import__("pathlib").Path(__file__).resolve().parents[2] / "terraform" / "envs" / "dev"


def test_terraform_fixtures_are_the_generated_documents(contracts):
    """terraform/envs/dev's test attaches these files; they must be what `cdclake access render` writes."""
    docs = policies.generate(tf_dev_settings(), contracts)
    for name, doc in docs.items():
        path = TF_DEV / "tests" / "fixtures" / f"policy.{name}.json"
        assert json.loads(path.read_text()) == doc, f"{path} is stale: regenerate it (docs/access.md, Terraform)"


def test_terraform_names_match_the_generated_ones(contracts):
    """Workgroup names, results locations and Glue databases line up with the Terraform modules' naming."""
    import re

    s = tf_dev_settings()
    tfvars = (TF_DEV / "terraform.tfvars.example").read_text()
    name_prefix = re.search(r'^name_prefix\s*=\s*"([^"]+)"', tfvars, re.MULTILINE).group(1)
    glue_prefix = re.search(r'^glue_database_prefix\s*=\s*"([^"]+)"', tfvars, re.MULTILINE).group(1)
    results_bucket = re.search(r'^athena_results_bucket_name\s*=\s*"([^"]+)"', tfvars, re.MULTILINE).group(1)
    # athena_workgroups: name = "<name_prefix>-<key>", results at s3://<results bucket>/<name>/
    for wg in athena.workgroups(s, contracts):
        assert wg.name == f"{name_prefix}-{wg.principal}"
        assert wg.output_location == f"s3://{results_bucket}/{wg.name}/"
    # glue_catalog: database "<prefix><domain>" == TableContract.glue_database
    assert {c.glue_database for c in contracts} == {f"{glue_prefix}{d}" for d in policies.domains(contracts)}
    # policy_document_files point at the rendered folder
    for name in policies.generate(s, contracts):
        assert f'{name} = {{ lake = "../../../build/access/iam/{name}.json" }}' in re.sub(r"\s+", " ", tfvars)
