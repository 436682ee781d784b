"""Metrics, status, exporter and the rendered dashboard/rules: no servers (CloudWatch through moto), no Spark."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
import yaml
from moto import mock_aws
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from cdc import metric_names as M
from cdc.observe import dashboard, exporter, render, rules
from cdc.observe.connector import ConnectorState
from cdc.observe.status import needs_a_person, parse_job
from cdc.settings import Settings
from lakehouse_schemas.contract import load_contracts
from spark_jobs import metrics

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / "observe" / "chinook"
NOW = 1_800_000_000.0


def _view() -> metrics.JobView:
    v = metrics.JobView()
    v.applied("shop.orders", 7, NOW - 40, now=NOW - 30)
    v.applied("shop.orders", 3, NOW - 20, now=NOW - 10)
    v.applied("shop.items", 2, None)
    v.dead_lettered("shop.items", 4)
    v.blocked_tables({"shop.items"}, {"shop.items", "shop.orders"})
    v.progress(1.5, 12, 8.0, {("src.shop.orders", 0): 5, ("src.shop.items", 0): 0}, NOW - 5)
    return v


def _samples(view: metrics.JobView, now: float = NOW) -> dict[tuple[str, tuple], float]:
    text = "".join(generate_latest_families(view, now))
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples
            if not s.name.endswith("_created")}


def generate_latest_families(view: metrics.JobView, now: float) -> list[str]:
    class C:
        def collect(self):
            return view.families(now)

    reg = CollectorRegistry(auto_describe=False)
    reg.register(C())
    return [generate_latest(reg).decode()]


def test_job_metrics_are_the_batches_aggregates():
    s = _samples(_view())
    t = lambda name: (("table", name),)
    assert s[(M.CHANGES_APPLIED, t("shop.orders"))] == 10 and s[(M.CHANGES_APPLIED, t("shop.items"))] == 2
    assert s[(M.LAST_COMMIT_TS, t("shop.orders"))] == NOW - 20
    assert s[(M.FRESHNESS, t("shop.orders"))] == 20  # computed at scrape time
    assert s[(M.BATCH_LAG, t("shop.orders"))] == 10  # applied at NOW-10 a change committed at NOW-20
    assert (M.FRESHNESS, t("shop.items")) not in s  # nothing with a commit time applied yet: no figure, not a zero
    assert s[(M.BLOCKED, t("shop.items"))] == 1 and s[(M.BLOCKED, t("shop.orders"))] == 0
    assert s[(M.DEAD_LETTERS_PENDING, t("shop.items"))] == 4 and s[(M.DEAD_LETTERS, t("shop.items"))] == 4
    assert s[(M.KAFKA_LAG, (("partition", "0"), ("table", "shop.orders"), ("topic", "src.shop.orders")))] == 5
    assert s[(M.BATCHES, ())] == 1 and s[(M.BATCH_INPUT_ROWS, ())] == 12 and s[(M.BATCH_ROWS_PER_SECOND, ())] == 8.0
    assert s[(M.BATCH_DURATION, ())] == 1.5 and s[(M.LAST_BATCH_TS, ())] == NOW - 5
    # freshness keeps growing while nothing is applied
    assert _samples(_view(), NOW + 100)[(M.FRESHNESS, t("shop.orders"))] == 120


def test_job_metrics_catch_a_one_value_difference():
    v = _view()
    v.applied("shop.orders", 1, None)
    assert _samples(v) != _samples(_view())
    v2 = _view()
    v2.pending("shop.items", 3)  # a replay left 3 of the 4 pending
    assert _samples(v2)[(M.DEAD_LETTERS_PENDING, (("table", "shop.items"),))] == 3


def test_idle_batches_do_not_count_and_unblocking_shows():
    v = _view()
    v.progress(0.1, 0, 0.0, {("src.shop.orders", 0): 0}, NOW)
    v.blocked_tables(set(), {"shop.items"})
    s = _samples(v)
    assert s[(M.BATCHES, ())] == 1 and s[(M.LAST_BATCH_TS, ())] == NOW - 5 and s[(M.LAST_PROGRESS_TS, ())] == NOW
    assert s[(M.BLOCKED, (("table", "shop.items"),))] == 0


def test_kafka_lag_from_the_progress_offsets():
    end = json.dumps({"a.b.c": {"0": 10, "1": 7}})
    latest = json.dumps({"a.b.c": {"0": 15, "1": 7}, "a.b.d": {"0": 3}})
    assert metrics.kafka_lag(end, latest) == {("a.b.c", 0): 5, ("a.b.c", 1): 0, ("a.b.d", 0): 3}
    assert metrics.kafka_lag(None, latest) == {}


def test_listener_feeds_the_view_from_spark_progress():
    view = metrics.JobView()
    listener = metrics.ProgressListener(view, "cdclake-src")
    source = SimpleNamespace(endOffset=json.dumps({"src.shop.t": {"0": 4}}), latestOffset=json.dumps({"src.shop.t": {"0": 9}}))
    progress = SimpleNamespace(name="cdclake-src", sources=[source], numInputRows=4, batchDuration=2000, processedRowsPerSecond=2.0)
    listener.onQueryProgress(SimpleNamespace(progress=progress))
    listener.onQueryProgress(SimpleNamespace(progress=SimpleNamespace(**{**vars(progress), "name": "another-query"})))
    assert view.batches == 1 and view.batch_duration_s == 2.0 and view.kafka_lag == {("src.shop.t", 0): 5}


@mock_aws
def test_cloudwatch_gets_the_same_figures():
    client = boto3.client("cloudwatch", region_name="us-east-1")
    n = metrics.CloudWatchPublisher("cdclake-test", "us-east-1", client).publish(_view())
    assert n == len(_view().cloudwatch_data())
    listed = {(m["MetricName"], tuple((d["Name"], d["Value"]) for d in m["Dimensions"]))
              for m in client.list_metrics(Namespace="cdclake-test")["Metrics"]}
    assert (M.cloudwatch_name(M.BLOCKED), (("Table", "shop.items"),)) in listed
    assert (M.cloudwatch_name(M.KAFKA_LAG), (("Table", "shop.orders"),)) in listed
    assert (M.cloudwatch_name(M.BATCHES), ()) in listed
    stats = client.get_metric_statistics(
        Namespace="cdclake-test", MetricName=M.cloudwatch_name(M.CHANGES_APPLIED), Dimensions=[{"Name": "Table", "Value": "shop.orders"}],
        StartTime="2000-01-01T00:00:00Z", EndTime="2100-01-01T00:00:00Z", Period=60, Statistics=["Maximum"],
    )["Datapoints"]
    assert [d["Maximum"] for d in stats] == [10.0]


def test_status_needs_a_person_for_a_blocked_table_or_a_failed_task():
    text = "".join(generate_latest_families(_view(), NOW))
    job = parse_job(text, "http://x/metrics", NOW)
    assert [(t.table, t.blocked, t.dead_letters_pending, t.kafka_lag, t.applied) for t in job.tables] == [
        ("shop.items", True, 4, 0, 2), ("shop.orders", False, 0, 5, 10)]
    assert job.last_batch_age_s == 5 and job.last_batch_rows == 12
    healthy = ConnectorState("c", connect_up=True, registered=True, state="RUNNING", tasks={"0": "RUNNING"})
    attention = needs_a_person(healthy, job)
    assert len(attention) == 1 and "shop.items is blocked" in attention[0]
    ok_view = _view()
    ok_view.blocked_tables(set(), {"shop.items"})
    ok_view.pending("shop.items", 0)
    ok_job = parse_job("".join(generate_latest_families(ok_view, NOW)), "http://x/metrics", NOW)
    assert needs_a_person(healthy, ok_job) == []
    failed = ConnectorState("c", connect_up=True, registered=True, state="RUNNING", tasks={"0": "FAILED"})
    assert any("task(s) ['0']" in a for a in needs_a_person(failed, ok_job))
    down = ConnectorState("c", errors=["Kafka Connect at http://x is not reachable"])
    assert any("Kafka Connect is not reachable" in a for a in needs_a_person(down, ok_job))


def test_exporter_reports_connect_down_and_failed_tasks():
    def sample(st):
        return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in exporter.families(st) for s in f.samples}

    down = sample(ConnectorState("c"))
    assert down == {(M.CONNECT_UP, (("connector", "c"),)): 0}
    st = ConnectorState("c", connect_up=True, registered=True, state="RUNNING", tasks={"0": "FAILED"}, bytes_behind=120, files_behind=0)
    s = sample(st)
    assert s[(M.TASK_RUNNING, (("connector", "c"), ("state", "FAILED"), ("task", "0")))] == 0
    assert s[(M.CONNECTOR_RUNNING, (("connector", "c"),))] == 1 and s[(M.BINLOG_BYTES_BEHIND, (("connector", "c"),))] == 120
    assert s[(M.BINLOG_GAP, (("connector", "c"),))] == 0


def test_dashboard_round_trips_with_a_row_and_panels_per_table():
    contracts = load_contracts("chinook")
    loaded = dashboard.load(dashboard.render_json("chinook", contracts, 900))
    rows = [p.title for p in loaded.panels if type(p).__name__ == "RowPanel"]
    assert rows[0] == "Pipeline" and len(rows) == len(contracts) + 1
    for c in contracts:
        panels = [p for p in loaded.panels if type(p).__name__ == "Panel" and any(
            f'table="{c.qualified_source}"' in (getattr(t, "expr", "") or "") for t in (p.targets or []))]
        assert len(panels) == 3, c.qualified_source
    # the model holds the queries, not just titles: one changed contract changes the dashboard
    renamed = [contracts[0].model_copy(update={"table": "Renamed"}), *contracts[1:]]
    assert dashboard.render_json("chinook", renamed, 900) != dashboard.render_json("chinook", contracts, 900)


def test_freshness_threshold_default_and_per_contract_override():
    contracts = load_contracts("chinook")
    override = [contracts[0].model_copy(update={"freshness_alert_s": 60}), *contracts[1:]]
    by_table = {r["labels"].get("table"): r["expr"] for r in rules.rules(override, 900)["groups"][0]["rules"]
                if r["alert"] == "CdcLakeTableStale"}
    assert "> 60 and" in by_table[contracts[0].qualified_source]
    assert "> 900 and" in by_table[contracts[1].qualified_source]
    assert len(by_table) == len(contracts)
    assert contracts[0].fingerprint == override[0].fingerprint  # a threshold never replays dead letters


def test_checked_in_renderings_are_current():
    """`cdclake observe render --out observe/chinook` wrote them; terraform/envs/dev reads the tfvars."""
    s = Settings()
    for rel, text in render.files("chinook", load_contracts("chinook"), s.metrics.freshness_alert_s).items():
        assert (CHECKED_IN / rel).read_text() == text, f"observe/chinook/{rel} is stale: run `cdclake observe render --out observe/chinook`"
    tf = ROOT / "terraform" / "envs" / "dev" / "observe.auto.tfvars.json"
    assert tf.read_text() == (CHECKED_IN / render.TFVARS).read_text()


@pytest.fixture(scope="module")
def promtool() -> Path:
    from cdc.devstack.artifacts import prometheus_binaries

    return prometheus_binaries(Settings(), log=lambda m: None)[1]


def test_promtool_checks_and_tests_the_rules(promtool):
    rules_dir = CHECKED_IN / "prometheus"
    check = subprocess.run([str(promtool), "check", "rules", str(rules_dir / "rules.yml")], check=False, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    test = subprocess.run([str(promtool), "test", "rules", "rules.test.yml"], check=False, capture_output=True, text=True, cwd=rules_dir)
    assert test.returncode == 0, test.stdout + test.stderr


def test_promtool_catches_a_wrong_rule(promtool, tmp_path):
    """The rule tests can fail: a blocked-table rule with the wrong threshold fails them."""
    rules_dir = CHECKED_IN / "prometheus"
    (tmp_path / "rules.yml").write_text((rules_dir / "rules.yml").read_text().replace(f"{M.BLOCKED} == 1", f"{M.BLOCKED} == 2"))
    (tmp_path / "rules.test.yml").write_text((rules_dir / "rules.test.yml").read_text())
    test = subprocess.run([str(promtool), "test", "rules", "rules.test.yml"], check=False, capture_output=True, text=True, cwd=tmp_path)
    assert test.returncode != 0 and "CdcLakeTableBlocked" in test.stdout + test.stderr


def test_prometheus_is_an_opt_in_server_with_ports_from_settings(tmp_path):
    from cdc import devstack
    from cdc.devstack.prometheus import PrometheusServer
    from cdc.settings import MetricsSettings, StackSettings

    s = Settings(stack=StackSettings(state_dir=tmp_path, prometheus_port=19999, prometheus_scrape_interval_s=3),
                 metrics=MetricsSettings(port=19998, exporter_port=19997))
    assert "prometheus" not in [x.name for x in devstack.servers(s)]
    assert [x.name for x in devstack.servers(s, list(devstack.SERVERS))][-1] == "prometheus"
    assert [x.name for x in devstack.servers(s, ["prometheus"])] == ["prometheus"]
    server = PrometheusServer(s)
    server.configure(load_contracts("chinook"))
    config = yaml.safe_load(server.config_path.read_text())
    assert config["global"]["scrape_interval"] == "3s"
    assert {c["job_name"]: c["static_configs"][0]["targets"] for c in config["scrape_configs"]} == {
        M.EXPORTER_SCRAPE: ["127.0.0.1:19997"], M.JOB_SCRAPE: ["127.0.0.1:19998"]}
    server.binary = Path("prometheus")
    assert "--web.listen-address=127.0.0.1:19999" in server.command()
    assert server.rules_path.read_text() == rules.dump(rules.rules(load_contracts("chinook"), s.metrics.freshness_alert_s))
