"""Which expectations run as SQL, and the predicate of each row-level one.

``supports`` says whether ``monitor.validation.pushdown`` evaluates an expectation
itself (type, arguments and column kind it understands); everything else
goes to GX. ``unexpected_condition`` is the SQL predicate that is true for
the rows a column-map expectation calls unexpected: the same predicate counts
them, samples their values and picks the rows ingestion quarantines.

>>> from monitor.validation.suites import ExpectationSpec
>>> from monitor.dialects import capabilities_for
>>> spec = ExpectationSpec("s", "expect_column_values_to_be_between",
...                        {"column": "amount", "min_value": 0})
>>> supports(spec, "float", capabilities_for("sqlite"))
True
>>> import datetime as dt
>>> supports(ExpectationSpec("s", "expect_column_values_to_be_between",
...                          {"column": "at", "min_value": dt.date(2024, 1, 1)}),
...          "timestamp", capabilities_for("duckdb"))
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from monitor.dialects import Capabilities
from monitor.validation.suites import ExpectationSpec

NUMERIC = ("integer", "float", "decimal")
TEMPORAL = ("timestamp", "date")
_COMMON = frozenset({"result_format", "catch_exceptions"})
_RANGE = frozenset({"min_value", "max_value", "strict_min", "strict_max"})
_MAP = frozenset({"column", "mostly"})

#: type -> the arguments it understands (anything else goes to GX).
NATIVE_KWARGS: dict[str, frozenset[str]] = {
    "expect_table_row_count_to_be_between": _RANGE,
    "expect_table_row_count_to_equal": frozenset({"value"}),
    "expect_column_values_to_not_be_null": _MAP,
    "expect_column_values_to_be_null": _MAP,
    "expect_column_values_to_be_between": _MAP | _RANGE,
    "expect_column_values_to_be_in_set": _MAP | {"value_set"},
    "expect_column_values_to_not_be_in_set": _MAP | {"value_set"},
    "expect_column_values_to_match_regex": _MAP | {"regex"},
    "expect_column_values_to_not_match_regex": _MAP | {"regex"},
    "expect_column_value_lengths_to_be_between": _MAP | _RANGE,
    "expect_column_value_lengths_to_equal": _MAP | {"value"},
    "expect_column_values_to_be_unique": _MAP,
    "expect_column_min_to_be_between": {"column"} | _RANGE,
    "expect_column_max_to_be_between": {"column"} | _RANGE,
    "expect_column_mean_to_be_between": {"column"} | _RANGE,
    "expect_column_stdev_to_be_between": {"column"} | _RANGE,
    "expect_column_sum_to_be_between": {"column"} | _RANGE,
    "expect_column_unique_value_count_to_be_between": {"column"} | _RANGE,
    "expect_column_proportion_of_unique_values_to_be_between": {"column"} | _RANGE,
    "expect_column_proportion_of_non_null_values_to_be_between": {"column"} | _RANGE,
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bounds_ok(kwargs: Mapping[str, Any], *, integers: bool = False) -> bool:
    for key in ("min_value", "max_value"):
        value = kwargs.get(key)
        if value is None:
            continue
        if not _number(value) or (integers and not float(value).is_integer()):
            return False
    return all(isinstance(kwargs.get(k, False), bool) or kwargs.get(k) is None
               for k in ("strict_min", "strict_max"))


def _time_bounds_ok(kwargs: Mapping[str, Any]) -> bool:
    """Dates or times as bounds (as GX reads ``"2024-01-01"``), compared in SQL as GX does."""
    return all(kwargs.get(k) is None or isinstance(kwargs.get(k), dt.date)
               for k in ("min_value", "max_value")) and all(
        isinstance(kwargs.get(k, False), bool) for k in ("strict_min", "strict_max"))


def _set_ok(values: Any, kind: str) -> bool:
    if not isinstance(values, list | tuple) or not values:
        return False
    if kind in NUMERIC:
        return all(_number(v) for v in values)
    if kind == "string":
        return all(isinstance(v, str) for v in values)
    if kind == "boolean":
        return all(isinstance(v, bool) for v in values)
    return False


def supports(spec: ExpectationSpec, kind: str | None, caps: Capabilities) -> bool:
    """True when this module evaluates ``spec`` on a column of ``kind`` (None: no column)."""
    allowed = NATIVE_KWARGS.get(spec.type)
    if allowed is None or set(spec.kwargs) - allowed - _COMMON:
        return False
    kw, kind = spec.kwargs, kind or ""
    mostly = kw.get("mostly", 1)
    if not _number(mostly) or not 0 <= mostly <= 1:
        return False
    match spec.type:
        case "expect_table_row_count_to_be_between":
            return _bounds_ok(kw)
        case "expect_table_row_count_to_equal":
            return _number(kw.get("value"))
        case "expect_column_values_to_not_be_null" | "expect_column_values_to_be_null":
            return True
        case "expect_column_values_to_be_between":
            if kw.get("min_value") is None and kw.get("max_value") is None:
                return False
            if kind in TEMPORAL:
                return _time_bounds_ok(kw)
            return kind in NUMERIC and _bounds_ok(kw)
        case "expect_column_values_to_be_in_set" | "expect_column_values_to_not_be_in_set":
            return _set_ok(kw.get("value_set"), kind)
        case "expect_column_values_to_match_regex" | "expect_column_values_to_not_match_regex":
            return caps.has_regex and kind == "string" and isinstance(kw.get("regex"), str)
        case "expect_column_value_lengths_to_be_between":
            return kind == "string" and _bounds_ok(kw, integers=True)
        case "expect_column_value_lengths_to_equal":
            return kind == "string" and _number(kw.get("value"))
        case "expect_column_values_to_be_unique" | (
                "expect_column_unique_value_count_to_be_between") | (
                "expect_column_proportion_of_unique_values_to_be_between"):
            return kind != "other" and _bounds_ok(kw)
        case "expect_column_proportion_of_non_null_values_to_be_between":
            return _bounds_ok(kw)
    return kind in NUMERIC and _bounds_ok(kw)  # min/max/mean/stdev/sum


def _range(expr: ColumnElement[Any], kw: Mapping[str, Any]) -> ColumnElement[bool]:
    parts = []
    low, high = kw.get("min_value"), kw.get("max_value")
    if low is not None:
        bound = sa.literal(low)
        parts.append(expr > bound if kw.get("strict_min") else expr >= bound)
    if high is not None:
        bound = sa.literal(high)
        parts.append(expr < bound if kw.get("strict_max") else expr <= bound)
    return sa.and_(*parts) if parts else sa.true()


def unexpected_condition(spec: ExpectationSpec, column: ColumnElement[Any],
                         caps: Capabilities) -> ColumnElement[bool] | None:
    """True for the rows a map expectation calls unexpected; None for aggregate types.

    The same predicate counts the unexpected rows, samples their values and
    picks the rows that ingestion sends to quarantine.
    """
    kw = spec.kwargs
    present = column.is_not(None)
    match spec.type:
        case "expect_column_values_to_not_be_null":
            return column.is_(None)
        case "expect_column_values_to_be_null":
            return present
        case "expect_column_values_to_be_between":
            return sa.and_(present, sa.not_(_range(column, kw)))
        case "expect_column_values_to_be_in_set":
            return sa.and_(present, column.not_in(list(kw["value_set"])))
        case "expect_column_values_to_not_be_in_set":
            return sa.and_(present, column.in_(list(kw["value_set"])))
        case "expect_column_values_to_match_regex":
            return sa.and_(present, sa.not_(caps.regex_match(column, kw["regex"])))
        case "expect_column_values_to_not_match_regex":
            return sa.and_(present, caps.regex_match(column, kw["regex"]))
        case "expect_column_value_lengths_to_be_between":
            return sa.and_(present, sa.not_(_range(caps.length(column), kw)))
        case "expect_column_value_lengths_to_equal":
            return sa.and_(present, caps.length(column) != sa.literal(kw["value"]))
    return None
