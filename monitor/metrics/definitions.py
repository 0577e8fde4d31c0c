"""Metrics: what a profile reports, and which aggregate states each one needs.

>>> duck = capabilities_for("duckdb")
>>> [m.name for m in column_metrics("amount", "float", distinct="exact", caps=duck)][:6]
['null_count', 'null_rate', 'distinct_count', 'finite_count', 'min', 'max']
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from monitor.dialects import Capabilities, capabilities_for
from monitor.metrics.states import QUANTILES, State
from monitor.timeutil import as_utc

DistinctMethod = Literal["exact", "approx", "catalog", "off"]

#: Metric names in the order they are shown.
METRIC_ORDER = (
    "row_count", "freshness_seconds", "null_count", "null_rate", "distinct_count",
    "min", "max", "mean", "stddev", "min_length", "max_length", "nan_count", "inf_count",
    "finite_count", *QUANTILES,
)
#: Metrics kept in the history but not shown in a profile (they make buckets mergeable).
INTERNAL_METRICS = frozenset({"finite_count"})


@dataclass(frozen=True)
class Metric:
    """A named value about a table (column None) or one of its columns."""

    name: str
    column: str | None
    column_kind: str | None = None
    distinct: DistinctMethod | None = None
    stddev_native: bool = True

    @property
    def states(self) -> tuple[State, ...]:
        """The aggregate states this metric is computed from (empty: computed elsewhere)."""
        col = self.column
        match self.name:
            case "row_count":
                return (State("rows"),)
            case "null_count" | "null_rate":
                return (State("rows"), State("non_null", col))
            case "distinct_count":
                if self.distinct == "exact":
                    return (State("distinct", col),)
                if self.distinct == "approx":
                    return (State("approx_distinct", col),)
                return ()
            case "stddev" if not self.stddev_native:
                return (State("finite_count", col), State("shifted_sum", col),
                        State("shifted_sumsq", col))
            case "stddev":
                return (State("stddev", col),)
            case name if name in QUANTILES:
                return (State("quantiles", col),)
            case ("min" | "max" | "mean" | "finite_count" | "nan_count" | "inf_count"
                  | "min_length" | "max_length"):
                return (State(self.name, col),)  # type: ignore[arg-type]
        raise AssertionError(f"unknown metric {self.name}")

    def value(self, states: Mapping[State, Any]) -> Any:
        """The metric's value from the states read back from the scan."""
        col = self.column
        match self.name:
            case "row_count":
                return int(states[State("rows")] or 0)
            case "null_count":
                return int(states[State("rows")] or 0) - int(states[State("non_null", col)] or 0)
            case "null_rate":
                rows = int(states[State("rows")] or 0)
                if rows == 0:
                    return None
                return (rows - int(states[State("non_null", col)] or 0)) / rows
            case "distinct_count":
                state = self.states[0] if self.states else None
                return None if state is None else _int(states[state])
            case "stddev" if not self.stddev_native:
                n = _int(states[State("finite_count", col)]) or 0
                if n < 2:
                    return None
                s1 = float(states[State("shifted_sum", col)] or 0.0)
                s2 = float(states[State("shifted_sumsq", col)] or 0.0)
                variance = max(0.0, (s2 - s1 * s1 / n) / (n - 1))
                return math.sqrt(variance)
            case "min" | "max":
                return convert_value(states[State(self.name, col)], self.column_kind)
            case "mean" | "stddev":
                return _float(states[State(self.name, col)])
            case name if name in QUANTILES:
                found = states[State("quantiles", col)]
                if not found:
                    return None  # no finite value in the rows
                return _float(list(found)[list(QUANTILES).index(name)])
            case "nan_count" | "inf_count" | "finite_count":
                # sum() over no rows is NULL; a count of nothing is 0.
                return int(states[State(self.name, col)] or 0)
            case _:
                return _int(states[State(self.name, col)])  # type: ignore[arg-type]


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out


def convert_value(value: Any, kind: str | None) -> Any:
    """A database value as a plain Python value (floats, ints, aware datetimes, dates)."""
    if value is None:
        return None
    if kind in ("timestamp", "date"):
        parsed = parse_db_time(value)
        if parsed is None:
            return None
        return parsed.date() if kind == "date" else parsed
    if isinstance(value, decimal.Decimal):
        return float(value)
    if kind == "integer" and isinstance(value, int | float) and float(value).is_integer():
        return int(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def parse_db_time(value: Any) -> dt.datetime | None:
    """A time read back from a warehouse (datetime, date or SQLite text) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        return as_utc(value)
    text = str(value).strip()
    if not text:
        return None
    try:
        return as_utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return None


def column_metrics(column: str, kind: str, *, distinct: DistinctMethod,
                   caps: Capabilities | None = None) -> list[Metric]:
    """The metrics profiled for a column of a given kind."""
    caps = caps or capabilities_for("sqlite")
    out = [Metric("null_count", column, kind), Metric("null_rate", column, kind)]
    if kind != "other" and distinct != "off":
        out.append(Metric("distinct_count", column, kind, distinct=distinct))
    if kind in ("integer", "float", "decimal"):
        out += [Metric("finite_count", column, kind), Metric("min", column, kind),
                Metric("max", column, kind), Metric("mean", column, kind),
                Metric("stddev", column, kind, stddev_native=caps.has_stddev)]
        if kind == "float":
            if caps.floats_hold_nan:
                out.append(Metric("nan_count", column, kind))
            out.append(Metric("inf_count", column, kind))
    elif kind == "string":
        out += [Metric("min_length", column, kind), Metric("max_length", column, kind)]
    elif kind in ("timestamp", "date"):
        out += [Metric("min", column, kind), Metric("max", column, kind)]
    return out
