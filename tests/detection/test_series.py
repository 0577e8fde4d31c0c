from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.detection.series import Series
from monitor.errors import InputError


class TestSeries:
    def test_sorts_points_and_their_labels_by_time(self):
        stamps = ["2024-01-03", "2024-01-01", "2024-01-02"]

        series = Series(stamps, [3.0, 1.0, 2.0], excluded=[True, False, False])

        assert series.values.tolist() == [1.0, 2.0, 3.0]
        assert series.excluded.tolist() == [False, False, True]
        assert series.expected.tolist() == [False, False, False]
        assert np.all(np.diff(series.timestamps) > np.timedelta64(0, "ns"))

    def test_duplicate_timestamps_are_a_clear_input_error(self):
        with pytest.raises(InputError, match=r"duplicated timestamp.*2024-01-02"):
            Series(["2024-01-02", "2024-01-01", "2024-01-02"], [1.0, 2.0, 3.0])

    def test_timezone_aware_timestamps_become_naive_utc(self):
        utc = datetime(2024, 1, 1, 2, 0, tzinfo=UTC)
        paris = "2024-01-01T04:00:00+01:00"

        series = Series(np.array([utc, paris], dtype=object), [1.0, 2.0])

        assert str(series.timestamps[0]) == "2024-01-01T02:00:00.000000000"
        assert str(series.timestamps[1]) == "2024-01-01T03:00:00.000000000"

    def test_infinite_values_are_missing(self):
        series = Series(["2024-01-01", "2024-01-02"], [np.inf, -np.inf])

        assert np.isnan(series.values).all()

    @pytest.mark.parametrize(
        ("stamps", "values", "message"),
        [
            ([1, 2], [1.0, 2.0], "datetimes or ISO 8601"),
            (["2024-01-01", "not a date"], [1.0, 2.0], "could not be read"),
            (["2024-01-01", None], [1.0, 2.0], "missing"),
            (["2024-01-01"], [1.0, 2.0], "one per timestamp"),
            (["2024-01-01"], ["many"], "must be numbers"),
        ],
    )
    def test_malformed_input_is_an_input_error(self, stamps, values, message):
        with pytest.raises(InputError, match=message):
            Series(stamps, values)

    def test_a_point_cannot_be_both_expected_and_an_incident(self):
        with pytest.raises(InputError, match="both expected and incident"):
            Series(["2024-01-01"], [1.0], excluded=[True], expected=[True])

    def test_arrays_are_read_only(self):
        series = Series(["2024-01-01"], [1.0])

        with pytest.raises(ValueError, match="read-only"):
            series.values[0] = 2.0

    def test_step_is_the_median_gap(self):
        stamps = ["2024-01-01T00:00", "2024-01-01T01:00", "2024-01-01T02:00", "2024-01-01T05:00"]

        assert Series(stamps, [1.0] * 4).step_seconds == 3600.0
        assert np.isnan(Series(stamps[:1], [1.0]).step_seconds)

    @settings(max_examples=60, deadline=None)
    @given(
        offsets=st.lists(st.integers(min_value=0, max_value=40), min_size=0, max_size=30),
        values=st.lists(
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.none()), max_size=30
        ),
    )
    def test_any_input_is_sorted_and_strict_or_refused_as_duplicated(self, offsets, values):
        stamps = [np.datetime64("2024-01-01") + np.timedelta64(o, "D") for o in offsets]
        values = (values + [1.0] * len(stamps))[: len(stamps)]

        if len(set(offsets)) < len(offsets):
            with pytest.raises(InputError, match="duplicated"):
                Series(np.array(stamps, dtype="datetime64[ns]"), values)
            return

        series = Series(np.array(stamps, dtype="datetime64[ns]"), values)

        assert len(series) == len(offsets)
        assert np.all(np.diff(series.timestamps).astype(np.int64) > 0)
        assert not np.isinf(series.values).any()


class TestFromPairs:
    def test_none_is_a_missing_value(self):
        series = Series.from_pairs([("2024-01-02", None), ("2024-01-01", 4)])

        assert series.values[0] == 4.0
        assert np.isnan(series.values[1])

    def test_a_pair_of_the_wrong_shape_names_its_position(self):
        with pytest.raises(InputError, match="pair 1"):
            Series.from_pairs([("2024-01-01", 1.0), ("2024-01-02",)])


class TestFromFrame:
    def test_reads_the_named_columns_and_labels(self):
        frame = pd.DataFrame(
            {
                "day": pd.to_datetime(["2024-01-02", "2024-01-01"]),
                "rows": [7, "oops"],
                "incident": [True, None],
            }
        )

        series = Series.from_frame(frame, "day", "rows", excluded_col="incident")

        assert np.isnan(series.values[0])
        assert series.values[1] == 7.0
        assert series.excluded.tolist() == [False, True]

    def test_a_missing_column_is_named(self):
        frame = pd.DataFrame({"day": ["2024-01-01"], "rows": [1]})

        with pytest.raises(InputError, match="count"):
            Series.from_frame(frame, "day", "count")


class TestWithLabels:
    def test_labels_points_by_timestamp_and_ignores_unknown_ones(self):
        series = Series(["2024-01-01", "2024-01-02", "2024-01-03"], [1.0, 2.0, 3.0])

        labeled = series.with_labels(expected=["2024-01-01"], excluded=["2024-01-03", "2023-12-01"])

        assert labeled.expected.tolist() == [True, False, False]
        assert labeled.excluded.tolist() == [False, False, True]
        assert series.expected.tolist() == [False, False, False]

    def test_a_new_label_replaces_the_old_one(self):
        series = Series(["2024-01-01"], [1.0], excluded=[True])

        relabeled = series.with_labels(expected=["2024-01-01"])

        assert relabeled.expected.tolist() == [True]
        assert relabeled.excluded.tolist() == [False]
