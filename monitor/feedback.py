"""Feedback on detected points: ``expected`` (not a problem) or ``incident`` (a real one).

Expected points stop being anomalies and rejoin the detectors' training data;
incident points stay out of it. The CLI (``dq-monitor feedback``) and the
dashboard both write through ``label_point``.

>>> label_point(store, "orders", "row_count", at=when,  # doctest: +SKIP
...             label="expected", granularity="day")
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.errors import InputError
from monitor.store import SqlMetricStore
from monitor.store.schema import detections, feedback
from monitor.timeutil import to_naive_utc, utcnow

Label = Literal["expected", "incident"]
LABELS: tuple[str, ...] = ("expected", "incident")


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


def _resolve_granularity(conn: Connection, table: str, metric: str, column: str,
                         ts: dt.datetime) -> str:
    """The granularity of the detection at that point (day/hour buckets before snapshots)."""
    found = conn.execute(sa.select(detections.c.granularity).where(
        detections.c.table_name == table, detections.c.metric == metric,
        detections.c.column_name == column, detections.c.ts == ts)).scalars().all()
    for preferred in ("day", "hour", "snapshot"):
        if preferred in found:
            return preferred
    raise InputError(
        f"no detection stored for table {table!r}, metric {metric!r}"
        f"{f', column {column!r}' if column else ''} at {ts.isoformat()}; "
        f"list them with `dq-monitor anomalies {table}`")


def label_point(store: SqlMetricStore, table: str, metric: str, *, at: dt.datetime,
                label: str, column: str = "", granularity: str | None = None,
                note: str | None = None, author: str | None = None) -> FeedbackLabel:
    """Record (or replace) a label on one point; idempotent per point."""
    if label not in LABELS:
        raise InputError(f"label must be one of {', '.join(LABELS)}, got {label!r}")
    ts = to_naive_utc(at)
    with store.transaction() as conn:
        gran = granularity or _resolve_granularity(conn, table, metric, column, ts)
        key = (feedback.c.table_name == table, feedback.c.metric == metric,
               feedback.c.column_name == column, feedback.c.granularity == gran,
               feedback.c.ts == ts)
        conn.execute(feedback.delete().where(*key))
        conn.execute(feedback.insert().values(
            table_name=table, metric=metric, column_name=column, granularity=gran, ts=ts,
            label=label, note=note, author=author, created_at=to_naive_utc(utcnow())))
    return FeedbackLabel(table, metric, column, gran, ts, label, note, author)  # type: ignore[arg-type]


def labels_for(store: SqlMetricStore, table: str, metric: str | None = None,
               column: str | None = None, granularity: str | None = None
               ) -> list[FeedbackLabel]:
    """Stored labels of a table, oldest first."""
    query = sa.select(feedback).where(feedback.c.table_name == table).order_by(feedback.c.ts)
    if metric:
        query = query.where(feedback.c.metric == metric)
    if column is not None:
        query = query.where(feedback.c.column_name == column)
    if granularity:
        query = query.where(feedback.c.granularity == granularity)
    with store.connect() as conn:
        return [FeedbackLabel(r["table_name"], r["metric"], r["column_name"], r["granularity"],
                              r["ts"], r["label"], r["note"], r["author"])
                for r in conn.execute(query).mappings()]
