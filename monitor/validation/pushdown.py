"""Expectations evaluated by the warehouse itself: one aggregate SELECT per table.

The common GX expectation types (nulls, ranges, sets, regexes, lengths,
uniqueness, min/max/mean/stdev/sum, row counts, distinct counts) compile
into aggregates of ONE statement built with SQLAlchemy Core (identifiers
quoted, values bound); identical aggregates are shared (one ``count(col)``
serves every null check on ``col``). Uniqueness needs a grouped count,
which rides in the same statement as a scalar subquery. Results follow
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
from monitor.validation.outcomes import ExpectationOutcome
from monitor.validation.pushdown_rules import unexpected_condition
from monitor.validation.suites import ExpectationSpec
from monitor.warehouse import SqlWarehouse, TableShape

log = logging.getLogger(__name__)

#: Map expectations judged against every row; the others only see non-null values.
_ALL_ROWS = frozenset({"expect_column_values_to_not_be_null",
                       "expect_column_values_to_be_null"})
_NUMERIC_AGGREGATES = {"expect_column_min_to_be_between": "min",
                       "expect_column_max_to_be_between": "max",
                       "expect_column_mean_to_be_between": "avg",
                       "expect_column_stdev_to_be_between": "stddev",
                       "expect_column_sum_to_be_between": "sum"}


class _Scan:
    """The aggregates of one SELECT, each once, under a short label."""

    def __init__(self, table: sa.Table) -> None:
        self.table = table
        self.exprs: dict[tuple[Any, ...], tuple[str, ColumnElement[Any]]] = {}

    def add(self, key: tuple[Any, ...], build: Callable[[], ColumnElement[Any]]) -> str:
        if key not in self.exprs:
            label = f"a{len(self.exprs)}"
            self.exprs[key] = (label, build().label(label))
        return self.exprs[key][0]

    def statement(self) -> sa.Select[Any]:
        return sa.select(*(expr for _, expr in self.exprs.values())).select_from(self.table)


def _dup_rows(table: sa.Table, column: ColumnElement[Any]) -> sa.Select[Any]:
    """Rows whose value occurs more than once (GX's unexpected count for uniqueness)."""
    counts = (sa.select(sa.func.count().label("n")).select_from(table)
              .where(column.is_not(None)).group_by(column)
              .having(sa.func.count() > 1).subquery("dq_dups"))
    return sa.select(sa.func.coalesce(sa.func.sum(counts.c.n), 0))


def _grouped_distinct(table: sa.Table, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Distinct non-null values through a grouped count (a hash aggregate where the
    values are few, as in the columns people bound the number of values of)."""
    groups = (sa.select(column).select_from(table).where(column.is_not(None))
              .group_by(column).subquery("dq_groups"))
    return sa.select(sa.func.count()).select_from(groups).scalar_subquery()


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


Reader = Callable[[Mapping[str, Any]], "ExpectationOutcome | _Duplicates"]


def _plan(spec: ExpectationSpec, shape: TableShape, column: str | None, kind: str,
          scan: _Scan, caps: Capabilities) -> Reader:
    """Register the aggregates ``spec`` needs; return how to judge it from the row."""
    table, kw = shape.table, spec.kwargs
    rows = scan.add(("rows",), sa.func.count)
    if spec.type == "expect_table_row_count_to_be_between":
        return lambda r: _judged(spec, int(r[rows] or 0), _between(int(r[rows] or 0), kw))
    if spec.type == "expect_table_row_count_to_equal":
        return lambda r: _judged(spec, int(r[rows] or 0), int(r[rows] or 0) == kw["value"])
    assert column is not None
    col = table.c[column]
    non_null = scan.add(("non_null", column), lambda: sa.func.count(col))
    if spec.type == "expect_column_values_to_not_be_null":  # nulls = rows - non-null
        return lambda r: _map_outcome(spec, r[rows], r[non_null],
                                      int(r[rows] or 0) - int(r[non_null] or 0))
    if spec.type == "expect_column_values_to_be_null":
        return lambda r: _map_outcome(spec, r[rows], r[non_null], r[non_null])
    condition = unexpected_condition(spec, col, caps)
    if condition is not None:
        bad = scan.add(("unexpected", spec.key), lambda: _count_where(condition))
        return lambda r: _map_outcome(spec, r[rows], r[non_null], r[bad])
    if spec.type == "expect_column_values_to_be_unique":
        # All distinct: nothing to count. Else a grouped count follows (see _Duplicates).
        distinct = scan.add(("distinct", column), lambda: sa.select(
            sa.func.count(sa.distinct(col))).select_from(table).scalar_subquery())

        def unique(r: Mapping[str, Any]) -> ExpectationOutcome | _Duplicates:
            if int(r[distinct] or 0) == int(r[non_null] or 0):
                return _map_outcome(spec, r[rows], r[non_null], 0)
            return _Duplicates(spec, column, int(r[rows] or 0), int(r[non_null] or 0))

        return unique
    if spec.type in ("expect_column_unique_value_count_to_be_between",
                     "expect_column_proportion_of_unique_values_to_be_between"):
        distinct = scan.add(("groups", column), lambda: _grouped_distinct(table, col))
        if spec.type == "expect_column_unique_value_count_to_be_between":
            return lambda r: _metric(spec, int(r[distinct] or 0))
        return lambda r: _metric(spec, (int(r[distinct] or 0) / int(r[non_null]))
                                 if r[non_null] else 0.0)
    if spec.type == "expect_column_proportion_of_non_null_values_to_be_between":
        return lambda r: _metric(spec, int(r[non_null] or 0) / int(r[rows]) if r[rows] else 0)
    what = _NUMERIC_AGGREGATES[spec.type]
    if what == "stddev":
        return _stddev(spec, col, column, scan, caps, non_null)
    fn = {"min": sa.func.min, "max": sa.func.max, "sum": sa.func.sum,
          "avg": lambda c: sa.func.avg(sa.cast(c, sa.Double))}[what]
    label = scan.add((what, column), lambda: fn(col))
    return lambda r: _metric(spec, _float(r[label]))


def _stddev(spec: ExpectationSpec, col: ColumnElement[Any], column: str, scan: _Scan,
            caps: Capabilities, non_null: str) -> Reader:
    """Sample standard deviation; from shifted sums where the dialect has no stddev_samp."""
    if caps.has_stddev:
        label = scan.add(("stddev", column), lambda: sa.func.stddev_samp(sa.cast(col, sa.Double)))
        return lambda r: _metric(spec, _float(r[label]))
    # Shifting by one value of the column keeps the sum of squares exact.
    shift = sa.func.coalesce(
        sa.select(sa.cast(col, sa.Double)).select_from(scan.table).where(col.is_not(None))
        .limit(1).scalar_subquery(), 0.0)
    s1 = scan.add(("ssum", column), lambda: sa.func.sum(sa.cast(col, sa.Double) - shift))
    s2 = scan.add(("ssumsq", column), lambda: sa.func.sum(
        (sa.cast(col, sa.Double) - shift) * (sa.cast(col, sa.Double) - shift)))

    def read(r: Mapping[str, Any]) -> ExpectationOutcome:
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


class PushdownValidator:
    """Evaluates supported expectations in one aggregate SELECT per table."""

    def evaluate(self, warehouse: SqlWarehouse, shape: TableShape,
                 expectations: Sequence[ExpectationSpec], *, samples: int = 0,
                 no_samples: Collection[str] = ()) -> list[ExpectationOutcome]:
        """Outcomes for ``expectations`` (every one must pass ``supports``)."""
        if not expectations:
            return []
        try:
            outcomes = self._scan(warehouse, shape, expectations)
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
              expectations: Sequence[ExpectationSpec]) -> list[ExpectationOutcome]:
        scan = _Scan(shape.table)
        caps = warehouse.capabilities
        readers = []
        for spec in expectations:
            column = spec.column
            kind = shape.column(column).kind if column else ""
            readers.append(_plan(spec, shape, column, kind, scan, caps))
        with warehouse.connect() as conn:
            row = warehouse.execute(conn, scan.statement(),
                                    what=f"expectations on {shape.qualified}").mappings().one()
            read = [reader(row) for reader in readers]
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
