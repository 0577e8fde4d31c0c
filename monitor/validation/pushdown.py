"""Expectations evaluated by the warehouse itself: one aggregate SELECT per table.

The common GX expectation types (nulls, ranges, sets, regexes, lengths,
uniqueness, min/max/mean/stdev/sum, row counts, distinct counts) compile
into aggregate states (``monitor.metrics.states``) of ONE statement built with
SQLAlchemy Core (identifiers quoted, values bound); identical states are
shared (one ``count(col)`` serves every null check on ``col``, and the
profile's null rate when a run's profile computes them: ``plan_expectations``).
Distinct counts are ``count(DISTINCT col)`` aggregates of that statement; rows
of duplicated values are counted apart, only when a uniqueness check fails.
Results follow
GX's own semantics (``mostly``, null handling, unexpected percent of the
non-null rows), which the tests check against GX as the oracle.

Expectation types or arguments not handled here (``row_condition``,
dates as bounds of aggregates, median, ...) are reported by ``supports`` (in
``monitor.validation.pushdown_rules``) and left to GX. Arguments arrive read as GX
reads them (``monitor.validation.arguments``): a date bound is a date.

>>> from monitor.metrics.profile import describe_table
>>> customers = config.table("customers")
>>> specs = [ExpectationSpec("customers", f"expect_column_values_to_{check}", {"column": column})
...          for check, column in (("not_be_null", "phone"), ("be_unique", "email"))]
>>> for outcome in PushdownValidator().evaluate(warehouse, describe_table(warehouse, customers),
...                                             specs):
...     print(outcome.unexpected_count, outcome.reason)
811 values_to_not_be_null(phone): 811 unexpected values (20.5%)
0 values_to_be_unique(email): no unexpected values
"""

from __future__ import annotations

import decimal
import logging
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from monitor.dialects import Capabilities
from monitor.errors import QueryFailed
from monitor.metrics.scan import Needs, compile_scan
from monitor.metrics.states import State
from monitor.validation.outcomes import ExpectationOutcome
from monitor.validation.pushdown_rules import unexpected_condition
from monitor.validation.suites import ExpectationSpec
from monitor.warehouse import SqlWarehouse, TableShape

log = logging.getLogger(__name__)

#: Map expectations judged against every row; the others only see non-null values.
_ALL_ROWS = frozenset({"expect_column_values_to_not_be_null",
                       "expect_column_values_to_be_null"})
#: The state of each aggregate expectation: the raw column, as GX reads it (on columns
#: that hold no NaN or infinity, the profile's own state; see ``canonical``).
_NUMERIC_AGGREGATES = {"expect_column_min_to_be_between": "raw_min",
                       "expect_column_max_to_be_between": "raw_max",
                       "expect_column_mean_to_be_between": "raw_mean",
                       "expect_column_stdev_to_be_between": "raw_stddev",
                       "expect_column_sum_to_be_between": "sum"}


class _Plan:
    """The states the expectations of one table need, each once (shared by identity
    with a profile's: ``State("non_null", col)`` is the profile's ``count(col)``)."""

    def __init__(self) -> None:
        self.states: dict[State, None] = {}
        self.custom: dict[State, ColumnElement[Any]] = {}

    def add(self, state: State, build: Callable[[], ColumnElement[Any]] | None = None) -> State:
        self.states.setdefault(state, None)
        if build is not None and state not in self.custom:
            self.custom[state] = build()
        return state

    def needs(self) -> Needs:
        return Needs(tuple(self.states), dict(self.custom))


def _dup_rows(table: sa.Table, column: ColumnElement[Any]) -> sa.Select[Any]:
    """Rows whose value occurs more than once (GX's unexpected count for uniqueness)."""
    counts = (sa.select(sa.func.count().label("n")).select_from(table)
              .where(column.is_not(None)).group_by(column)
              .having(sa.func.count() > 1).subquery("dq_dups"))
    return sa.select(sa.func.coalesce(sa.func.sum(counts.c.n), 0))


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return sa.func.count(sa.case((condition, sa.literal_column("1"))))


@dataclass(frozen=True)
class _Duplicates:
    """A uniqueness check whose distinct count found duplicates: they must be counted."""

    spec: ExpectationSpec
    column: str
    rows: int
    non_null: int


def _float(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        value = float(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _between(value: Any, kw: Mapping[str, Any]) -> bool:
    low, high = kw.get("min_value"), kw.get("max_value")
    if low is not None and (value <= low if kw.get("strict_min") else value < low):
        return False
    return not (high is not None and (value >= high if kw.get("strict_max") else value > high))


Reader = Callable[[Mapping[State, Any]], "ExpectationOutcome | _Duplicates"]


def _plan(spec: ExpectationSpec, shape: TableShape, column: str | None, kind: str,
          plan: _Plan, caps: Capabilities) -> Reader:
    """Register the states ``spec`` needs; return how to judge it from their values."""
    table, kw = shape.table, spec.kwargs
    rows = plan.add(State("rows"))
    if spec.type == "expect_table_row_count_to_be_between":
        return lambda r: _judged(spec, int(r[rows] or 0), _between(int(r[rows] or 0), kw))
    if spec.type == "expect_table_row_count_to_equal":
        return lambda r: _judged(spec, int(r[rows] or 0), int(r[rows] or 0) == kw["value"])
    assert column is not None
    col = table.c[column]
    non_null = plan.add(State("non_null", column))
    if spec.type == "expect_column_values_to_not_be_null":  # nulls = rows - non-null
        return lambda r: _map_outcome(spec, r[rows], r[non_null],
                                      int(r[rows] or 0) - int(r[non_null] or 0))
    if spec.type == "expect_column_values_to_be_null":
        return lambda r: _map_outcome(spec, r[rows], r[non_null], r[non_null])
    condition = unexpected_condition(spec, col, caps)
    if condition is not None:
        bad = plan.add(State("count_where", column, key=spec.key),
                       lambda: _count_where(condition))
        return lambda r: _map_outcome(spec, r[rows], r[non_null], r[bad])
    # The exact distinct count of the profile (count(DISTINCT col), a branch apart on
    # PostgreSQL): the same number as counting the groups of non-null values.
    distinct = State("distinct", column)
    if spec.type == "expect_column_values_to_be_unique":
        # All distinct: nothing to count. Else a grouped count follows (see _Duplicates).
        plan.add(distinct)

        def unique(r: Mapping[State, Any]) -> ExpectationOutcome | _Duplicates:
            if int(r[distinct] or 0) == int(r[non_null] or 0):
                return _map_outcome(spec, r[rows], r[non_null], 0)
            return _Duplicates(spec, column, int(r[rows] or 0), int(r[non_null] or 0))

        return unique
    if spec.type in ("expect_column_unique_value_count_to_be_between",
                     "expect_column_proportion_of_unique_values_to_be_between"):
        plan.add(distinct)
        if spec.type == "expect_column_unique_value_count_to_be_between":
            return lambda r: _metric(spec, int(r[distinct] or 0))
        return lambda r: _metric(spec, (int(r[distinct] or 0) / int(r[non_null]))
                                 if r[non_null] else 0.0)
    if spec.type == "expect_column_proportion_of_non_null_values_to_be_between":
        return lambda r: _metric(spec, int(r[non_null] or 0) / int(r[rows]) if r[rows] else 0)
    what = _NUMERIC_AGGREGATES[spec.type]
    if what == "raw_stddev" and not caps.has_stddev:
        return _stddev(spec, column, plan, non_null)
    label = plan.add(State(what, column))  # type: ignore[arg-type]
    return lambda r: _metric(spec, _float(r[label]))


def _stddev(spec: ExpectationSpec, column: str, plan: _Plan, non_null: State) -> Reader:
    """Sample standard deviation from shifted sums, where the dialect has no stddev_samp."""
    s1 = plan.add(State("raw_shifted_sum", column))
    s2 = plan.add(State("raw_shifted_sumsq", column))

    def read(r: Mapping[State, Any]) -> ExpectationOutcome:
        n = int(r[non_null] or 0)
        if n < 2:
            return _metric(spec, None)
        a, b = float(r[s1] or 0.0), float(r[s2] or 0.0)
        return _metric(spec, math.sqrt(max(0.0, (b - a * a / n) / (n - 1))))

    return read


def _judged(spec: ExpectationSpec, observed: Any, success: bool) -> ExpectationOutcome:
    return ExpectationOutcome(spec, success=success, observed_value=observed)


def _metric(spec: ExpectationSpec, value: Any) -> ExpectationOutcome:
    """GX's ``_validate_metric_value_between``: a missing value fails."""
    if value is None:
        return ExpectationOutcome(spec, success=False, observed_value=None)
    return ExpectationOutcome(spec, success=_between(value, spec.kwargs), observed_value=value)


def _map_outcome(spec: ExpectationSpec, rows: Any, non_null: Any,
                 unexpected: Any) -> ExpectationOutcome:
    """GX's column-map judgement: ``mostly`` of the considered rows must be expected."""
    total, present, bad = int(rows or 0), int(non_null or 0), int(unexpected or 0)
    considered = total if spec.type in _ALL_ROWS else present
    mostly = float(spec.kwargs.get("mostly", 1))
    success = True if total == 0 or considered == 0 else (considered - bad) / considered >= mostly
    percent = bad / considered * 100 if total > 0 and considered > 0 else None
    return ExpectationOutcome(spec, success=success, element_count=total,
                              unexpected_count=bad, unexpected_percent=percent)


def plan_expectations(shape: TableShape, expectations: Sequence[ExpectationSpec],
                      caps: Capabilities) -> Needs:
    """The states that judge ``expectations`` (each must pass ``supports``): what a
    profile's scan computes beside its metrics so that the suite needs no scan."""
    plan = _Plan()
    _readers(shape, expectations, caps, plan)
    return plan.needs()


def _readers(shape: TableShape, expectations: Sequence[ExpectationSpec], caps: Capabilities,
             plan: _Plan) -> list[Reader]:
    return [_plan(spec, shape, spec.column, shape.column(spec.column).kind if spec.column
                  else "", plan, caps) for spec in expectations]


class PushdownValidator:
    """Evaluates supported expectations in one aggregate SELECT per table.

    ``scanned``: state values a scan of every row already read (a profile's, planned
    with ``plan_expectations``); when they hold every state needed, no scan is sent.
    """

    def __init__(self, scanned: Mapping[State, Any] | None = None) -> None:
        self.scanned: Mapping[State, Any] = scanned or {}

    def evaluate(self, warehouse: SqlWarehouse, shape: TableShape,
                 expectations: Sequence[ExpectationSpec], *, samples: int = 0,
                 no_samples: Collection[str] = ()) -> list[ExpectationOutcome]:
        """Outcomes for ``expectations`` (every one must pass ``supports``)."""
        if not expectations:
            return []
        try:
            outcomes = self._scan(warehouse, shape, expectations, self.scanned)
        except QueryFailed as error:
            if len(expectations) == 1:
                outcomes = [ExpectationOutcome(expectations[0], success=False,
                                               error=str(error), engine="sql")]
            else:
                # One bad argument (say an invalid regex) must not sink the rest: isolate it.
                outcomes = [o for spec in expectations
                            for o in self.evaluate(warehouse, shape, [spec])]
        if samples > 0:
            outcomes = [self._with_samples(warehouse, shape, o, samples, no_samples)
                        for o in outcomes]
        return outcomes

    def _scan(self, warehouse: SqlWarehouse, shape: TableShape,
              expectations: Sequence[ExpectationSpec],
              scanned: Mapping[State, Any]) -> list[ExpectationOutcome]:
        caps = warehouse.capabilities
        plan = _Plan()
        readers = _readers(shape, expectations, caps, plan)
        with warehouse.connect() as conn:
            values = scanned
            if not all(state in scanned for state in plan.states):
                kinds = {c.name: c.kind for c in shape.columns}
                scan = compile_scan(shape.table, kinds, [], caps, needs=plan.needs())
                row = warehouse.execute(conn, scan.statement,
                                        what=f"expectations on {shape.qualified}"
                                        ).mappings().one()
                values = scan.states(row)
            read = [reader(values) for reader in readers]
            counted: dict[str, int] = {}
            for item in read:
                if isinstance(item, _Duplicates) and item.column not in counted:
                    query = _dup_rows(shape.table, shape.table.c[item.column])
                    counted[item.column] = int(warehouse.execute(
                        conn, query, what=f"duplicates in {item.column!r}").scalar() or 0)
        return [_map_outcome(r.spec, r.rows, r.non_null, counted[r.column])
                if isinstance(r, _Duplicates) else r for r in read]

    def _with_samples(self, warehouse: SqlWarehouse, shape: TableShape,
                      outcome: ExpectationOutcome, samples: int,
                      no_samples: Collection[str]) -> ExpectationOutcome:
        spec = outcome.expectation
        column = spec.column
        if (outcome.success or not outcome.unexpected_count or column is None
                or column in no_samples or spec.type == "expect_column_values_to_not_be_null"):
            return outcome
        col = shape.table.c[column]
        condition = unexpected_condition(spec, col, warehouse.capabilities)
        if condition is not None:
            query = sa.select(col).select_from(shape.table).where(condition).limit(samples)
        else:  # uniqueness: values that occur more than once
            query = (sa.select(col).select_from(shape.table).where(col.is_not(None))
                     .group_by(col).having(sa.func.count() > 1).limit(samples))
        with warehouse.connect() as conn:
            values = warehouse.execute(conn, query, what=f"unexpected values of {column!r}"
                                       ).scalars().all()
        return replace(outcome, unexpected_values=tuple(_float(v) for v in values))
