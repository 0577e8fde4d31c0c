"""The drill-down by segment: the summary table and one segment's series."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from monitor.dashboard.segments import USUAL_BUCKETS, series, summary
from monitor.metrics.points import MetricPoint
from monitor.metrics.segments import series_column
from monitor.store import SqlMetricStore, open_store
from monitor.store.segments import segment_detections, segment_frame

DAY = dt.datetime(2026, 4, 1)
NAMES = ("country",)


def seeded(path: Path) -> SqlMetricStore:
    store = open_store(f"sqlite:///{path / 'metrics.db'}")
    points = []
    for day in range(40):
        ts = DAY + dt.timedelta(days=day)
        last = day == 39
        for label, rows in ((("DE",), 0.0 if last else 100.0 + day % 3), (("FR",), 50.0),
                            (None, 5.0)):
            points.append(MetricPoint("orders", series_column(NAMES, label), "row_count",
                                      "day", ts, rows))
        points.append(MetricPoint("orders", series_column(NAMES, ("FR",), "amount"),
                                  "null_rate", "day", ts, 0.01))
    with store.transaction() as conn:
        store.replace_points(conn, "r1", points)
    return store


class TestSummary:
    def test_newest_against_the_median_before(self, tmp_path: Path) -> None:
        store = seeded(tmp_path)
        points = segment_frame(store, "orders")

        table = summary(points, segment_detections(store, "orders"))

        assert list(table["segment"]) == ["DE", "FR", "other"]
        values = [100.0 + day % 3 for day in range(39)][-USUAL_BUCKETS:]
        de = table.iloc[0]
        assert de["rows"] == 0.0
        assert de["usual rows"] == pd.Series(values).median()
        assert de["change"] == -1.0
        store.dispose()

    def test_empty(self) -> None:
        empty = pd.DataFrame(columns=["label", "column", "metric", "ts", "value"])

        assert summary(empty, empty).empty


class TestSeries:
    def test_one_segment_wide(self, tmp_path: Path) -> None:
        store = seeded(tmp_path)

        wide = series(segment_frame(store, "orders"), ("FR",))

        assert list(wide.columns) == ["ts", "null rate of amount", "rows"]
        assert len(wide) == 40
        store.dispose()


def _page(url: str) -> None:
    import datetime as dt

    from monitor.dashboard.segments import render

    render(url, "orders", dt.datetime(2026, 1, 1))


class TestRender:
    def test_the_section_draws_without_errors(self, tmp_path: Path) -> None:
        store = seeded(tmp_path)
        url = store.url
        store.dispose()

        at = AppTest.from_function(_page, args=(url,)).run(timeout=60)

        assert not at.exception
        assert [s.value for s in at.subheader] == ["Segments"]
        assert at.selectbox[0].options == ["DE", "FR", "other"]
