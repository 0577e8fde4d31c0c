"""Aggregate states: the SQL aggregates that metrics and expectations are computed from.

A state is a frozen value ``(kind, column)``; two metrics (or a metric and a
pushed-down expectation) that need the same state share one aggregate in the
scan (``count(col)`` feeds null_count, null_rate and ``not_be_null``). States
are mergeable where the arithmetic allows it (counts,
sums, min/max), which is what makes bucketed history combinable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from monitor.dialects import Capabilities

StateKind = Literal[
    "rows",            # count(*)
    "non_null",        # count(col)
    "distinct",        # count(DISTINCT col)
    "approx_distinct", # the dialect's approximate distinct aggregate
    "finite_count",    # count of finite numeric values
    "min",             # min over finite numbers / normalised times
    "max",
    "mean",            # avg over finite numbers
    "stddev",          # stddev_samp over finite numbers (where the dialect has it)
    "shifted_sum",     # sum(x - c): for stddev where the dialect lacks it
    "shifted_sumsq",   # sum((x - c)^2)
    "nan_count",
    "inf_count",
    "min_length",
    "max_length",
    # The raw column, as an expectation reads it (NaN and infinities included):
    "raw_min",
    "raw_max",
    "raw_mean",
    "raw_stddev",
    "raw_shifted_sum",
    "raw_shifted_sumsq",
    "sum",
    "count_where",     # rows matching a condition given by the plan (``key`` names it)
    "quantiles",       # the dialect's quantile aggregate at QUANTILES, one array
]

#: Quantiles of a distribution column, by metric name (``p50`` is the median).
QUANTILES: dict[str, float] = {"p1": 0.01, "p5": 0.05, "p25": 0.25, "p50": 0.5,
                               "p75": 0.75, "p95": 0.95, "p99": 0.99}

#: Raw kinds that are the profile's own kind on columns that hold no NaN or infinity.
_RAW = {"raw_min": "min", "raw_max": "max", "raw_mean": "mean", "raw_stddev": "stddev",
        "raw_shifted_sum": "shifted_sum", "raw_shifted_sumsq": "shifted_sumsq"}


@dataclass(frozen=True)
class State:
    """One aggregate over one column (or the whole table when column is None)."""

    kind: StateKind
    column: str | None = None
    #: Tells apart states of one kind and column whose expression the plan gives
    #: (``count_where``: which condition).
    key: str | None = None


def canonical(state: State, kinds: dict[str, str]) -> State:
    """The state computing the same SQL aggregate: on integer and decimal columns
    (no NaN, no infinity) a raw state is the profile's own (``raw_min`` is ``min``)
    and ``finite_count`` is ``non_null``; so a profile and an expectation share one
    aggregate.

    >>> canonical(State("raw_min", "qty"), {"qty": "integer"})
    State(kind='min', column='qty', key=None)
    >>> canonical(State("raw_min", "amount"), {"amount": "float"})
    State(kind='raw_min', column='amount', key=None)
    """
    if state.column is None or kinds.get(state.column) not in ("integer", "decimal"):
        return state
    if state.kind in _RAW:
        return State(_RAW[state.kind], state.column)  # type: ignore[arg-type]
    if state.kind == "finite_count":
        return State("non_null", state.column)
    return state


def _finite_value(col: ColumnElement[Any], kind: str, caps: Capabilities) -> ColumnElement[Any]:
    """Numbers as double precision, with NaN and infinities turned into NULL."""
    if kind == "float":
        return sa.case((caps.finite(col), col), else_=sa.null())
    return col


def _shift(table: sa.Table, col: ColumnElement[Any], kind: str,
           caps: Capabilities) -> ColumnElement[Any]:
    """A constant close to the data (its first finite value), to keep sums of squares exact."""
    condition = col.is_not(None)
    if kind == "float":
        condition = sa.and_(condition, caps.finite(col))
    first = sa.select(sa.cast(col, sa.Double)).select_from(table).where(condition).limit(1)
    return sa.func.coalesce(first.scalar_subquery(), sa.literal(0.0, sa.Double))


def build(state: State, table: sa.Table, kinds: dict[str, str],
          caps: Capabilities) -> ColumnElement[Any]:
    """The SQL aggregate for a state."""
    if state.kind == "rows":
        return sa.func.count()
    assert state.column is not None
    col = table.c[state.column]
    kind = kinds[state.column]
    if state.kind == "non_null":
        return sa.func.count(col)
    if state.kind == "distinct":
        if kind == "string" and caps.distinct_collation:
            # Equal under a deterministic collation means equal bytes: the count is
            # the same, and a byte comparison sorts text about twice as fast.
            return sa.func.count(sa.distinct(sa.collate(col, caps.distinct_collation)))
        return sa.func.count(sa.distinct(col))
    if state.kind == "approx_distinct":
        expr = caps.approx_count_distinct(col)
        assert expr is not None, f"{caps.name} has no approximate distinct aggregate"
        return expr
    if state.kind in ("min_length", "max_length"):
        fn = sa.func.min if state.kind == "min_length" else sa.func.max
        return fn(caps.length(col))
    if kind in ("timestamp", "date") and state.kind in ("min", "max"):
        fn = sa.func.min if state.kind == "min" else sa.func.max
        return fn(caps.timestamp(col))
    value = _finite_value(col, kind, caps)
    if state.kind == "finite_count":
        return sa.func.count(value)
    if state.kind == "min":
        return sa.func.min(value)
    if state.kind == "max":
        return sa.func.max(value)
    if state.kind == "mean":
        return sa.func.avg(sa.cast(value, sa.Double))
    if state.kind == "stddev":
        return sa.func.stddev_samp(sa.cast(value, sa.Double))
    if state.kind in ("shifted_sum", "shifted_sumsq"):
        shifted = sa.cast(value, sa.Double) - _shift(table, col, kind, caps)
        return sa.func.sum(shifted if state.kind == "shifted_sum" else shifted * shifted)
    if state.kind == "nan_count":
        is_nan = caps.is_nan(col)
        if is_nan is None:
            return sa.literal(0)
        return sa.func.sum(sa.case((is_nan, 1), else_=0))
    if state.kind == "inf_count":
        return sa.func.sum(sa.case((caps.is_infinite(col), 1), else_=0))
    if state.kind in _RAW:  # a float column as it is (NaN and infinities included)
        raw = State(_RAW[state.kind], state.column)  # type: ignore[arg-type]
        return build(raw, table, {**kinds, state.column: "raw"}, caps)
    if state.kind == "sum":
        return sa.func.sum(col)
    if state.kind == "quantiles":
        expr = caps.quantiles(sa.cast(value, sa.Double), tuple(QUANTILES.values()))
        assert expr is not None, f"{caps.name} has no quantile aggregate"
        return expr
    raise AssertionError(f"unknown state {state.kind}")
