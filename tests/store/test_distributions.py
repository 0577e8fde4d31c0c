"""Stored distributions read back from the metric history (SQLite store)."""

from __future__ import annotations

import datetime as dt

from monitor.metrics.points import MetricPoint
from monitor.store import SqlMetricStore
from monitor.store.distributions import distribution_history

DAY = dt.datetime(2026, 2, 1)


def _write(store: SqlMetricStore, points: list[MetricPoint]) -> None:
    with store.transaction() as conn:
        store.replace_points(conn, "r1", points)


class TestDistributionHistory:
    def test_quantiles_shares_and_rows_per_bucket(self, sqlite_store: SqlMetricStore) -> None:
        _write(sqlite_store, [
            MetricPoint("t", "", "row_count", "day", DAY, 10.0),
            MetricPoint("t", "amount", "p50", "day", DAY, 41.2),
            MetricPoint("t", "amount", "mean", "day", DAY, 44.0),
            MetricPoint("t", "status", "share:paid", "day", DAY, 0.7),
            MetricPoint("t", "status", "share:50%_off", "day", DAY, 0.1),
            MetricPoint("t", "status", "null_rate", "day", DAY, 0.2),
            MetricPoint("t", "other", "p50", "day", DAY, 1.0),
        ])

        points, rows = distribution_history(sqlite_store, "t", ["amount", "status"], "day")

        assert points == {"amount": {DAY: {"p50": 41.2}},
                          "status": {DAY: {"share:paid": 0.7, "share:50%_off": 0.1,
                                           "null_rate": 0.2}}}
        assert rows == {DAY: 10.0}

    def test_a_store_without_distributions_has_none(self, sqlite_store: SqlMetricStore) -> None:
        _write(sqlite_store, [MetricPoint("t", "amount", "mean", "day", DAY, 4.0)])

        points, rows = distribution_history(sqlite_store, "t", ["amount"], "day",
                                            since=DAY - dt.timedelta(days=1))

        assert (points, rows) == ({"amount": {}}, {})

    def test_snapshots_are_the_newest_runs(self, sqlite_store: SqlMetricStore) -> None:
        _write(sqlite_store, [p for i in range(5) for p in (
            MetricPoint("t", "", "row_count", "snapshot", DAY + dt.timedelta(days=i), 9.0),
            MetricPoint("t", "amount", "p50", "snapshot", DAY + dt.timedelta(days=i), i))])

        points, _ = distribution_history(sqlite_store, "t", ["amount"], "snapshot", snapshots=2)

        assert sorted(points["amount"]) == [DAY + dt.timedelta(days=3), DAY + dt.timedelta(days=4)]
