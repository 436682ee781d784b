"""The connector's side of the path, read from the Kafka Connect REST API and the source's binlog position.

One function gathers it for both the Prometheus exporter and `cdclake status`; each part that cannot be
read says why instead of failing the whole view (a stopped Connect worker is exactly what they must show).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from cdc.capture import debezium as dbz
from cdc.capture import recovery
from cdc.errors import CdcLakeError
from cdc.settings import Settings


@dataclass
class ConnectorState:
    connector: str
    connect_up: bool = False
    registered: bool = False
    state: str | None = None  # RUNNING, PAUSED, FAILED, ...
    tasks: dict[str, str] = field(default_factory=dict)  # task id -> state
    source_position: str | None = None  # file:pos
    connector_position: str | None = None
    caught_up: bool | None = None
    bytes_behind: int | None = None
    files_behind: int | None = None
    gap: str | None = None  # the binlog gap message, when the source purged what the connector needs
    errors: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.state == "RUNNING" and bool(self.tasks) and all(s == "RUNNING" for s in self.tasks.values())

    def to_json(self) -> dict:
        return {**asdict(self), "running": self.running}


def _one_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:300]


def connector_state(settings: Settings) -> ConnectorState:
    st = ConnectorState(connector=dbz.connector_name(settings))
    try:
        status = dbz.ConnectClient(settings).status(st.connector)
        st.connect_up = True
    except CdcLakeError as exc:
        st.errors.append(_one_line(exc))
        status = None
    if status:
        st.registered = True
        st.state = status["connector"]["state"]
        st.tasks = {str(t["id"]): t["state"] for t in status.get("tasks", [])}
    try:
        info = dbz.lag(settings)
        st.source_position = f"{info['source'][0]}:{info['source'][1]}"
        if info["connector"]:
            st.connector_position = f"{info['connector'][0]}:{info['connector'][1]}"
        st.caught_up, st.bytes_behind, st.files_behind = info["caught_up"], info["bytes_behind"], info["files_behind"]
    except Exception as exc:  # noqa: BLE001 - the source or Connect down: shown, not raised
        st.errors.append(f"binlog position: {_one_line(exc)}")
    if st.connect_up and st.registered:
        try:
            gap = recovery.binlog_gap(settings)
            st.gap = gap.message() if gap else None
        except Exception as exc:  # noqa: BLE001
            st.errors.append(f"binlog gap check: {_one_line(exc)}")
    return st
