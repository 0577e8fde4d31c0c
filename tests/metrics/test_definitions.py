"""Which metrics a column gets, and how states turn into values."""

from __future__ import annotations

import datetime as dt
import decimal
import math

import pytest

from monitor.dialects import capabilities_for
from monitor.metrics.definitions import Metric, column_metrics, convert_value, parse_db_time
from monitor.metrics.states import State


class TestColumnMetrics:
    def test_by_kind(self) -> None:
        pg = capabilities_for("postgresql")

        names = {kind: [m.name for m in column_metrics("c", kind, distinct="exact", caps=pg)]
                 for kind in ("string", "timestamp", "boolean", "other")}

        assert names["string"] == ["null_count", "null_rate", "distinct_count", "min_length",
                                   "max_length"]
        assert names["timestamp"] == ["null_count", "null_rate", "distinct_count", "min", "max"]
        assert names["boolean"] == ["null_count", "null_rate", "distinct_count"]
        assert names["other"] == ["null_count", "null_rate"]

    def test_sqlite_floats_have_no_nan_count_and_stddev_from_sums(self) -> None:
        metrics = column_metrics("x", "float", distinct="off", caps=capabilities_for("sqlite"))

        names = [m.name for m in metrics]
        stddev = next(m for m in metrics if m.name == "stddev")
        assert "nan_count" not in names
        assert "distinct_count" not in names
        assert {s.kind for s in stddev.states} == {"finite_count", "shifted_sum", "shifted_sumsq"}


class TestMetric:
    def test_null_rate_of_an_empty_table_is_none(self) -> None:
        metric = Metric("null_rate", "c")

        assert metric.value({State("rows"): 0, State("non_null", "c"): 0}) is None
        assert metric.value({State("rows"): 4, State("non_null", "c"): 3}) == 0.25

    def test_stddev_from_shifted_sums_matches_the_textbook_formula(self) -> None:
        values = [10.0, 12.0, 23.0, 23.0, 16.0, 23.0, 21.0, 16.0]
        shift = values[0]
        states = {State("finite_count", "x"): len(values),
                  State("shifted_sum", "x"): sum(v - shift for v in values),
                  State("shifted_sumsq", "x"): sum((v - shift) ** 2 for v in values)}
        mean = sum(values) / len(values)
        expected = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))

        assert Metric("stddev", "x", "float", stddev_native=False).value(states) == pytest.approx(
            expected)

    def test_stddev_needs_two_values(self) -> None:
        states = {State("finite_count", "x"): 1, State("shifted_sum", "x"): 0.0,
                  State("shifted_sumsq", "x"): 0.0}

        assert Metric("stddev", "x", stddev_native=False).value(states) is None

    def test_distinct_from_catalog_is_filled_elsewhere(self) -> None:
        assert Metric("distinct_count", "c", distinct="catalog").states == ()


class TestConvertValue:
    def test_plain_python_values(self) -> None:
        assert convert_value(decimal.Decimal("1.50"), "decimal") == 1.5
        assert convert_value(3.0, "integer") == 3
        assert convert_value(float("nan"), "float") is None
        assert convert_value("2026-01-02 03:04:05.000", "timestamp") == dt.datetime(
            2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        assert convert_value("2026-01-02 00:00:00.000", "date") == dt.date(2026, 1, 2)


class TestParseDbTime:
    def test_text_dates_and_garbage(self) -> None:
        assert parse_db_time(dt.date(2026, 1, 2)) == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
        assert parse_db_time("not a time") is None
        assert parse_db_time("") is None
