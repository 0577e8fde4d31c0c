"""Compile metrics into one aggregate SELECT and read their values back.

Every state needed by any metric appears once in the SELECT list, whatever
the number of metrics sharing it. With a bucket, the same SELECT is grouped
by the start of each hour or day, which computes the history of every bucket
in one scan. On PostgreSQL, exact distinct counts are a subquery apart in the
same statement, so that the other aggregates may run in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from monitor.dialects import Capabilities, Granularity
from monitor.metrics.definitions import Metric
from monitor.metrics.states import State, build

MetricKey = tuple[str | None, str]  # (column, metric name)


@dataclass(frozen=True)
class Scan:
    """A compiled scan: the statement and where each state is in its result row."""

    statement: sa.Select[Any]
    labels: dict[State, str]
    metrics: tuple[Metric, ...]
    bucketed: bool

    def read(self, row: sa.RowMapping) -> dict[MetricKey, Any]:
        """Metric values from one result row."""
        states = {state: row[label] for state, label in self.labels.items()}
        return {(m.column, m.name): m.value(states) for m in self.metrics if m.states}


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
                 extra: dict[str, ColumnElement[Any]] | None = None) -> Scan:
    """One SELECT computing every state of ``metrics`` (grouped by ``bucket`` if given).

    ``extra`` adds further labelled aggregates (for example the latest load time).
    Where the dialect wants exact distinct counts apart (``distinct_apart``), an
    ungrouped scan is one statement joining two aggregate subqueries instead.
    """
    states = unique_states(metrics)
    labels = {state: f"s{i}" for i, state in enumerate(states)}
    columns: list[ColumnElement[Any]] = [
        build(state, table, kinds, caps).label(labels[state]) for state in states
    ]
    for label, expr in (extra or {}).items():
        columns.append(expr.label(label))
    distinct = sum(1 for s in states if s.kind == "distinct")
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


def _distinct_apart(table: sa.Table, states: Sequence[State],
                    columns: Sequence[ColumnElement[Any]],
                    where: ColumnElement[bool] | None) -> sa.Select[Any]:
    """One statement of two aggregates over the same rows: the exact distinct counts,
    and every other state, which the engine may then compute in parallel.

    Still one statement, so both parts read the same snapshot of the table.
    """
    distinct = [c for c, s in zip(columns, states, strict=False) if s.kind == "distinct"]
    rest = [c for c, s in zip(columns, states, strict=False) if s.kind != "distinct"]
    rest += columns[len(states):]  # the extra aggregates
    parts = []
    for name, part in (("_dq_rest", rest), ("_dq_distinct", distinct)):
        select = sa.select(*part).select_from(table)
        if where is not None:
            select = select.where(where)
        parts.append(select.subquery(name))
    return sa.select(*parts[0].c, *parts[1].c).select_from(
        sa.join(parts[0], parts[1], sa.true()))
