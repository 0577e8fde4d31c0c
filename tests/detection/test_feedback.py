"""Feedback labels on detected points."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.detection.feedback import label_point
from monitor.errors import InputError
from monitor.store import SqlMetricStore
from monitor.store.feedback import list_labels
from monitor.store.schema import detections

TS = dt.datetime(2026, 4, 6)


def detection(store: SqlMetricStore, granularity: str = "day") -> None:
    with store.transaction() as conn:
        conn.execute(detections.insert().values(
            table_name="orders", metric="row_count", column_name="", granularity=granularity,
            ts=TS, run_id="r", value=10.0, expected=100.0, lower=80.0, upper=120.0, score=-9.0,
            is_anomaly=True, state="anomaly", direction="down", detector="seasonal",
            reason="low", recorded_at=TS))


class TestLabelPoint:
    def test_label_is_stored_once_and_replaced(self, store: SqlMetricStore) -> None:
        detection(store)

        label_point(store, "orders", "row_count", at=TS.replace(tzinfo=dt.UTC),
                    label="incident")
        label_point(store, "orders", "row_count", at=TS, label="expected", note="holiday",
                    author="ana")

        labels = list_labels(store, "orders")
        assert [(lb.label, lb.granularity, lb.note) for lb in labels] == [
            ("expected", "day", "holiday")]

    def test_unknown_point_says_how_to_find_points(self, store: SqlMetricStore) -> None:
        with pytest.raises(InputError, match="dq-monitor anomalies orders"):
            label_point(store, "orders", "row_count", at=TS, label="expected")

    def test_bad_label(self, store: SqlMetricStore) -> None:
        with pytest.raises(InputError, match="label must be one of expected, incident"):
            label_point(store, "orders", "row_count", at=TS, label="meh")

    def test_explicit_granularity_skips_the_lookup(self, store: SqlMetricStore) -> None:
        label = label_point(store, "orders", "null_rate", column="email", at=TS,
                            label="incident", granularity="hour")

        assert list_labels(store, "orders", metric="null_rate", column="email",
                           granularity="hour") == [label]
