"""Guessing timestamp columns and buckets, on plain columns and on real warehouses."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.config.discover import (
    HOURLY_ROWS_PER_DAY,
    discover,
    guess_bucket,
    guess_timestamp,
    volume,
)
from monitor.config.models import WarehouseConfig
from monitor.demo.sample import build_sample_warehouse
from monitor.errors import ObjectNotFound
from monitor.warehouse import ColumnInfo, SqlWarehouse
from tests.helpers.warehouses import WarehouseUnderTest


def _ts(name: str, kind: str = "timestamp", nullable: bool = True) -> ColumnInfo:
    return ColumnInfo(name, kind.upper(), kind, nullable)  # type: ignore[arg-type]


class TestGuessTimestamp:
    def test_no_temporal_column_means_no_buckets(self) -> None:
        assert guess_timestamp([ColumnInfo("id", "INT", "integer")])[:2] == (None, None)

    def test_a_load_time_goes_to_loaded_at_column(self) -> None:
        assert guess_timestamp([_ts("_etl_loaded_at"), _ts("occurred_at")])[:2] == \
            ("occurred_at", "_etl_loaded_at")

    def test_only_a_load_time_is_the_timestamp(self) -> None:
        column, loaded, why = guess_timestamp([_ts("ingested_at")])
        assert (column, loaded) == ("ingested_at", None)
        assert "a load time" in why

    def test_among_several_the_event_time_wins_over_an_update_time(self) -> None:
        column, _, why = guess_timestamp([_ts("updated_at"), _ts("shipped"),
                                          _ts("created_at")])
        assert column == "created_at"
        assert why == ("created_at: of 3 timestamp columns (updated_at, shipped, created_at), "
                       "named like an event time")

    def test_without_names_to_go_by_the_first_that_is_not_an_update(self) -> None:
        assert guess_timestamp([_ts("modified"), _ts("shipped", nullable=False)])[0] == \
            "shipped"


class TestGuessBucket:
    @pytest.mark.parametrize(("rows", "loads", "bucket"), [
        (HOURLY_ROWS_PER_DAY - 1, None, "day"), (HOURLY_ROWS_PER_DAY, None, "hour"),
        (50_000, 1.0, "day"), (50_000, 24.0, "hour"), (None, None, "day")])
    def test_volume_and_loads_decide(self, rows: float | None, loads: float | None,
                                     bucket: str) -> None:
        assert guess_bucket(rows, "timestamp", loads)[0] == bucket

    def test_a_date_column_is_daily_whatever_the_volume(self) -> None:
        assert guess_bucket(1e6, "date") == ("day", "day: the timestamp column is a date")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    build_sample_warehouse(path, days=21, end=dt.date(2026, 11, 30))
    return path


def _sample_warehouse(path: Path) -> SqlWarehouse:
    return SqlWarehouse("sample", WarehouseConfig(url=f"sqlite:///{path}"))


class TestVolume:
    def test_rows_and_loads_a_day_match_pandas(self, sample: Path) -> None:
        wh = _sample_warehouse(sample)
        frame = pd.read_sql("select occurred_at, loaded_at from events",
                            sqlite3.connect(sample), parse_dates=["occurred_at", "loaded_at"])
        newest = frame["occurred_at"].max()
        recent = frame[frame["occurred_at"] > newest - pd.Timedelta(days=7)]
        days = (newest - (newest - pd.Timedelta(days=7))).total_seconds() / 86400

        rows, loads = volume(wh, wh.describe("events"), "occurred_at", "loaded_at")

        assert rows == pytest.approx(len(recent) / days)
        assert loads == pytest.approx(recent["loaded_at"].nunique() / days)

    def test_an_empty_table_has_no_volume(self, tmp_path: Path) -> None:
        path = tmp_path / "w.db"
        sqlite3.connect(path).execute("create table t (at timestamp)").connection.commit()
        wh = _sample_warehouse(path)

        assert volume(wh, wh.describe("t"), "at") == (None, None)


class TestDiscover:
    def test_the_sample_warehouse(self, sample: Path) -> None:
        proposals = {p.name: p for p in discover(_sample_warehouse(sample))[0]}

        assert sorted(proposals) == ["customers", "events", "orders"]
        assert proposals["orders"].entry == {
            "name": "orders", "warehouse": "sample", "table": "orders",
            "timestamp_column": "created_at", "loaded_at_column": "loaded_at", "bucket": "day"}
        assert proposals["orders"].reasons[0] == \
            "created_at: the only timestamp column besides the load time loaded_at"
        # ~2,000 events a day, but loaded nightly: judged by day
        assert proposals["events"].entry["bucket"] == "day"
        assert proposals["events"].reasons[1].startswith("day: loaded 1.0 times a day")
        assert proposals["customers"].entry["timestamp_column"] == "signup_at"

    def test_a_postgresql_schema_with_an_hourly_stream_and_a_view(
            self, pg_warehouse: WarehouseUnderTest) -> None:
        start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        clicks = [{"id": i, "clicked_at": start + dt.timedelta(seconds=30 * i),
                   "updated_at": start} for i in range(2880 * 10)]  # 2,880 a day
        pg_warehouse.create_table("clicks", {"id": sa.Integer(),
                                             "updated_at": sa.DateTime(timezone=True),
                                             "clicked_at": sa.DateTime(timezone=True)}, clicks)
        pg_warehouse.create_table("countries", {"code": sa.String(2)}, [{"code": "DE"}])
        pg_warehouse.execute(f"create view {pg_warehouse.qualified('daily')} as select "
                             f"cast(clicked_at as date) as day, count(*) as n from "
                             f"{pg_warehouse.qualified('clicks')} group by 1")

        found = {p.name: p for p in discover(pg_warehouse.warehouse(), pg_warehouse.schema)[0]}

        assert sorted(found) == ["clicks", "countries", "daily"]
        assert found["clicks"].entry == {
            "name": "clicks", "warehouse": "wh", "table": "clicks",
            "schema": pg_warehouse.schema, "timestamp_column": "clicked_at", "bucket": "hour"}
        assert found["clicks"].reasons[1].startswith("hour: 2,880 rows/day")
        assert "timestamp_column" not in found["countries"].entry
        assert found["daily"].entry["bucket"] == "day"
        assert found["daily"].reasons[1] == "day: the timestamp column is a date"

    def test_a_view_that_cannot_be_read_is_left_out_and_the_rest_goes_on(
            self, tmp_path: Path) -> None:
        path = tmp_path / "w.db"
        with sqlite3.connect(path) as conn:
            conn.executescript("create table gone (at timestamp); create table kept (at "
                               "timestamp); create view broken as select at from gone; "
                               "drop table gone;")

        proposals, left_out = discover(_sample_warehouse(path))

        assert [p.name for p in proposals] == ["kept"]
        assert len(left_out) == 1
        assert left_out[0].startswith("broken (")
        assert "no such table" in left_out[0]

    def test_an_unknown_schema_is_named(self, pg_warehouse: WarehouseUnderTest) -> None:
        with pytest.raises(ObjectNotFound, match="schema 'no_such_schema' does not exist"):
            discover(pg_warehouse.warehouse(), "no_such_schema")
