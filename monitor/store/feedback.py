"""Users' labels on detected points (``dq_feedback``), one per point."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import detections, feedback
from monitor.store.sql_store import SqlMetricStore

Label = Literal["expected", "incident"]


@dataclass(frozen=True)
class FeedbackLabel:
    """A user's label on one point of one metric series."""

    table: str
    metric: str
    column: str
    granularity: str
    ts: dt.datetime
    label: Label
    note: str | None = None
    author: str | None = None


def replace_label(conn: Connection, label: FeedbackLabel, *, now: dt.datetime) -> None:
    """Store a label in place of any earlier one on the same point (naive UTC times)."""
    f = feedback
    conn.execute(f.delete().where(
        f.c.table_name == label.table, f.c.metric == label.metric,
        f.c.column_name == label.column, f.c.granularity == label.granularity,
        f.c.ts == label.ts))
    conn.execute(f.insert().values(
        table_name=label.table, metric=label.metric, column_name=label.column,
        granularity=label.granularity, ts=label.ts, label=label.label, note=label.note,
        author=label.author, created_at=now))


def list_labels(store: SqlMetricStore, table: str, metric: str | None = None,
                column: str | None = None, granularity: str | None = None
                ) -> list[FeedbackLabel]:
    """Stored labels of a table, oldest first."""
    f = feedback
    query = sa.select(f).where(f.c.table_name == table).order_by(f.c.ts)
    if metric:
        query = query.where(f.c.metric == metric)
    if column is not None:
        query = query.where(f.c.column_name == column)
    if granularity:
        query = query.where(f.c.granularity == granularity)
    with store.connect() as conn:
        return [FeedbackLabel(r["table_name"], r["metric"], r["column_name"], r["granularity"],
                              r["ts"], r["label"], r["note"], r["author"])
                for r in conn.execute(query).mappings()]


def anomalous_points(conn: Connection, table: str, metric: str, column: str, *,
                     start: dt.datetime, end: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The (granularity, time) of a series' points judged anomalous between two times
    (inclusive, naive UTC): the points an incident's resolution labels."""
    d = detections
    return [(granularity, ts) for granularity, ts in conn.execute(
        sa.select(d.c.granularity, d.c.ts).where(
            d.c.table_name == table, d.c.metric == metric, d.c.column_name == column,
            d.c.is_anomaly.is_(True), d.c.ts >= start, d.c.ts <= end)
        .order_by(d.c.ts, d.c.granularity))]
