"""The dashboard's only writes: acknowledge, resolve with a reason, mute, mark as expected.

Each goes through the same API as the CLI (``monitor.alerts.actions``,
``monitor.detection.feedback``) on a writable store handle, and returns an ``Outcome``
the page shows, so a refused action (an incident already resolved, a point
without a detection) is a message, not a traceback.

>>> from monitor.store.incidents import Incident, save
>>> opened = dt.datetime(2026, 11, 30, 6)
>>> with store.transaction() as conn:
...     incident = save(conn, Incident(None, "payments", "row_count", "open", "critical",
...                                    "payments: no rows", opened, opened, opened))
>>> acknowledge_incident(store, incident.incident_id, by="ana").message  # doctest: +ELLIPSIS
'Incident ... acknowledged by ana.'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from monitor import formatting
from monitor.alerts.actions import (
    RESOLUTION_TEXT,
    RESOLUTIONS,
    acknowledge,
    mute_incident,
    mute_table,
    resolve,
)
from monitor.config.secrets import redact
from monitor.detection.feedback import label_point
from monitor.errors import MonitorError
from monitor.store import SqlMetricStore
from monitor.timeutil import to_naive_utc, utcnow

#: Mute lengths offered by the incidents page, in hours.
MUTE_HOURS = (1, 4, 24, 24 * 7)
#: Resolutions offered by the incidents page, in the order shown.
RESOLUTION_CHOICES = tuple(RESOLUTIONS)


@dataclass(frozen=True)
class Outcome:
    """What an action did, in a sentence for the page."""

    ok: bool
    message: str


def _failed(error: MonitorError) -> Outcome:
    return Outcome(False, redact(str(error)))


def _until(hours: float, now: dt.datetime | None) -> dt.datetime:
    return to_naive_utc(now or utcnow()) + dt.timedelta(hours=hours)


def acknowledge_incident(store: SqlMetricStore, incident_id: int, *, by: str | None
                         ) -> Outcome:
    """Acknowledge an open incident (it stays open without further updates)."""
    try:
        acknowledge(store, incident_id, by=by)
    except MonitorError as error:
        return _failed(error)
    return Outcome(True, f"Incident {incident_id} acknowledged by {by or 'unknown'}.")


def resolve_incident(store: SqlMetricStore, incident_id: int, *, reason: str,
                     by: str | None, note: str | None = None) -> Outcome:
    """Resolve an incident with a reason; its anomalous points are labelled so that the
    detectors learn from it (``monitor.alerts.actions.resolve``)."""
    try:
        done = resolve(store, incident_id, reason=reason, by=by, note=note or None)
    except MonitorError as error:
        return _failed(error)
    why = RESOLUTION_TEXT[done.incident.resolution or reason]
    text = f"Incident #{incident_id} resolved as {why} by {by or 'unknown'}."
    if not done.points:
        return Outcome(True, text)
    count = f"{len(done.points)} point{'s' if len(done.points) != 1 else ''}"
    if done.label == "expected":
        return Outcome(True, f"{text} {count} marked as expected: they rejoin the detectors' "
                             f"training.")
    return Outcome(True, f"{text} {count} kept out of the detectors' training.")


def mute_incident_for(store: SqlMetricStore, incident_id: int, *, hours: float,
                      now: dt.datetime | None = None) -> Outcome:
    """Silence one incident for a number of hours."""
    until = _until(hours, now)
    try:
        mute_incident(store, incident_id, until=until)
    except MonitorError as error:
        return _failed(error)
    return Outcome(True, f"Incident {incident_id} muted for "
                         f"{formatting.duration(hours * 3600)} (until {until:%Y-%m-%d %H:%M} UTC).")


def mute_table_for(store: SqlMetricStore, table: str, *, hours: float, by: str | None,
                   reason: str | None = None, now: dt.datetime | None = None) -> Outcome:
    """Silence every alert of a table for a number of hours."""
    until = _until(hours, now)
    try:
        mute_table(store, table, until=until, reason=reason, by=by)
    except MonitorError as error:
        return _failed(error)
    return Outcome(True, f"Table {table} muted for {formatting.duration(hours * 3600)} "
                         f"(until {until:%Y-%m-%d %H:%M} UTC).")


def mark_expected(store: SqlMetricStore, table: str, metric: str, *, ts: dt.datetime,
                  column: str = "", granularity: str | None = None, by: str | None = None,
                  note: str | None = None) -> Outcome:
    """Label a detected point as expected: it stops counting as an anomaly and rejoins
    the detectors' training data."""
    return label_flagged_point(store, table, metric, ts=ts, label="expected", column=column,
                               granularity=granularity, by=by, note=note)


def label_flagged_point(store: SqlMetricStore, table: str, metric: str, *, ts: dt.datetime,
                        label: str, column: str = "", granularity: str | None = None,
                        by: str | None = None, note: str | None = None) -> Outcome:
    """Label a detected point ``expected`` (it rejoins training) or ``incident`` (a real
    problem: it stays out)."""
    try:
        stored = label_point(store, table, metric, at=ts, label=label, column=column,
                             granularity=granularity, note=note, author=by)
    except MonitorError as error:
        return _failed(error)
    series = f"{metric}({stored.column})" if stored.column else metric
    done = "marked as expected" if label == "expected" else "marked as a real problem"
    return Outcome(True, f"{table} {series} at {stored.ts:%Y-%m-%d %H:%M} {done}.")
