"""Compile metrics into one aggregate SELECT and read their values back.

Every state needed by any metric appears once in the SELECT list, whatever
the number of metrics sharing it. With a bucket, the same SELECT is grouped
by the start of each hour or day, which computes the history of every bucket
in one scan. On PostgreSQL, exact distinct counts are a branch apart in the
same statement, so that the other aggregates run beside them.

The same SELECT carries the states other consumers ask for (``Needs``: the
pushed-down expectations of a suite), de-duplicated with the metrics' own:
one ``count(col)`` serves the null rate and ``not_be_null``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from monitor.dialects import Capabilities, Granularity
from monitor.metrics.definitions import Metric
from monitor.metrics.states import State, build, canonical

MetricKey = tuple[str | None, str]  # (column, metric name)


@dataclass(frozen=True)
class Needs:
    """States a consumer other than the profile wants from the same scan.

    ``custom`` gives the aggregate of states no metric defines (``count_where``:
    rows matching an expectation's condition).
    """

    states: tuple[State, ...] = ()
    custom: Mapping[State, ColumnElement[Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.states)

    def __add__(self, other: Needs) -> Needs:
        return Needs(tuple(dict.fromkeys((*self.states, *other.states))),
                     {**self.custom, **other.custom})


@dataclass(frozen=True)
class Scan:
    """A compiled scan: the statement and where each state is in its result row."""

    statement: sa.Select[Any]
    labels: dict[State, str]
    metrics: tuple[Metric, ...]
    bucketed: bool
    #: Rows per segment too (``_dq_segment``: the segment's index; NULL on a total row).
    segmented: bool = False

    def read(self, row: sa.RowMapping) -> dict[MetricKey, Any]:
        """Metric values from one result row."""
        states = self.states(row)
        return {(m.column, m.name): m.value(states) for m in self.metrics if m.states}

    def states(self, row: sa.RowMapping) -> dict[State, Any]:
        """Every state's value from one result row."""
        return {state: row[label] for state, label in self.labels.items()}


def unique_states(metrics: Iterable[Metric]) -> list[State]:
    """States in first-seen order, each once."""
    seen: dict[State, None] = {}
    for metric in metrics:
        for state in metric.states:
            seen.setdefault(state, None)
    return list(seen)


def compile_scan(table: sa.Table, kinds: dict[str, str], metrics: Sequence[Metric],
                 caps: Capabilities, *, where: ColumnElement[bool] | None = None,
                 bucket: tuple[str, Granularity] | None = None,
                 extra: dict[str, ColumnElement[Any]] | None = None,
                 needs: Needs | None = None,
                 segment: ColumnElement[Any] | None = None,
                 segment_states: Sequence[State] = ()) -> Scan:
    """One SELECT computing every state of ``metrics`` and ``needs`` (grouped by
    ``bucket`` if given), each SQL aggregate once (see ``canonical``).

    ``extra`` adds further labelled aggregates (for example the latest load time).
    Where the dialect wants exact distinct counts apart (``distinct_apart``), an
    ungrouped scan is one statement of two aggregates (a UNION ALL) instead.

    ``segment`` (``monitor.metrics.segments``) adds a row per bucket and segment:
    ``GROUP BY GROUPING SETS ((bucket), (bucket, segment))`` where the dialect has
    grouping sets, else a UNION ALL of the two groupings in one statement, whose
    per-segment branch computes only ``segment_states`` (NULL for the others).
    """
    needs = needs or Needs()
    wanted = list(dict.fromkeys([*unique_states(metrics), *needs.states]))
    same = {state: canonical(state, kinds) for state in wanted}
    states = list(dict.fromkeys(same.values()))
    label_of = {state: f"s{i}" for i, state in enumerate(states)}
    labels = {state: label_of[same[state]] for state in wanted}
    columns: list[ColumnElement[Any]] = [
        (needs.custom[state] if state in needs.custom else build(state, table, kinds, caps)
         ).label(label_of[state]) for state in states
    ]
    for label, expr in (extra or {}).items():
        columns.append(expr.label(label))
    distinct = sum(1 for s in states if s.kind == "distinct")
    if segment is not None:
        slim = {label_of[same[s]] for s in segment_states if s in same} if segment_states \
            else set(label_of.values())
        return Scan(statement=_segmented(table, columns, where, bucket, segment, caps, slim),
                    labels=labels, metrics=tuple(metrics), bucketed=bucket is not None,
                    segmented=True)
    if bucket is None and caps.distinct_apart and 0 < distinct < len(columns):
        return Scan(statement=_distinct_apart(table, states, columns, where),
                    labels=labels, metrics=tuple(metrics), bucketed=False)
    if bucket is not None:
        bucket_expr = caps.bucket(table.c[bucket[0]], bucket[1]).label("_dq_bucket")
        columns.insert(0, bucket_expr)
    statement = sa.select(*columns).select_from(table)
    if where is not None:
        statement = statement.where(where)
    if bucket is not None:
        statement = statement.where(table.c[bucket[0]].is_not(None))
        # By position: the bucket expression carries bound parameters, and
        # PostgreSQL does not match two differently bound copies of it.
        statement = statement.group_by(sa.literal_column("1")).order_by(sa.literal_column("1"))
    return Scan(statement=statement, labels=labels, metrics=tuple(metrics),
                bucketed=bucket is not None)


def _segmented(table: sa.Table, columns: list[ColumnElement[Any]],
               where: ColumnElement[bool] | None, bucket: tuple[str, Granularity] | None,
               segment: ColumnElement[Any], caps: Capabilities, slim: set[str]) -> Any:
    """The totals and the per-segment rows in one statement (see ``compile_scan``)."""
    keys: list[ColumnElement[Any]] = []
    conditions = [] if where is None else [where]
    if bucket is not None:
        keys.append(caps.bucket(table.c[bucket[0]], bucket[1]).label("_dq_bucket"))
        conditions.append(table.c[bucket[0]].is_not(None))
    # By position, as ``compile_scan`` groups: the expressions carry bound parameters.
    first = [str(i + 1) for i in range(len(keys))]
    seg_at = str(len(keys) + 1)
    if caps.grouping_sets:
        sets = f"GROUPING SETS (({', '.join(first)}), ({', '.join([*first, seg_at])}))"
        statement = sa.select(*keys, segment.label("_dq_segment"), *columns
                              ).select_from(table).where(*conditions)
        statement = statement.group_by(sa.literal_column(sets))
        if keys:
            statement = statement.order_by(sa.literal_column("1"))
        return statement
    totals = sa.select(*keys, sa.cast(sa.null(), sa.Integer).label("_dq_segment"), *columns
                       ).select_from(table).where(*conditions)
    if keys:
        totals = totals.group_by(*(sa.literal_column(k) for k in first))
    names: list[str] = [c.name for c in columns]  # type: ignore[attr-defined]
    needed = [col if name in slim else sa.null().label(name)
              for col, name in zip(columns, names, strict=True)]
    parts = sa.select(*keys, segment.label("_dq_segment"), *needed
                      ).select_from(table).where(*conditions).group_by(
        *(sa.literal_column(k) for k in [*first, seg_at]))
    return sa.union_all(totals, parts)


def _distinct_apart(table: sa.Table, states: Sequence[State],
                    columns: Sequence[ColumnElement[Any]],
                    where: ColumnElement[bool] | None) -> sa.Select[Any]:
    """One statement of two aggregates over the same rows, the exact distinct counts
    and every other state: the two branches of a UNION ALL, folded into one row.

    Each value comes from one branch (the other gives NULL there), so ``max`` over
    the two rows is that value. One statement reads one snapshot of the table.
    PostgreSQL runs the branches side by side (a Parallel Append) when neither can
    be split into partial aggregates, which ``_WHOLE`` sees to for the other one:
    otherwise it plans that branch in parallel but runs it before the distinct sorts,
    which its cost model prices as cheap.
    """
    names: list[str] = [c.name for c in columns]  # type: ignore[attr-defined]
    apart = {name for name, state in zip(names, states, strict=False)
             if state.kind == "distinct"}
    branches = []
    for in_branch, marker in ((lambda n: n not in apart, _WHOLE),
                              (lambda n: n in apart, sa.null())):
        select = sa.select(*(col if in_branch(name) else sa.null().label(name)
                             for col, name in zip(columns, names, strict=True)),
                           marker.label("_dq_whole")).select_from(table)
        branches.append(select if where is None else select.where(where))
    parts = sa.union_all(*branches).subquery("_dq_parts")
    # The marker is read (counted), or PostgreSQL prunes it from the branch.
    return sa.select(*(sa.func.max(parts.c[name]).label(name) for name in names),
                     sa.func.count(parts.c["_dq_whole"]).label("_dq_whole"))


#: An aggregate PostgreSQL cannot combine from partial ones (json_agg has no combine
#: function), over no rows (so free): it keeps its branch one whole aggregate.
_WHOLE: ColumnElement[Any] = sa.func.json_agg(sa.literal_column("1")).filter(sa.false())
