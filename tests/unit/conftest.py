"""Unit-test fixtures. Pure-Python tests start no JVM; the Spark tests share one session (`spark`)."""

from __future__ import annotations

import shutil
import uuid

import pytest


@pytest.fixture(scope="session")
def spark():
    """The one Spark session of the unit tests, started by the first test that asks for it.

    It is built by spark_jobs.session.build_session, so the process's JVM starts with the lake's jars
    (Hudi, the Kafka source): the first SparkContext of a Python process fixes the JVM's classpath,
    and tests that call Hudi through py4j (spark_jobs.history) need those classes.
    """
    from cdc.settings import Settings
    from spark_jobs.session import build_session

    yield build_session(Settings(), "cdclake-unit")


@pytest.fixture(scope="module")
def spark_lake(spark, tmp_path_factory, request):
    """(the Spark session, a lake root) for the tests of one module: a fresh file:// lake per module."""
    from cdc.settings import LakeSettings, Settings

    root = tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]) / uuid.uuid4().hex[:8]
    yield spark, Settings(lake=LakeSettings(root=root.resolve().as_uri())).lake_root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=[False, True], ids=["ansi-off", "ansi-on"])
def ansi(request, spark):
    """The test once with ANSI mode off (Spark 3.5's default) and once on (Spark 4's)."""
    spark.conf.set("spark.sql.ansi.enabled", str(request.param).lower())
    yield request.param
    spark.conf.set("spark.sql.ansi.enabled", "false")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # `-m "not spark"` runs the pure-Python tests alone, without starting Java.
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)
