"""`cdclake observe render`: the dashboard, the alert rules with their promtool tests, and the CloudWatch alarms'
table list, all from the contracts, in one folder."""

from __future__ import annotations

import json
from pathlib import Path

from cdc.observe import dashboard, rules
from lakehouse_schemas.contract import TableContract

RULES = "prometheus/rules.yml"
RULE_TESTS = "prometheus/rules.test.yml"
TFVARS = "cloudwatch/observe.auto.tfvars.json"


def dashboard_file(source: str) -> str:
    return f"grafana/cdclake-{source}.json"


def tfvars(contracts: list[TableContract], default_freshness_s: int) -> str:
    tables = [{"table": c.qualified_source, "freshness_alert_s": rules.freshness_threshold(c, default_freshness_s)}
              for c in sorted(contracts, key=lambda c: c.qualified_source)]
    return json.dumps({"observe_tables": tables}, indent=2) + "\n"


def files(source: str, contracts: list[TableContract], default_freshness_s: int) -> dict[str, str]:
    """Relative path -> content of everything rendered."""
    return {
        dashboard_file(source): dashboard.render_json(source, contracts, default_freshness_s),
        RULES: rules.dump(rules.rules(contracts, default_freshness_s)),
        RULE_TESTS: rules.dump(rules.rule_tests(contracts, default_freshness_s, Path(RULES).name)),
        TFVARS: tfvars(contracts, default_freshness_s),
    }


def write(out: Path, source: str, contracts: list[TableContract], default_freshness_s: int) -> list[Path]:
    written = []
    for rel, text in files(source, contracts, default_freshness_s).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written
