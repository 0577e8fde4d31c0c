"""Volume history and freshness sources of the gate, against hand counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.gate.history import batch_volume, bucket_counts, newest_timestamp, table_volume
from monitor.metrics.points import MetricPoint
from monitor.store import open_store
from monitor.store.batches import BatchRecord, record_batch
from tests.helpers.gate import ORDER_TYPES, daily_orders

END = dt.date(2026, 3, 8)  # a Sunday


def _weekday_volume(day: dt.date) -> int:
    return 10 if day.weekday() >= 5 else 30


def _day_after_end() -> dt.datetime:
    """06:00 the day after the data ends: the last day is the newest complete bucket."""
    return dt.datetime(END.year, END.month, END.day, 6, tzinfo=dt.UTC) + dt.timedelta(days=1)


@pytest.fixture
def setup(warehouse, tmp_path: Path):
    warehouse.create_table("orders", ORDER_TYPES, daily_orders(END, 36, _weekday_volume))
    table = warehouse.table_config("orders", timestamp_column="created_at", bucket="day")
    wh = warehouse.warehouse()
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    yield wh, table, wh.describe("orders", warehouse.schema), store
    store.dispose()


class TestTableVolume:
    def test_a_table_that_stopped_loading_has_an_empty_newest_bucket(self, setup) -> None:
        wh, table, shape, store = setup

        volume = table_volume(wh, table, shape, store,
                              at=_day_after_end() + dt.timedelta(days=3))

        # The data ends on Sunday END: Wednesday is the newest complete day, with no rows.
        assert (volume.rows, volume.batch) == (0, f"{END + dt.timedelta(days=3)}")
        assert volume.latest.date() == END

    def test_the_newest_day_against_the_same_weekday(self, setup) -> None:
        wh, table, shape, store = setup

        volume = table_volume(wh, table, shape, store, at=_day_after_end())

        # 36 days of data: the 5 Sundays before END lie within the 35-day lookback.
        assert (volume.rows, volume.history, volume.what) == (10, [10.0] * 5, "earlier Sundays")
        assert volume.latest.date() == END

    def test_the_open_bucket_is_left_out(self, setup) -> None:
        wh, table, shape, store = setup
        sunday_noon = dt.datetime(END.year, END.month, END.day, 12, tzinfo=dt.UTC)

        volume = table_volume(wh, table, shape, store, at=sunday_noon)

        # Sunday is still filling at noon: Saturday (10 rows) against the 4 Saturdays of
        # the data before it (it starts on Monday 2026-02-02).
        assert (volume.rows, volume.history, volume.what, volume.batch) == (
            10, [10.0] * 4, "earlier Saturdays", "2026-03-07")
        assert volume.latest.date() == END

    def test_hourly_buckets_leave_out_the_current_hour(self, setup) -> None:
        wh, table, shape, store = setup
        hourly = table.model_copy(update={"bucket": "hour"})
        at = dt.datetime(END.year, END.month, END.day, 9, 30, tzinfo=dt.UTC)

        volume = table_volume(wh, hourly, shape, store, at=at)

        # Sunday's 10 orders start at 08:00, one an hour: 08:00 is the last complete hour.
        assert (volume.rows, volume.batch) == (1, "2026-03-08 08:00")

    def test_every_earlier_day_when_weeks_are_missing(self, warehouse, tmp_path) -> None:
        warehouse.create_table("orders", ORDER_TYPES, daily_orders(END, 10, _weekday_volume))
        table = warehouse.table_config("orders", timestamp_column="created_at", bucket="day")
        wh = warehouse.warehouse()
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")

        volume = table_volume(wh, table, wh.describe("orders", warehouse.schema), store,
                              at=_day_after_end())

        expected = [float(_weekday_volume(END - dt.timedelta(days=d))) for d in range(9, 0, -1)]
        assert (volume.rows, volume.history, volume.what) == (10, expected, "earlier days")
        store.dispose()

    def test_tables_without_buckets_use_stored_snapshots(self, setup) -> None:
        wh, table, shape, store = setup
        plain = table.model_copy(update={"bucket": None})
        with store.transaction() as conn:
            store.replace_points(conn, "r", [
                MetricPoint("orders", "", "row_count", "snapshot",
                            dt.datetime(2026, 3, 1 + i), 100.0 + i) for i in range(4)])

        volume = table_volume(wh, plain, shape, store)

        assert volume.rows == sum(_weekday_volume(END - dt.timedelta(days=d)) for d in range(36))
        assert volume.history == [100.0, 101.0, 102.0, 103.0]


class TestBatchVolume:
    def test_earlier_published_batches_first(self, setup) -> None:
        wh, table, shape, store = setup
        with store.transaction() as conn:
            for i, rows in enumerate([50, 60, 70]):
                record_batch(conn, BatchRecord(
                    batch_id=f"b{i}", table="orders", source_file="f", content_hash=f"h{i}",
                    mode="all_or_nothing", status="published",
                    started_at=dt.datetime(2026, 3, 1, i), rows_published=rows))

        volume = batch_volume(5, wh, table, shape, store)

        assert sorted(volume.history) == [50.0, 60.0, 70.0]
        assert volume.what == "earlier batches"

    def test_else_the_days_of_the_target_without_the_newest(self, setup) -> None:
        wh, table, shape, store = setup

        volume = batch_volume(5, wh, table, shape, store, history_size=7)

        expected = [float(_weekday_volume(END - dt.timedelta(days=d))) for d in range(7, 0, -1)]
        assert volume.history == expected
        assert volume.what == "days of the target table"


class TestQueries:
    def test_bucket_counts_and_newest_timestamp(self, setup) -> None:
        wh, _, shape, _ = setup
        since = dt.datetime(2026, 3, 6, tzinfo=dt.UTC)

        counts = bucket_counts(wh, shape, "created_at", "day", since)

        assert [(start.day, n) for start, n in counts] == [(6, 30), (7, 10), (8, 10)]
        assert newest_timestamp(wh, shape, "created_at") == dt.datetime(
            2026, 3, 8, 8, 0, tzinfo=dt.UTC) + dt.timedelta(minutes=9 * 60)
