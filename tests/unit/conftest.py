"""Unit-test fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _spark_jvm_with_lake_jars():
    """Start the process's Spark JVM with the lake's jars (Hudi, Kafka source) before any test does.

    The first SparkContext of a Python process launches the JVM and fixes its classpath: a plain
    session started first by another test module would leave Hudi's classes invisible to the
    tests that call them through py4j (spark_jobs.history). Later sessions reuse this JVM.
    """
    from cdc.settings import Settings
    from spark_jobs.session import build_session

    build_session(Settings(), "cdclake-unit")
    yield
