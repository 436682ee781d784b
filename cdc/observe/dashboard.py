"""The Grafana dashboard, built from the contracts with grafana-foundation-sdk: the pipeline overview, then one row
of panels per table. Never edited by hand: `cdclake observe render` writes it again."""

from __future__ import annotations

import json

from grafana_foundation_sdk.builders.common import VizLegendOptions
from grafana_foundation_sdk.builders.dashboard import Dashboard, DatasourceVariable, Row
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as Stat
from grafana_foundation_sdk.builders.timeseries import Panel as Timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model

from cdc import metric_names as M
from cdc.observe.rules import freshness_threshold
from lakehouse_schemas.contract import TableContract

# Every query names the Prometheus data source the viewer picks: the model then reads it back as a Prometheus query.
DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")


def _q(expr: str, legend: str | None = None) -> Dataquery:
    q = Dataquery().expr(expr).datasource(DATASOURCE)
    return q.legend_format(legend) if legend else q


def _stat(title: str) -> Stat:
    return Stat().title(title).graph_mode(common.BigValueGraphMode.AREA)


def _series(title: str) -> Timeseries:
    legend = VizLegendOptions().show_legend(True).display_mode(common.LegendDisplayMode.LIST).placement(common.LegendPlacement.BOTTOM)
    return Timeseries().title(title).legend(legend)


def build(source: str, contracts: list[TableContract], default_freshness_s: int) -> Dashboard:
    d = (
        Dashboard(f"cdclake: {source}")
        .uid(f"cdclake-{source}")
        .tags(["cdclake", "generated"])
        .refresh("30s")
        .time("now-6h", "now")
        .with_variable(DatasourceVariable("datasource").label("Prometheus").type("prometheus"))
        .with_row(Row("Pipeline"))
        .with_panel(_stat("Connector running").span(4).with_target(_q(f"min({M.CONNECTOR_RUNNING})")))
        .with_panel(_stat("Failed connector tasks").span(4).with_target(_q(f"count({M.TASK_RUNNING} == 0) or vector(0)")))
        .with_panel(_stat("Binlog bytes behind").unit("bytes").span(4).with_target(_q(f"max({M.BINLOG_BYTES_BEHIND})")))
        .with_panel(_stat("Blocked tables").span(4).with_target(_q(f"sum({M.BLOCKED})")))
        .with_panel(_stat("Pending dead letters").span(4).with_target(_q(f"sum({M.DEAD_LETTERS_PENDING})")))
        .with_panel(_stat("Kafka lag (records)").span(4).with_target(_q(f"sum({M.KAFKA_LAG})")))
        .with_panel(_series("Batch rows/s").span(8).with_target(_q(M.BATCH_ROWS_PER_SECOND, "rows/s")))
        .with_panel(_series("Batch duration").unit("s").span(8).with_target(_q(M.BATCH_DURATION, "duration")))
        .with_panel(_series("Kafka lag per partition").span(8).with_target(_q(M.KAFKA_LAG, "{{topic}}/{{partition}}")))
    )
    for c in sorted(contracts, key=lambda c: c.qualified_source):
        t = c.qualified_source
        sel = f'{{table="{t}"}}'
        limit = freshness_threshold(c, default_freshness_s)
        d = (
            d.with_row(Row(f"{t} -> {c.qualified_target}"))
            .with_panel(_series(f"{t}: freshness (alert over {limit}s)").unit("s").span(8)
                        .with_target(_q(f"{M.FRESHNESS}{sel}", "freshness"))
                        .with_target(_q(f"{M.BATCH_LAG}{sel}", "last batch lag")))
            .with_panel(_series(f"{t}: changes applied/s").span(8)
                        .with_target(_q(f"rate({M.CHANGES_APPLIED}{sel}[$__rate_interval])", "applied/s")))
            .with_panel(_stat(f"{t}: blocked / pending dead letters").span(8)
                        .with_target(_q(f"{M.BLOCKED}{sel}", "blocked"))
                        .with_target(_q(f"{M.DEAD_LETTERS_PENDING}{sel}", "pending")))
        )
    return d


def render_json(source: str, contracts: list[TableContract], default_freshness_s: int) -> str:
    return JSONEncoder(sort_keys=True, indent=2).encode(build(source, contracts, default_freshness_s).build()) + "\n"


def load(text: str) -> model.Dashboard:
    """The dashboard JSON back in the SDK's model (the round trip the tests check)."""
    register_default_plugins()
    return model.Dashboard.from_json(json.loads(text))
