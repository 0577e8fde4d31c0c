"""Cached reads: the same frames as the queries, reused until cleared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from monitor.dashboard import arrivals, cached
from monitor.store import SqlMetricStore
from monitor.store import dashboard as queries
from monitor.store import dashboard_table as table_queries
from tests.helpers.dashboard import fresh_caches
from tests.helpers.seed import DAY, Seeder, naive_now, seed_scenario


@pytest.fixture
def url(sqlite_store: SqlMetricStore) -> Iterator[str]:
    fresh_caches()
    seed_scenario(sqlite_store)
    yield sqlite_store.url
    fresh_caches()


class TestReaderAndWriter:
    def test_one_read_only_handle_per_url(self, url: str):
        assert cached.reader(url) is cached.reader(url)
        assert cached.reader(url).read_only

    def test_writer_is_separate_and_writable(self, url: str):
        assert cached.writer(url) is not cached.reader(url)
        assert not cached.writer(url).read_only


class TestCachedReads:
    def test_same_frames_as_the_queries(self, url: str, sqlite_store: SqlMetricStore):
        today = naive_now().date()
        since = naive_now().replace(hour=0, minute=0, second=0) - 30 * DAY
        tables = ("orders", "events")

        state, rows = cached.overview(url, tables, today, since)
        pairs = [
            (state, queries.latest_state(sqlite_store, tables,
                                         detections_since=since - 60 * DAY)),
            (rows, arrivals.rows_per_day(sqlite_store, since, tables)),
            (cached.latest_state(url, tables, today),
             queries.latest_state(sqlite_store, tables,
                                  detections_since=since - 60 * DAY)),
            (cached.row_count_trends(url, since, tables),
             queries.row_count_trends(sqlite_store, since, tables)),
            (cached.runs_since(url, since), queries.runs_since(sqlite_store, since)),
            (cached.incidents_since(url, since), queries.incidents_since(sqlite_store, since)),
            (cached.failed_expectations(url, since),
             queries.failed_expectations(sqlite_store, since)),
            (cached.failed_runs(url, since), queries.failed_runs(sqlite_store, since)),
            (cached.anomalies_since(url, since), queries.anomalies_since(sqlite_store, since)),
            (cached.band(url, "orders", since),
             table_queries.band("orders", store=sqlite_store, since=since)),
            (cached.points(url, "orders", since),
             table_queries.points("orders", store=sqlite_store, since=since)),
            (cached.completeness(url, "orders", since),
             table_queries.completeness("orders", store=sqlite_store, since=since)),
            (cached.latest_profile(url, "orders"),
             table_queries.latest_profile("orders", store=sqlite_store)),
            (cached.expectation_history(url, "orders", since),
             table_queries.expectation_history("orders", store=sqlite_store, since=since)),
            (cached.gate_history(url, "customers", since),
             table_queries.gate_history("customers", store=sqlite_store, since=since)),
            (cached.batch_history(url, "customers", since),
             table_queries.batch_history("customers", store=sqlite_store, since=since)),
        ]

        for got, expected in pairs:
            pd.testing.assert_frame_equal(got, expected)
        changes = cached.schema_changes(url, "customers", since)
        assert changes["column"].tolist() == ["status", "phone"]

    def test_reused_until_cleared(self, url: str, sqlite_store: SqlMetricStore):
        today = naive_now().date()
        before = cached.latest_state(url, ("extra",), today)
        seeder = Seeder()
        seeder.run("extra", naive_now() - dt.timedelta(minutes=1))
        seeder.write(sqlite_store)

        again = cached.latest_state(url, ("extra",), today)
        cached.clear()
        after = cached.latest_state(url, ("extra",), today)

        assert before.empty
        assert again.empty
        assert after["table_name"].tolist() == ["extra"]
