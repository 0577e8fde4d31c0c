"""Spark Connect: the same warehouse code over a remote session (the shared session's
own Connect server on a loopback port, tests/helpers/spark.py)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from monitor.config.models import TableConfig, WarehouseConfig
from monitor.config.sources import TableSource
from monitor.errors import ObjectNotFound, QueryTimeout
from monitor.metrics.profile import profile_table
from monitor.spark.dbapi import is_remote
from monitor.warehouse import SqlWarehouse
from tests.helpers.spark import CONNECT_URL, connect_session, temporary_schema


@pytest.fixture
def remote() -> SqlWarehouse:
    assert is_remote(connect_session())
    return SqlWarehouse("remote", WarehouseConfig(url=CONNECT_URL))


class TestSparkConnect:
    def test_a_catalog_table_profiles_through_connect(self, spark: Any,
                                                      remote: SqlWarehouse) -> None:
        with temporary_schema() as schema:
            spark.sql(f"CREATE TABLE `{schema}`.`orders` AS SELECT id, id * 1.5 AS amount, "
                      f"timestamp'2026-03-01 08:00:00' + make_interval(0, 0, 0, 0, id) AS at "
                      f"FROM range(10)")
            table = TableConfig(name="orders", warehouse="remote", table="orders",
                                schema=schema, timestamp_column="at", bucket="day")

            profile = profile_table(remote, table, distinct="exact").to_dict()

        assert profile["row_count"] == 10
        assert profile["columns"]["amount"]["mean"] == pytest.approx(6.75)
        assert profile["latest_timestamp"] == "2026-03-01T17:00:00+00:00"

    def test_files_register_as_a_view_of_the_remote_session(self, remote: SqlWarehouse,
                                                            tmp_path: Path) -> None:
        pq.write_table(pa.table({"n": [1, 2, None]}), tmp_path / "n.parquet")
        table = TableConfig(name="n", warehouse="remote", table=TableSource(path=str(tmp_path)))

        profile = profile_table(remote, table, distinct="exact").to_dict()

        assert (profile["row_count"], profile["columns"]["n"]["null_count"]) == (3, 1)

    def test_a_slow_query_is_interrupted_by_its_tag(self, remote: SqlWarehouse) -> None:
        remote = SqlWarehouse("remote", WarehouseConfig(url=CONNECT_URL, query_timeout=3.0))
        started = time.monotonic()

        with pytest.raises(QueryTimeout), remote.connect() as conn:
            remote.execute(conn, sa.text("SELECT count(*) FROM range(100000000000)"))

        assert time.monotonic() - started < 60

    def test_a_missing_table_is_not_found(self, remote: SqlWarehouse) -> None:
        with pytest.raises(ObjectNotFound, match="does not exist"):
            remote.describe("nope_not_here")
