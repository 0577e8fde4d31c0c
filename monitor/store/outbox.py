"""Queued alert messages (``dq_outbox``) and how their delivery went.

``monitor.alerts.outbox`` decides what to queue, when to send and how to
retry; this module is how it reads and writes the rows.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from monitor.store.schema import incidents, outbox
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import to_naive_utc


@dataclass(frozen=True)
class OutboxEntry:
    """One stored message and how its delivery went; times are naive UTC."""

    message_id: str
    incident_id: int | None
    table: str
    event: str
    channel: str | None
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    last_error: str | None = None
    delivered_at: dt.datetime | None = None
    response_ts: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return str(self.payload.get("text", ""))

    @property
    def notifier(self) -> str | None:
        """The notifier this message went (or goes) to; None until it is routed."""
        value = self.payload.get("notifier")
        return str(value) if value else None

    def to_dict(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "incident_id": self.incident_id,
                "table": self.table, "event": self.event, "channel": self.channel,
                "status": self.status, "attempts": self.attempts,
                "next_attempt_at": self.next_attempt_at, "created_at": self.created_at,
                "delivered_at": self.delivered_at, "last_error": self.last_error,
                "response_ts": self.response_ts, "notifier": self.notifier, "text": self.text}


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        message_id=row["message_id"], incident_id=row["incident_id"], table=row["table_name"],
        event=row["event"], channel=row["channel"], status=row["status"],
        attempts=row["attempts"] or 0, next_attempt_at=row["next_attempt_at"],
        created_at=row["created_at"], last_error=row["last_error"],
        delivered_at=row["delivered_at"], response_ts=row["response_ts"],
        payload=json.loads(row["payload_json"]))


def insert_pending(conn: Connection, *, message_id: str, table: str, event: str,
                   incident_id: int | None, channel: str | None, payload: dict[str, Any],
                   now: dt.datetime) -> bool:
    """Store a pending message due at ``now``; False if its id is stored already."""
    exists = conn.execute(sa.select(outbox.c.message_id).where(
        outbox.c.message_id == message_id)).first()
    if exists:
        return False
    naive = to_naive_utc(now)
    conn.execute(outbox.insert().values(
        message_id=message_id, table_name=table, event=event, incident_id=incident_id,
        channel=channel, payload_json=json.dumps(payload), status="pending",
        attempts=0, next_attempt_at=naive, created_at=naive))
    return True


#: Joins a message id and a notifier name into the id of that notifier's copy.
COPY_SEPARATOR = "@"
_SEVERITY_ORDER = ("critical", "warning", "info")


def copy_id(message_id: str, notifier: str) -> str:
    """The id of the copy of a message for another notifier (``<id>@pagerduty``)."""
    return f"{message_id}{COPY_SEPARATOR}{notifier}"


def incident_severities(conn: Connection, incident_ids: Sequence[int]) -> dict[int, str]:
    """The severity of each of these incidents that is stored."""
    if not incident_ids:
        return {}
    rows = conn.execute(sa.select(incidents.c.incident_id, incidents.c.severity).where(
        incidents.c.incident_id.in_(list(incident_ids))))
    return {int(incident_id): str(severity) for incident_id, severity in rows}


def worst_severity(severities: Collection[str]) -> str | None:
    """The worst of some severities (critical, warning, info), None for none.

    >>> worst_severity(["info", "critical", "warning"]), worst_severity([])
    ('critical', None)
    """
    found = set(severities)
    return next((s for s in _SEVERITY_ORDER if s in found), min(found) if found else None)


def assign_notifiers(store: SqlMetricStore, entry: OutboxEntry,
                     names: Mapping[str, Sequence[int] | None]) -> None:
    """Give a message to its first notifier and queue a copy for each of the others.

    ``names`` maps each notifier to the incidents of the message routed to it
    (None: all of them). Safe when two processes do it at once: the copies' ids
    are deterministic.
    """
    def payload(name: str) -> dict[str, Any]:
        routed = names[name]
        return {**entry.payload, "notifier": name,
                "routed_incidents": None if routed is None else list(routed)}

    first, *others = names
    try:
        with store.transaction() as conn:
            conn.execute(outbox.update().where(outbox.c.message_id == entry.message_id).values(
                payload_json=json.dumps(payload(first))))
            for name in others:
                insert_pending(conn, message_id=copy_id(entry.message_id, name),
                               table=entry.table, event=entry.event,
                               incident_id=entry.incident_id, channel=entry.channel,
                               payload=payload(name), now=entry.created_at)
    except IntegrityError:
        pass  # another process routed it at the same moment


def count_queued_since(conn: Connection, since: dt.datetime, events: Sequence[str]) -> int:
    """How many messages of these events were queued since a time (copies not counted)."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(outbox).where(
        outbox.c.created_at >= to_naive_utc(since),
        outbox.c.event.in_(list(events)),
        # A message sent to several notifiers counts once.
        ~outbox.c.message_id.contains(COPY_SEPARATOR, autoescape=True))).scalar_one())


def outbox_entry(conn: Connection, message_id: str) -> OutboxEntry | None:
    """One stored message, or None if there is none with that id."""
    row = conn.execute(sa.select(outbox).where(
        outbox.c.message_id == message_id)).mappings().first()
    return _entry(row) if row else None


def list_outbox(store: SqlMetricStore, *, status: str | None = None, table: str | None = None,
                limit: int = 100) -> list[OutboxEntry]:
    """Stored messages, newest first."""
    query = sa.select(outbox).order_by(outbox.c.created_at.desc(),
                                       outbox.c.message_id).limit(limit)
    if status:
        query = query.where(outbox.c.status == status)
    if table:
        query = query.where(outbox.c.table_name == table)
    with store.connect() as conn:
        return [_entry(row) for row in conn.execute(query).mappings()]


def dead_message_ids(conn: Connection) -> list[str]:
    """The ids of the messages given up on."""
    return list(conn.execute(sa.select(outbox.c.message_id).where(
        outbox.c.status == "dead")).scalars())


def make_pending(conn: Connection, message_ids: Sequence[str], *, now: dt.datetime) -> None:
    """Undelivered messages among these become pending, due now, with fresh attempts."""
    conn.execute(outbox.update().where(outbox.c.message_id.in_(list(message_ids)),
                                       outbox.c.status != "delivered").values(
        status="pending", attempts=0, next_attempt_at=to_naive_utc(now)))


def due_entries(store: SqlMetricStore, *, now: dt.datetime,
                only: Collection[str] | None = None, limit: int = 500) -> list[OutboxEntry]:
    """Pending messages due at ``now`` (naive UTC), oldest first."""
    query = sa.select(outbox).where(outbox.c.status == "pending",
                                    outbox.c.next_attempt_at <= now).order_by(
        outbox.c.created_at, outbox.c.message_id).limit(limit)
    if only is not None:
        query = query.where(outbox.c.message_id.in_(list(only)))
    with store.connect() as conn:
        return [_entry(row) for row in conn.execute(query).mappings()]


def claim_entry(store: SqlMetricStore, entry: OutboxEntry, *, until: dt.datetime) -> bool:
    """Count an attempt and reserve the message until a time; False if it changed meanwhile."""
    with store.transaction() as conn:
        return conn.execute(outbox.update().where(
            outbox.c.message_id == entry.message_id, outbox.c.status == "pending",
            outbox.c.attempts == entry.attempts,
            outbox.c.next_attempt_at == entry.next_attempt_at,
        ).values(attempts=entry.attempts + 1, next_attempt_at=until)).rowcount == 1


def record_failed_attempt(store: SqlMetricStore, message_id: str, *, attempt: int,
                          error: str, dead: bool, next_at: dt.datetime) -> None:
    """A failed attempt: the message is pending again (due ``next_at``) or dead."""
    with store.transaction() as conn:
        conn.execute(outbox.update().where(outbox.c.message_id == message_id).values(
            status="dead" if dead else "pending", attempts=attempt, last_error=error[:2000],
            next_attempt_at=next_at))


def record_delivered(conn: Connection, message_id: str, *, ts: str | None,
                     payload: dict[str, Any], now: dt.datetime) -> None:
    """The message went out (``ts`` is the receiver's id of it)."""
    conn.execute(outbox.update().where(outbox.c.message_id == message_id).values(
        status="delivered", delivered_at=now, response_ts=ts, last_error=None,
        payload_json=json.dumps(payload)))


def count_by_status(store: SqlMetricStore) -> dict[str, int]:
    """How many stored messages are in each status (pending, delivered, dead)."""
    query = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
    with store.connect() as conn:
        return {status: int(count) for status, count in conn.execute(query)}
