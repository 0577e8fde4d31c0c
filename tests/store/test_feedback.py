"""Stored feedback labels: one per point, read back filtered and in time order."""

from __future__ import annotations

import datetime as dt

from monitor.store import SqlMetricStore
from monitor.store.feedback import FeedbackLabel, list_labels, replace_label

T0 = dt.datetime(2026, 4, 6)


def label(day: int, value: str = "expected", **kwargs: object) -> FeedbackLabel:
    fields: dict[str, object] = {"table": "orders", "metric": "row_count", "column": "",
                                 "granularity": "day", "ts": T0 + dt.timedelta(days=day),
                                 "label": value, **kwargs}
    return FeedbackLabel(**fields)  # type: ignore[arg-type]


class TestReplaceLabel:
    def test_a_second_label_on_the_same_point_replaces_the_first(
            self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            replace_label(conn, label(0, "incident"), now=T0)
        with store.transaction() as conn:
            replace_label(conn, label(0, "expected", note="holiday", author="ana"), now=T0)

        assert list_labels(store, "orders") == [label(0, "expected", note="holiday",
                                                      author="ana")]

    def test_other_points_are_kept(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            replace_label(conn, label(0), now=T0)
            replace_label(conn, label(0, granularity="hour"), now=T0)
            replace_label(conn, label(1), now=T0)

        assert len(list_labels(store, "orders")) == 3


class TestListLabels:
    def test_oldest_first_and_filtered(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            replace_label(conn, label(2), now=T0)
            replace_label(conn, label(1, metric="null_rate", column="email"), now=T0)
            replace_label(conn, label(0), now=T0)
            replace_label(conn, label(0, table="users"), now=T0)

        assert [lb.ts.day for lb in list_labels(store, "orders")] == [6, 7, 8]
        assert list_labels(store, "orders", metric="null_rate", column="email") == [
            label(1, metric="null_rate", column="email")]
        assert [lb.ts.day for lb in list_labels(store, "orders", column="")] == [6, 8]
        assert list_labels(store, "orders", granularity="hour") == []
