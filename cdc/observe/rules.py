"""Prometheus alert rules and their promtool unit tests, generated from the contracts.

Every table gets its freshness rule with the contract's ``freshness_alert_s`` or the settings' default;
the other rules cover the whole pipeline. ``fast`` (tests only) drops every ``for`` so an e2e test sees
an alert on the next evaluation instead of minutes later.
"""

from __future__ import annotations

import yaml

from cdc import metric_names as M
from lakehouse_schemas.contract import TableContract

GROUP = "cdclake"


def freshness_threshold(contract: TableContract, default_s: int) -> int:
    return contract.freshness_alert_s or default_s


def _rule(name: str, expr: str, for_: str, severity: str, summary: str, fast: bool, **labels: str) -> dict:
    rule: dict = {"alert": name, "expr": expr}
    if not fast and for_ != "0s":
        rule["for"] = for_
    rule["labels"] = {"severity": severity, **labels}
    rule["annotations"] = {"summary": summary}
    return rule


def rules(contracts: list[TableContract], default_freshness_s: int, *, fast: bool = False) -> dict:
    """The rule file (a dict to dump as YAML)."""
    out: list[dict] = []
    for c in sorted(contracts, key=lambda c: c.qualified_source):
        t = c.qualified_source
        limit = freshness_threshold(c, default_freshness_s)
        # A table with nothing waiting in Kafka is as fresh as its source: only a backlog makes its age an alarm.
        out.append(_rule(
            "CdcLakeTableStale",
            f'{M.FRESHNESS}{{table="{t}"}} > {limit} and on(table) sum by (table) ({M.KAFKA_LAG}{{table="{t}"}}) > 0',
            "2m", "warning", f"{t}: the lake is {{{{ $value | humanizeDuration }}}} behind its source (limit {limit}s)", fast, table=t,
        ))
    out += [
        _rule("CdcLakeTableBlocked", f"{M.BLOCKED} == 1", "0s", "critical",
              "{{ $labels.table }} is blocked by schema drift: cdclake dlq list, then cdclake contracts sync", fast),
        _rule("CdcLakeConnectorDown", f"{M.CONNECT_UP} == 0 or {M.CONNECTOR_RUNNING} == 0 or up{{job=\"{M.EXPORTER_SCRAPE}\"}} == 0",
              "1m", "critical", "the Debezium connector or its Connect worker is down: cdclake status", fast),
        _rule("CdcLakeConnectorTaskFailed", f"{M.TASK_RUNNING} == 0", "1m", "critical",
              "connector task {{ $labels.task }} is {{ $labels.state }}: cdclake capture status shows the trace", fast),
        _rule("CdcLakeDeadLettersGrowing", f"delta({M.DEAD_LETTERS_PENDING}[10m]) > 0", "0s", "warning",
              "{{ $labels.table }}: pending dead letters grew in 10 minutes: cdclake dlq list", fast),
        _rule("CdcLakeJobDown", f'up{{job="{M.JOB_SCRAPE}"}} == 0', "2m", "critical",
              "the streaming job's metrics endpoint does not answer: is the job running?", fast),
        _rule("CdcLakeJobNotProgressing",
              f"sum({M.KAFKA_LAG}) > 0 and on() (time() - {M.LAST_BATCH_TS}) > 600", "5m", "critical",
              "changes wait in Kafka but no batch completed for 10 minutes", fast),
        _rule("CdcLakeBinlogGapRisk", f"{M.BINLOG_GAP} == 1 or {M.BINLOG_FILES_BEHIND} >= 2", "0s", "critical",
              "the connector is far behind the source's binlog (or past a purge): cdclake capture gap", fast),
    ]
    return {"groups": [{"name": GROUP, "rules": out}]}


def _humanize_duration(seconds: float) -> str:
    """Prometheus' humanizeDuration for whole seconds of at least one: units from the first non-zero one."""
    s = int(seconds)
    parts = [(s // 86400, "d"), (s % 86400 // 3600, "h"), (s % 3600 // 60, "m"), (s % 60, "s")]
    while parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{n}{u}" for n, u in parts)


def _expected(doc: dict, alert: str, labels: dict[str, str], value: float | None = None) -> dict:
    """An expected alert of a promtool test: its labels (severity and the rule's own included) and the summary it renders."""
    rule = next(r for r in doc["groups"][0]["rules"] if r["alert"] == alert and r["labels"].get("table", labels.get("table")) == labels.get("table"))
    summary = rule["annotations"]["summary"]
    for k, v in labels.items():
        summary = summary.replace(f"{{{{ $labels.{k} }}}}", v)
    if value is not None:
        summary = summary.replace("{{ $value | humanizeDuration }}", _humanize_duration(value))
    return {"exp_labels": {**rule["labels"], **labels}, "exp_annotations": {"summary": summary}}


def rule_tests(contracts: list[TableContract], default_freshness_s: int, rule_file: str) -> dict:
    """promtool test rules input: each alert fires on a series built to trip it, and stays quiet on a healthy one."""
    doc = rules(contracts, default_freshness_s)
    c = min(contracts, key=lambda c: c.qualified_source)
    t = c.qualified_source
    limit = freshness_threshold(c, default_freshness_s)
    lag = f'{M.KAFKA_LAG}{{topic="{c.topic()}",partition="0",table="{t}"}}'
    series = [
        # freshness climbs past the limit while records wait; a second table is old but idle (no backlog): no alert
        {"series": f'{M.FRESHNESS}{{table="{t}"}}', "values": f"{limit - 60}+30x20"},
        {"series": lag, "values": "5x20"},
        {"series": f'{M.FRESHNESS}{{table="idle.table"}}', "values": f"{limit * 10}x20"},
        {"series": f'{M.KAFKA_LAG}{{topic="x.idle.table",partition="0",table="idle.table"}}', "values": "0x20"},
        {"series": f'{M.BLOCKED}{{table="{t}"}}', "values": "0 0 1x18"},
        {"series": f'{M.CONNECT_UP}{{connector="c"}}', "values": "1 1 0x18"},
        {"series": f'{M.CONNECTOR_RUNNING}{{connector="c"}}', "values": "1x20"},
        {"series": f'up{{job="{M.EXPORTER_SCRAPE}"}}', "values": "1x20"},
        {"series": f'{M.TASK_RUNNING}{{connector="c",task="0",state="FAILED"}}', "values": "0x20"},
        {"series": f'{M.DEAD_LETTERS_PENDING}{{table="{t}"}}', "values": "0 0 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3"},
        {"series": f'up{{job="{M.JOB_SCRAPE}"}}', "values": "1x5 0x15"},
        {"series": M.LAST_BATCH_TS, "values": "0x20"},
        {"series": f'{M.BINLOG_GAP}{{connector="c"}}', "values": "0x20"},
        {"series": f'{M.BINLOG_FILES_BEHIND}{{connector="c"}}', "values": "0x10 3x10"},
    ]
    stale_at = 2 + 4 + 1  # minutes: over the limit after 2 steps of 30s, then the rule's 2m `for`, with a step of margin
    alerts = [
        {"eval_time": "1m", "alertname": "CdcLakeTableStale", "exp_alerts": []},
        {"eval_time": f"{stale_at}m", "alertname": "CdcLakeTableStale",
         "exp_alerts": [_expected(doc, "CdcLakeTableStale", {"table": t}, limit - 60 + 30 * stale_at)]},
        {"eval_time": "1m", "alertname": "CdcLakeTableBlocked", "exp_alerts": []},
        {"eval_time": "3m", "alertname": "CdcLakeTableBlocked", "exp_alerts": [_expected(doc, "CdcLakeTableBlocked", {"table": t})]},
        {"eval_time": "2m", "alertname": "CdcLakeConnectorDown", "exp_alerts": []},
        {"eval_time": "4m", "alertname": "CdcLakeConnectorDown", "exp_alerts": [_expected(doc, "CdcLakeConnectorDown", {"connector": "c"})]},
        {"eval_time": "2m", "alertname": "CdcLakeConnectorTaskFailed",
         "exp_alerts": [_expected(doc, "CdcLakeConnectorTaskFailed", {"connector": "c", "task": "0", "state": "FAILED"})]},
        {"eval_time": "5m", "alertname": "CdcLakeDeadLettersGrowing", "exp_alerts": [_expected(doc, "CdcLakeDeadLettersGrowing", {"table": t})]},
        {"eval_time": "15m", "alertname": "CdcLakeDeadLettersGrowing", "exp_alerts": []},
        {"eval_time": "4m", "alertname": "CdcLakeJobDown", "exp_alerts": []},
        {"eval_time": "9m", "alertname": "CdcLakeJobDown", "exp_alerts": [_expected(doc, "CdcLakeJobDown", {"job": M.JOB_SCRAPE})]},
        {"eval_time": "17m", "alertname": "CdcLakeJobNotProgressing", "exp_alerts": [_expected(doc, "CdcLakeJobNotProgressing", {})]},
        {"eval_time": "5m", "alertname": "CdcLakeBinlogGapRisk", "exp_alerts": []},
        {"eval_time": "12m", "alertname": "CdcLakeBinlogGapRisk", "exp_alerts": [_expected(doc, "CdcLakeBinlogGapRisk", {"connector": "c"})]},
    ]
    return {"rule_files": [rule_file], "evaluation_interval": "1m",
            "tests": [{"interval": "1m", "input_series": series, "alert_rule_test": alerts}]}


def dump(doc: dict) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=200)
