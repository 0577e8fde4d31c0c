"""Expectation arguments checked without GX, against GX itself as the oracle."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.validation.arguments import MODELS, check_arguments
from monitor.validation.catalog import allowed_kwargs
from monitor.validation.suites import ExpectationSpec
from tests.helpers.warehouses import sqlite_warehouse

#: Rules GX applies only when it runs the expectation, not when it builds it.
RUNTIME_RULES = ("min_value cannot be greater than max_value", "cannot be compared")
#: Arguments GX models that this module leaves to GX (the expectation goes to GX then).
NOT_MODELLED = {"row_condition", "condition_parser", "result_format", "catch_exceptions",
                "library_metadata"}

# What people write in suite files: numbers as text, dates, booleans as words, nulls...
WRONG = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 200), st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(["", "10", " 5 ", "1e3", "0.5", "abc", "hello", "2024-01-01",
                     "2024-01-01T10:00:00", "2024-13-01", "true", "yes", "off", "3.5"]),
    st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["a", "b"])), max_size=3),
    st.sampled_from([{}, {"$PARAMETER": "p"}, {"a": 1}]))


def _gx(kind: str, kwargs: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    from monitor.validation.gx import gx_context

    gx_context()
    try:
        built = ExpectationConfiguration(type=kind, kwargs=kwargs).to_domain_obj()
    except Exception:  # noqa: BLE001 - any refusal is a refusal
        return False, {}
    return True, dict(built.configuration.kwargs)


@st.composite
def expectations(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(sorted(MODELS)))
    keys = sorted(allowed_kwargs(kind) - NOT_MODELLED)
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
    kwargs = {key: draw(WRONG) for key in chosen}
    if "column" in keys and draw(st.booleans()):
        kwargs["column"] = "a"  # most files name their column right
    return kind, kwargs


class TestCheckArguments:
    @settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(expectations())
    def test_accepts_rejects_and_reads_values_as_gx_does(
            self, case: tuple[str, dict[str, Any]]) -> None:
        kind, kwargs = case

        mine = check_arguments(kind, kwargs)
        gx_ok, gx_kwargs = _gx(kind, kwargs)

        runtime_only = any(rule in p for p in mine.problems for rule in RUNTIME_RULES)
        assert mine.ok == gx_ok or (gx_ok and runtime_only), (mine.problems, gx_ok)
        if mine.ok:
            for key, value in gx_kwargs.items():
                assert mine.kwargs[key] == value, key
                assert type(mine.kwargs[key]) is type(value), key

    @pytest.mark.parametrize(("kind", "kwargs", "problem"), [
        ("expect_column_values_to_be_between", {"column": "a", "min_value": None,
                                                "max_value": None},
         "min_value and max_value cannot both be None"),
        ("expect_column_values_to_be_between", {"column": "a", "min_value": 10,
                                                "max_value": 0},
         "min_value cannot be greater than max_value"),
        ("expect_table_row_count_to_be_between", {"min_value": 10, "max_value": 0},
         "min_value (10) must be less than or equal to max_value (0)"),
        ("expect_table_column_count_to_equal", {"value": "hello"},
         "value: value is not a valid integer, value is not a valid dict"),
        ("expect_table_column_count_to_be_between", {"min_value": "hello"},
         "min_value: value is not a valid float, value is not a valid dict, "
         "invalid date format, invalid datetime format"),
        ("expect_column_values_to_be_in_set", {"column": "a", "value_set": None},
         "value_set: none is not an allowed value"),
        ("expect_column_values_to_not_be_null", {"column": "a", "mostly": 2},
         "mostly: ensure this value is less than or equal to 1.0, value is not a valid dict"),
    ])
    def test_the_arguments_the_issue_names(self, kind, kwargs, problem) -> None:
        assert check_arguments(kind, kwargs).problems == (problem,)

    def test_values_are_read_as_gx_reads_them(self) -> None:
        dates = check_arguments("expect_column_values_to_be_between", {
            "column": "t", "min_value": "2024-01-01", "max_value": "2024-02-01",
            "strict_min": "yes", "mostly": "0.5"}).kwargs
        times = check_arguments("expect_column_values_to_be_between", {
            "column": "t", "min_value": "2024-01-01T00:00", "mostly": 1}).kwargs

        assert dates == {"column": "t", "min_value": dt.date(2024, 1, 1),
                         "max_value": dt.date(2024, 2, 1), "strict_min": True, "mostly": 0.5}
        assert times == {"column": "t", "min_value": dt.datetime(2024, 1, 1), "mostly": 1.0}

    @pytest.mark.parametrize(("low", "high"), [(10, 0), ("2024-01-01", "2024-02-01T12:00")])
    def test_rules_gx_applies_when_it_runs_fail_there_too(self, tmp_path: Path, low,
                                                          high) -> None:
        wh = sqlite_warehouse(tmp_path)
        wh.create_table("t", {"a": sa.Integer()}, [{"a": 1}])
        warehouse = wh.warehouse()
        kwargs = {"column": "a", "min_value": low, "max_value": high}
        from monitor.validation.gx import GxValidator

        [gx] = GxValidator().evaluate(warehouse, warehouse.describe("t"), [ExpectationSpec(
            "s", "expect_column_values_to_be_between", kwargs)])
        mine = check_arguments("expect_column_values_to_be_between", kwargs)

        assert not mine.ok
        assert not gx.success
        assert gx.error
        wh.dispose()

    def test_types_it_does_not_model_are_left_to_gx(self) -> None:
        out = check_arguments("expect_column_median_to_be_between", {"column": 5})
        assert out.ok
        assert out.kwargs == {"column": 5}
