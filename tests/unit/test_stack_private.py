"""The local stack keeps its state to its owner, and Connect's env config provider reaches one variable."""

from __future__ import annotations

import re
import stat

from cdc.capture.debezium import PASSWORD_ENV
from cdc.devstack.base import private_dir
from cdc.devstack.connect import ConnectServer, env_allowlist
from cdc.devstack.credentials import ensure_credentials
from cdc.settings import Settings, StackSettings


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_folder_and_credentials_are_the_owners(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    ensure_credentials(Settings(stack=StackSettings(state_dir=state)))
    assert mode(state) == 0o700
    assert mode(state / "credentials.json") == 0o600
    assert mode(private_dir(tmp_path / "a" / "b")) == 0o700


def test_connect_env_provider_is_allowlisted(tmp_path):
    server = ConnectServer(Settings(stack=StackSettings(state_dir=tmp_path)))
    server.plugin_dir = tmp_path / "plugins"
    server.home.mkdir(parents=True)
    server.prepare(lambda _: None)
    props = dict(
        line.split("=", 1) for line in server.properties.read_text().splitlines() if "=" in line and not line.startswith("#")
    )
    pattern = props["config.providers.env.param.allowlist.pattern"]
    assert pattern == env_allowlist()
    assert re.fullmatch(pattern, PASSWORD_ENV)
    for other in ("AWS_SECRET_ACCESS_KEY", "CDCLAKE_PII__KEY", f"{PASSWORD_ENV}X", "HOME"):
        assert not re.fullmatch(pattern, other), other
