"""Stored detections: idempotent per point, read back with their feedback status."""

from __future__ import annotations

import datetime as dt

from monitor.detection.feedback import label_point
from monitor.metrics.points import MetricPoint
from monitor.store import SqlMetricStore
from monitor.store.detections import (
    DetectionRow,
    labels,
    list_detections,
    load_history,
    replace_detections,
)

T0 = dt.datetime(2026, 3, 1)


def row(day: int, *, anomaly: bool = False, value: float = 100.0) -> DetectionRow:
    return DetectionRow(table="orders", metric="row_count", column="", granularity="day",
                        ts=T0 + dt.timedelta(days=day), value=value, expected=100.0,
                        lower=90.0, upper=110.0, score=9.0 if anomaly else 0.1,
                        is_anomaly=anomaly, state="anomaly" if anomaly else "ok",
                        direction="down" if anomaly else None, detector="seasonal",
                        severity="critical" if anomaly else "info", reason="r")


class TestReplaceDetections:
    def test_same_points_are_replaced(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            replace_detections(conn, "r1", [row(0), row(1, anomaly=True)])
        with store.transaction() as conn:
            replace_detections(conn, "r2", [row(1, anomaly=False)])

        every = list_detections(store, "orders", anomalies_only=False)

        assert [(r.ts.day, r.is_anomaly) for r in every] == [(2, False), (1, False)]
        assert list_detections(store, "orders") == []


class TestListDetections:
    def test_status_comes_from_feedback(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            replace_detections(conn, "r1", [row(0, anomaly=True), row(1, anomaly=True),
                                            row(2)])
        label_point(store, "orders", "row_count", at=T0, label="expected")

        found = list_detections(store, "orders")

        assert [(r.ts.day, r.status) for r in found] == [(2, "open"), (1, "expected")]
        assert found[0].to_dict()["ts"] == "2026-03-02T00:00:00+00:00"
        assert list_detections(store, since=T0 + dt.timedelta(days=1))[0].ts.day == 2


class TestLoadHistory:
    def test_buckets_since_and_newest_snapshots(self, store: SqlMetricStore) -> None:
        pts = [MetricPoint("orders", "", "row_count", "day", T0 + dt.timedelta(days=d), d)
               for d in range(10)]
        pts += [MetricPoint("orders", "", "row_count", "snapshot",
                            T0 + dt.timedelta(hours=h), h) for h in range(6)]
        with store.transaction() as conn:
            store.replace_points(conn, "r", pts)

        history = load_history(store, "orders", [("row_count", "", "day"),
                                                 ("row_count", "", "snapshot")],
                               since=T0 + dt.timedelta(days=7), snapshot_points=2)

        assert [v for _, v in history[("row_count", "", "day")]] == [7, 8, 9]
        assert [v for _, v in history[("row_count", "", "snapshot")]] == [4, 5]


class TestLabels:
    def test_grouped_by_series(self, store: SqlMetricStore) -> None:
        label_point(store, "orders", "null_rate", column="email", at=T0, label="incident",
                    granularity="day")

        assert labels(store, "orders") == {("null_rate", "email", "day"): {T0: "incident"}}
