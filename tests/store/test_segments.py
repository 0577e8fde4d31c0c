"""Segment series in the store: volumes for ranking, frames for the dashboard."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from monitor.metrics.points import MetricPoint
from monitor.metrics.segments import series_column
from monitor.store import SqlMetricStore
from monitor.store.detections import DetectionRow, replace_detections
from monitor.store.segments import segment_detections, segment_frame, stored_volumes

DAY = dt.datetime(2026, 4, 1)
NAMES = ("country",)


def seed(store: SqlMetricStore) -> list[MetricPoint]:
    points = []
    for day in range(3):
        ts = DAY + dt.timedelta(days=day)
        for label, rows in ((("DE",), 100.0), (("Zürich 'q'",), 10.0), (None, 1.0)):
            points.append(MetricPoint("orders", series_column(NAMES, label), "row_count",
                                      "day", ts, rows + day))
        points.append(MetricPoint("orders", series_column(NAMES, ("DE",), "amount"), "mean",
                                  "day", ts, 4.5))
        points.append(MetricPoint("orders", series_column(("channel",), ("web",)),
                                  "row_count", "day", ts, 7.0))
        points.append(MetricPoint("orders", "", "row_count", "day", ts, 111.0))
    with store.transaction() as conn:
        store.replace_points(conn, "r1", points)
    return points


class TestStoredVolumes:
    def test_sums_each_segment_of_these_parts(self, store: SqlMetricStore) -> None:
        seed(store)

        volumes = stored_volumes(store, "orders", "day", NAMES, since=DAY + dt.timedelta(days=1))

        assert volumes == {("DE",): 101.0 + 102.0, ("Zürich 'q'",): 11.0 + 12.0, None: 2.0 + 3.0}


class TestSegmentFrame:
    def test_every_segment_point_and_no_other(self, store: SqlMetricStore) -> None:
        points = seed(store)

        frame = segment_frame(store, "orders")

        expected = [p for p in points if p.column.startswith("@seg:")]
        assert len(frame) == len(expected)
        means = frame[frame["metric"] == "mean"]
        assert list(means["label"]) == [("DE",)] * 3
        assert set(means["column"]) == {"amount"}


class TestSegmentDetections:
    def test_anomalies_of_segments_only(self, store: SqlMetricStore) -> None:
        key = series_column(NAMES, ("DE",))
        rows = [DetectionRow("orders", "row_count", column, "day", DAY, 0.0, 100.0, 80.0,
                             120.0, 9.0, True, "anomaly", "down", "seasonal", "critical",
                             "rows 0") for column in (key, "")]
        with store.transaction() as conn:
            replace_detections(conn, "r1", rows)

        found = segment_detections(store, "orders")

        assert isinstance(found, pd.DataFrame)
        assert list(found["label"]) == [("DE",)]
