"""cdc/devstack/base.py: a local server that fails to start is reported with its log."""

from __future__ import annotations

import pytest

from cdc.devstack.base import Server
from cdc.errors import ServerStartError
from cdc.settings import Settings, StackSettings


class _Crashing(Server):
    name = "crashing"

    def command(self):
        return ["sh", "-c", "echo 'listener failed: port in use' ; exit 3"]

    def healthy(self):
        return False


def test_server_that_fails_to_start_is_reported_with_its_log(tmp_path):
    settings = Settings(stack=StackSettings(state_dir=tmp_path, cache_dir=tmp_path / "cache", start_timeout_s=10))
    with pytest.raises(ServerStartError) as exc:
        _Crashing(settings).up(log=lambda m: None)
    assert "exited with code 3" in str(exc.value)
    assert "listener failed: port in use" in str(exc.value)
