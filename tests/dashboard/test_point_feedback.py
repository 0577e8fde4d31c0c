"""Feedback beside flagged points: which points are offered and how they read."""

from __future__ import annotations

import pandas as pd

from monitor.dashboard import point_feedback


def series(values: list[float], flagged: list[bool], labels: list[str | None],
           metric: str = "row_count") -> pd.DataFrame:
    size = len(values)
    return pd.DataFrame({
        "ts": pd.date_range("2026-11-01", periods=size, freq="D"), "value": values,
        "expected": [1000.0] * size, "is_anomaly": flagged, "label": labels,
        "metric": metric, "column_name": "", "granularity": "day"})


class TestFlaggedPoints:
    def test_newest_first_labelled_ones_included(self):
        frame = series([1000, 10, 1000, 20, 30], [False, True, False, True, True],
                       [None, "expected", None, None, "incident"])

        found = point_feedback.flagged_points(frame)

        assert found["value"].tolist() == [30, 20, 10]
        assert found["label"].tolist() == ["incident", None, "expected"]

    def test_at_most_the_limit(self):
        frame = series([float(v) for v in range(8)], [True] * 8, [None] * 8)

        found = point_feedback.flagged_points(frame, limit=3)

        assert found["value"].tolist() == [7.0, 6.0, 5.0]

    def test_a_series_without_flags_offers_nothing(self):
        frame = series([1000.0, 990.0], [False, False], [None, None])

        assert point_feedback.flagged_points(frame).empty


class TestPointText:
    def test_counts_with_separators(self):
        point = series([1234.0], [True], [None]).iloc[0]

        assert point_feedback.point_text(point) == (
            "2026-11-01 00:00: 1,234, expected 1,000")

    def test_rates_as_percentages_without_an_expected_value(self):
        point = series([0.25], [True], [None], metric="null_rate").assign(
            expected=[None]).iloc[0]

        assert point_feedback.point_text(point) == "2026-11-01 00:00: 25.0%"
