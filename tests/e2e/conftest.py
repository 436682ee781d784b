"""Fixtures for end-to-end tests that capture a source of their own."""

from __future__ import annotations

import pytest

from cdc.capture import debezium as dbz
from tests.e2e.torture_support import own_source


@pytest.fixture
def own_capture(local_stack):
    """Make an own source (see ``own_source``); its connector, offsets and topics go when the test ends.

    A connector left behind keeps reading the whole binlog for every later test, and after a
    stack restart it resumes at a position the recovery tests may have purged.
    """
    made = []

    def make(name: str, server_id: int):
        settings = own_source(local_stack, name, server_id)
        made.append(settings)
        return settings

    yield make
    for settings in made:
        dbz.reset(settings, log=lambda m: None)


# The time-travel lake, built once per pytest process for the Spark and the Trino tests.
from tests.e2e.time_travel_support import travelled  # noqa: F401
