"""Stored incidents (``dq_incidents``): what runs and people read and write about them.

The run's functions take a ``Connection`` so they join the run's transaction;
the people's (acknowledge, mute one incident) take the store and commit alone, except
``mark_resolved``, which joins the transaction that also labels the incident's points.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import incidents
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import parse_time

OPEN_STATUSES = ("open", "acknowledged")
STATUSES = ("open", "acknowledged", "resolved")


@dataclass(frozen=True)
class Incident:
    """One row of ``dq_incidents``; times are naive UTC."""

    incident_id: int | None
    table: str
    check: str
    status: str
    severity: str
    title: str
    opened_at: dt.datetime
    updated_at: dt.datetime
    last_seen_at: dt.datetime
    resolved_at: dt.datetime | None = None
    occurrences: int = 1
    ok_streak: int = 0
    acknowledged_by: str | None = None
    muted_until: dt.datetime | None = None
    channel: str | None = None
    thread_ts: str | None = None
    last_notified_at: dt.datetime | None = None
    #: The latest failing finding, ``since``, ``last_run``, ``announced``, ``thread_of``.
    details: Mapping[str, Any] = field(default_factory=dict)
    acknowledged_at: dt.datetime | None = None
    resolved_by: str | None = None
    #: Why it was resolved: fixed, expected, false-positive, no-action-needed, recovered.
    resolution: str | None = None
    resolution_note: str | None = None

    @property
    def ref(self) -> str:
        """The short name people type and read: ``#12``."""
        return f"#{self.incident_id}"

    @property
    def kind(self) -> str | None:
        """The kind of the check's finding (anomaly, expectation, schema, ...)."""
        return (self.details.get("finding") or {}).get("kind")

    @property
    def announced(self) -> bool:
        return bool(self.details.get("announced"))

    @property
    def thread_of(self) -> str | None:
        """The outbox message that announced it: updates reply in its thread."""
        return self.details.get("thread_of")

    @property
    def since(self) -> dt.datetime | None:
        """When the problem started (the first failing finding's time)."""
        since = self.details.get("since")
        return parse_time(since) if since else None

    def muted(self, now: dt.datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now

    def to_dict(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "table": self.table, "check": self.check,
                "status": self.status, "severity": self.severity, "title": self.title,
                "opened_at": self.opened_at, "last_seen_at": self.last_seen_at,
                "resolved_at": self.resolved_at, "occurrences": self.occurrences,
                "ok_streak": self.ok_streak, "acknowledged_by": self.acknowledged_by,
                "muted_until": self.muted_until, "channel": self.channel,
                "thread_ts": self.thread_ts, "since": self.since,
                "acknowledged_at": self.acknowledged_at, "resolved_by": self.resolved_by,
                "resolution": self.resolution, "resolution_note": self.resolution_note}


def _from_row(row: Mapping[str, Any]) -> Incident:
    details = json.loads(row["details_json"]) if row["details_json"] else {}
    return Incident(
        incident_id=row["incident_id"], table=row["table_name"], check=row["check_key"],
        status=row["status"], severity=row["severity"], title=row["title"],
        opened_at=row["opened_at"], updated_at=row["updated_at"],
        last_seen_at=row["last_seen_at"], resolved_at=row["resolved_at"],
        occurrences=row["occurrences"] or 0, ok_streak=row["ok_streak"] or 0,
        acknowledged_by=row["acknowledged_by"], muted_until=row["muted_until"],
        channel=row["channel"], thread_ts=row["thread_ts"],
        last_notified_at=row["last_notified_at"], details=details,
        acknowledged_at=row["acknowledged_at"], resolved_by=row["resolved_by"],
        resolution=row["resolution"], resolution_note=row["resolution_note"])


def load_open(conn: Connection, table: str) -> dict[str, Incident]:
    """The open or acknowledged incidents of a table, by check."""
    t = incidents
    rows = conn.execute(sa.select(t).where(t.c.table_name == table,
                                           t.c.status.in_(OPEN_STATUSES))
                        .order_by(t.c.incident_id)).mappings()
    return {row["check_key"]: _from_row(row) for row in rows}


def save(conn: Connection, incident: Incident) -> Incident:
    """Insert a new incident or write what a run changed; returns it with its id.

    Status, acknowledgement and mute belong to people (``incident_actions``):
    an update writes the status only when the run resolves the incident.
    """
    t = incidents
    values: dict[str, Any] = {
        "severity": incident.severity, "title": incident.title,
        "details_json": json.dumps(dict(incident.details), default=str),
        "updated_at": incident.updated_at, "last_seen_at": incident.last_seen_at,
        "occurrences": incident.occurrences, "ok_streak": incident.ok_streak,
        "last_notified_at": incident.last_notified_at}
    resolution = {"resolved_at": incident.resolved_at, "resolved_by": incident.resolved_by,
                  "resolution": incident.resolution,
                  "resolution_note": incident.resolution_note}
    if incident.incident_id is None:
        result = conn.execute(t.insert().values(
            table_name=incident.table, check_key=incident.check, status=incident.status,
            opened_at=incident.opened_at, **values, **resolution))
        return replace(incident, incident_id=int(result.inserted_primary_key[0]))
    if incident.status == "resolved":
        values.update(status="resolved", **resolution)
    conn.execute(t.update().where(t.c.incident_id == incident.incident_id).values(**values))
    return incident


def set_thread(conn: Connection, incident_ids: Sequence[int], *, channel: str | None,
               ts: str | None) -> None:
    """Remember where an incident was announced (the first announcement wins)."""
    if not incident_ids or not ts:
        return
    t = incidents
    conn.execute(t.update().where(t.c.incident_id.in_(list(incident_ids)),
                                  t.c.thread_ts.is_(None)).values(channel=channel, thread_ts=ts))


def list_incidents(conn: Connection, *, status: str | None = None, table: str | None = None,
                   limit: int = 100, opened_since: dt.datetime | None = None
                   ) -> list[Incident]:
    """Incidents, newest first; ``status='active'`` means open or acknowledged."""
    t = incidents
    query = sa.select(t).order_by(t.c.incident_id.desc()).limit(limit)
    if opened_since is not None:
        query = query.where(t.c.opened_at >= opened_since)
    if status == "active":
        query = query.where(t.c.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(t.c.status == status)
    if table:
        query = query.where(t.c.table_name == table)
    return [_from_row(row) for row in conn.execute(query).mappings()]


def load_incident(conn: Connection, incident_id: int) -> Incident | None:
    """One incident by its id, or None."""
    row = conn.execute(sa.select(incidents).where(
        incidents.c.incident_id == incident_id)).mappings().first()
    return _from_row(row) if row is not None else None


def mark_acknowledged(store: SqlMetricStore, incident_id: int, *, by: str,
                      now: dt.datetime) -> str | None:
    """Acknowledge an incident unless it is resolved; its status before, None if unknown.

    The first acknowledgement's time is kept (time to acknowledge); a later one by
    someone else only changes who is on it.
    """
    t = incidents
    with store.transaction() as conn:
        status = conn.execute(sa.select(t.c.status).where(
            t.c.incident_id == incident_id)).scalar()
        if status is not None and status != "resolved":
            conn.execute(t.update().where(t.c.incident_id == incident_id).values(
                status="acknowledged", acknowledged_by=by, updated_at=now,
                acknowledged_at=sa.func.coalesce(t.c.acknowledged_at, now)))
    return status


def mark_resolved(conn: Connection, incident_id: int, *, reason: str, by: str,
                  note: str | None, now: dt.datetime) -> bool:
    """Resolve an open or acknowledged incident; False if it is not (any more) open."""
    t = incidents
    return bool(conn.execute(t.update().where(
        t.c.incident_id == incident_id, t.c.status.in_(OPEN_STATUSES)).values(
            status="resolved", resolved_at=now, updated_at=now, resolved_by=by,
            resolution=reason, resolution_note=note)).rowcount)


def set_incident_mute(store: SqlMetricStore, incident_id: int, *, until: dt.datetime,
                      now: dt.datetime) -> bool:
    """Silence one incident until a time; False if there is no such incident."""
    t = incidents
    with store.transaction() as conn:
        return bool(conn.execute(t.update().where(t.c.incident_id == incident_id).values(
            muted_until=until, updated_at=now)).rowcount)


def open_count_by_severity(store: SqlMetricStore) -> dict[str, int]:
    """How many incidents are open (or acknowledged) per severity."""
    query = (sa.select(incidents.c.severity, sa.func.count())
             .where(incidents.c.status.in_(OPEN_STATUSES)).group_by(incidents.c.severity))
    with store.connect() as conn:
        return {severity: int(count) for severity, count in conn.execute(query)}
