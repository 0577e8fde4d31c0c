"""Suite suggestions from plain metric points, checked against the numbers they came from."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from monitor.metrics.points import MetricPoint
from monitor.validation.suggest import MARGIN, QUANTILE_MOSTLY, grows, suggest_suite
from monitor.validation.suites import check_suite, parse_suite

DAY = dt.datetime(2026, 3, 1)
COLUMNS = [("id", "INTEGER"), ("amount", "DOUBLE"), ("status", "TEXT"), ("note", "TEXT")]


def day_points(days: int = 10) -> list[MetricPoint]:
    rng = np.random.default_rng(2)
    out = []
    for d in range(days):
        ts = DAY + dt.timedelta(days=d)
        rows = 100.0
        amounts = rng.lognormal(3, 0.5, 100)

        def add(column: str, metric: str, value: float, ts: dt.datetime = ts) -> None:
            out.append(MetricPoint("t", column, metric, "day", ts, value))

        add("", "row_count", rows)
        add("id", "null_count", 0)
        add("id", "min", d * 100 + 1)
        add("id", "max", d * 100 + 100)
        add("id", "mean", d * 100 + 50.5)
        add("id", "distinct_count", rows)
        add("amount", "null_count", 0)
        add("amount", "min", float(amounts.min()))
        add("amount", "max", float(amounts.max()))
        add("amount", "mean", float(amounts.mean()))
        for name, q in (("p1", 0.01), ("p50", 0.5), ("p99", 0.99)):
            add("amount", name, float(np.quantile(amounts, q)))
        add("status", "null_count", 10 if d == 3 else 0)
        add("status", "null_rate", 0.1 if d == 3 else 0.0)
        add("status", "min_length", 4)
        add("status", "share:paid", 0.6)
        add("status", "share:open", 0.3 if d == 3 else 0.4)
        add("note", "null_count", 5)
        add("note", "min_length", 1)
        add("note", "share:x", 0.5)  # half the rows have values outside the top k
    return out


def by_type(suite: dict, column: str) -> dict[str, dict]:
    return {e["type"]: e for e in suite["expectations"] if e["kwargs"]["column"] == column}


class TestSuggestSuite:
    def test_not_null_only_where_never_null(self) -> None:
        suite = suggest_suite("t", day_points(), COLUMNS, granularity="day")

        nulls = {c for c in ("id", "amount", "status", "note")
                 if "expect_column_values_to_not_be_null" in by_type(suite, c)}
        assert nulls == {"id", "amount"}
        assert "never null in 10 days, 2026-03-01 to 2026-03-10 (1,000 rows)" in by_type(
            suite, "id")["expect_column_values_to_not_be_null"]["meta"]["evidence"]

    def test_a_range_from_the_quantiles_with_a_margin(self) -> None:
        points = day_points()
        low = min(p.value for p in points if p.metric == "p1")
        high = max(p.value for p in points if p.metric == "p99")

        suite = suggest_suite("t", points, COLUMNS, granularity="day")

        between = by_type(suite, "amount")["expect_column_values_to_be_between"]["kwargs"]
        assert between["min_value"] == pytest.approx(max(0.0, low - MARGIN * (high - low)))
        assert between["max_value"] == pytest.approx(high + MARGIN * (high - low))
        assert between["mostly"] == QUANTILE_MOSTLY

    def test_a_growing_id_gets_no_upper_bound_and_is_unique_per_bucket(self) -> None:
        suite = suggest_suite("t", day_points(), COLUMNS, granularity="day")

        found = by_type(suite, "id")
        assert "max_value" not in found["expect_column_values_to_be_between"]["kwargs"]
        assert "within each of 10 days" in found["expect_column_values_to_be_unique"][
            "meta"]["evidence"]

    def test_a_value_set_only_when_the_top_values_cover_every_row(self) -> None:
        suite = suggest_suite("t", day_points(), COLUMNS, granularity="day")

        in_set = by_type(suite, "status")["expect_column_values_to_be_in_set"]
        assert in_set["kwargs"]["value_set"] == ["open", "paid"]
        assert "shares: paid 60%, open 39%" in in_set["meta"]["evidence"]
        assert "expect_column_values_to_be_in_set" not in by_type(suite, "note")

    def test_the_draft_is_a_valid_suite_with_stable_ids(self) -> None:
        first = suggest_suite("t", day_points(), COLUMNS, granularity="day")
        second = suggest_suite("t", day_points(), COLUMNS, granularity="day")

        suite = parse_suite(first, source="suggested")
        assert check_suite(suite, [c for c, _ in COLUMNS]) == []
        assert first == second
        assert {e["severity"] for e in first["expectations"]} == {"warning"}

    def test_no_points_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="no stored day points"):
            suggest_suite("t", [], COLUMNS, granularity="day")


class TestGrows:
    def test_random_maxima_do_not_grow(self) -> None:
        rng = np.random.default_rng(1)

        assert not grows({DAY + dt.timedelta(days=d): float(v)
                          for d, v in enumerate(rng.normal(100, 5, 30))})

    def test_too_few_points_say_nothing(self) -> None:
        assert not grows({DAY + dt.timedelta(days=d): float(d) for d in range(4)})
