"""The Spark session of the tests: one local[2] session for the whole run (it takes
20-30 s to start), or a skip (a failure with DQ_REQUIRE_SPARK=1) without Java or pyspark.

A test's tables live in a Spark database (a schema) of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from monitor.optional import installed
from monitor.spark.session import spark_session, spark_url

REQUIRE_VAR = "DQ_REQUIRE_SPARK"
_ROOT = Path(tempfile.gettempdir()) / f"dq-spark-tests-{os.getpid()}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


#: The shared session also serves Spark Connect on this loopback port (the plugin
#: bundled in the pyspark wheel), so the Connect path runs without a second JVM.
CONNECT_PORT = _free_port()
#: Few partitions and little memory: the test tables have a handful of rows.
CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.warehouse.dir": str(_ROOT / "warehouse"),
    "spark.driver.memory": "1g",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": f"-Dderby.system.home={_ROOT / 'derby'}",
    "spark.plugins": "org.apache.spark.sql.connect.SparkConnectPlugin",
    "spark.connect.grpc.binding.address": "127.0.0.1",
    "spark.connect.grpc.binding.port": str(CONNECT_PORT),
}
SETTINGS: dict[str, Any] = {"master": "local[2]", "conf": CONF}
URL = spark_url(SETTINGS)
#: Spark Connect to the shared session's server.
CONNECT_URL = spark_url({"remote": f"sc://127.0.0.1:{CONNECT_PORT}"})


def missing() -> str | None:
    """Why Spark tests cannot run here, or None."""
    if not installed("pyspark"):
        return "pyspark is not installed: pip install 'dq-monitor[spark]'"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java runtime (Spark needs Java 17+: apt-get install openjdk-17-jre-headless)"
    return None


def require_spark() -> None:
    """Skip the calling test without Spark; fail instead when CI requires it."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VAR}=1 makes this a failure)")
    pytest.skip(reason)


def shared_session() -> Any:
    """The tests' one Spark session (started by the first test that needs it)."""
    require_spark()
    return spark_session(**SETTINGS)


def connect_session() -> Any:
    """A Spark Connect session on the shared session's server (the catalog is shared,
    temporary views are not)."""
    shared_session()
    return spark_session(remote=f"sc://127.0.0.1:{CONNECT_PORT}")


@contextmanager
def temporary_schema() -> Iterator[str]:
    """A Spark database of its own for a test, dropped with its tables afterwards."""
    spark = shared_session()
    name = f"dq_test_{uuid.uuid4().hex[:10]}"
    spark.sql(f"CREATE DATABASE `{name}`")
    try:
        yield name
    finally:
        spark.sql(f"DROP DATABASE IF EXISTS `{name}` CASCADE")
