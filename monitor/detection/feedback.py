"""Feedback on detected points: ``expected`` (not a problem) or ``incident`` (a real one).

Expected points stop being anomalies and rejoin the detectors' training data;
incident points stay out of it. The CLI (``dq-monitor feedback``) and the
dashboard both write through ``label_point``; resolving an incident with a reason
(``monitor.alerts.actions.resolve``) labels its flagged points the same way.

>>> import datetime as dt
>>> holiday = dt.datetime(2026, 9, 4, tzinfo=dt.UTC)
>>> label_point(store, "orders", "row_count", at=holiday, label="expected",
...             granularity="day", note="public holiday").label
'expected'
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection

from monitor.errors import InputError
from monitor.store import SqlMetricStore
from monitor.store.detections import detection_granularities
from monitor.store.feedback import FeedbackLabel, replace_label
from monitor.timeutil import to_naive_utc, utcnow

LABELS: tuple[str, ...] = ("expected", "incident")


def _resolve_granularity(conn: Connection, table: str, metric: str, column: str,
                         ts: dt.datetime) -> str:
    """The granularity of the detection at that point (day/hour buckets before snapshots)."""
    found = detection_granularities(conn, table, metric, column, ts)
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
        stored = FeedbackLabel(table, metric, column, gran, ts, label,  # type: ignore[arg-type]
                               note, author)
        replace_label(conn, stored, now=to_naive_utc(utcnow()))
    return stored

