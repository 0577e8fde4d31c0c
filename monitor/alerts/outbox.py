"""The outbox: alerts written with the run's results, delivered after the commit, never lost.

A message is queued (``enqueue``) in the same transaction as the incident
change that caused it, under a deterministic id, so a replayed run cannot
queue it twice. ``deliver_due`` sends what is due: it claims each message
first (so two processes never send the same one), retries transient failures
(429 honouring Retry-After, 5xx, timeouts, connection errors) with backoff,
and moves a message to ``dead`` after ``alerts.max_attempts`` attempts or at
once when Slack rejects it for good. ``requeue`` brings dead messages back.

With several notifiers (``alerts.routes``), each message is routed when it is
first due: it goes to its first notifier and a copy (``<id>@<notifier>``) is
queued for each other one, so every notifier's delivery is retried, dead
lettered and requeued on its own; a notifier that is down stops only its own
messages of the pass.

A thread reply waits until the message it replies to is delivered; if that
one is dead, or went out through a webhook (no thread), the reply is posted
on its own.

>>> from monitor.alerts.console import ConsoleNotifier
>>> message = OutboxMessage("refunds-opened-1", "refunds", "opened", "refunds: no rows today")
>>> with store.transaction() as conn:
...     queued = enqueue(conn, message, now=now)
>>> report = flush_outbox(ctx, notifier=ConsoleNotifier())
>>> report.delivered, report.dead
(['refunds-opened-1'], [])
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from monitor.alerts.notifier import (
    DeliveryFailed,
    DeliveryRejected,
    Notifier,
    OutgoingMessage,
    build_notifiers,
)
from monitor.alerts.routes import default_notifiers, route_message
from monitor.config.models import AlertsConfig
from monitor.config.secrets import redact, redact_values
from monitor.errors import InputError
from monitor.retry import RetryPolicy
from monitor.run.context import MonitorContext
from monitor.store import SqlMetricStore
from monitor.store.incidents import set_thread
from monitor.store.outbox import (
    OutboxEntry,
    assign_notifiers,
    claim_entry,
    copy_id,
    count_queued_since,
    dead_message_ids,
    due_entries,
    incident_severities,
    insert_pending,
    make_pending,
    outbox_entry,
    record_delivered,
    record_failed_attempt,
    worst_severity,
)
from monitor.timeutil import to_naive_utc

log = logging.getLogger(__name__)

OUTBOX_STATUSES = ("pending", "delivered", "dead")
#: Events that reach the channel (thread replies do not) and count against the rate limit.
CHANNEL_EVENTS = ("opened", "reminder", "resolved")
#: Waits between attempts: 1 min, 2, 4, ... up to 1 h, +-20 % so retries do not align.
BACKOFF = RetryPolicy(base_delay=60.0, max_delay=3600.0, jitter=0.2)
#: How long a claimed message stays reserved beyond the notifier's timeout.
LEASE_MARGIN = 60.0


def message_id(table: str, run_id: str, event: str, checks: Sequence[str],
               thread: str | None = None) -> str:
    """Deterministic id of one message: the same run and incidents give the same id.

    >>> a = message_id("orders", "orders@2026-01-05T06:00:00", "opened", ["b", "a"])
    >>> a == message_id("orders", "orders@2026-01-05T06:00:00", "opened", ["a", "b"]), len(a)
    (True, 40)
    """
    key = "\x1f".join([table, run_id, event, thread or "", *sorted(checks)])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class OutboxMessage:
    """A message to queue."""

    message_id: str
    table: str
    event: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    channel: str | None = None
    incident_ids: tuple[int, ...] = ()
    thread_parent: str | None = None  # message_id of the message this one replies to
    reply_broadcast: bool = False
    severity: str | None = None  # routes match on it; None: the worst of its incidents

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks, "incident_ids": list(self.incident_ids),
                "thread_parent": self.thread_parent, "reply_broadcast": self.reply_broadcast,
                "severity": self.severity}


def enqueue(conn: Connection, message: OutboxMessage, *, now: dt.datetime) -> bool:
    """Queue a message in the caller's transaction; False if its id is already queued.

    The severity routes match on is the one its incidents have now (the caller saved
    them in this transaction), not the one they have when it is delivered.
    """
    payload = message.payload()
    if payload["severity"] is None:
        severities = incident_severities(conn, message.incident_ids)
        payload["severity"] = worst_severity(severities.values())
        payload["severities"] = {str(k): v for k, v in severities.items()}
    return insert_pending(
        conn, message_id=message.message_id, table=message.table, event=message.event,
        incident_id=message.incident_ids[0] if message.incident_ids else None,
        channel=message.channel, payload=redact_values(payload), now=now)


def sent_since(conn: Connection, since: dt.datetime) -> int:
    """Messages to a channel queued since a time (the global rate limit counts these)."""
    return count_queued_since(conn, since, CHANNEL_EVENTS)


def requeue(store: SqlMetricStore, *, now: dt.datetime, message_id: str | None = None,
            all_dead: bool = False) -> list[str]:
    """Make dead (or one given undelivered) messages pending again with fresh attempts."""
    if (message_id is None) == (not all_dead):
        raise InputError("name one message id, or pass --all-dead")
    with store.transaction() as conn:
        if message_id is not None:
            entry = outbox_entry(conn, message_id)
            if entry is None:
                raise InputError(f"no alert with id {message_id!r}; list them with "
                                 f"`dq-monitor alerts list`")
            if entry.status == "delivered":
                raise InputError(f"alert {message_id} was delivered already "
                                 f"({entry.delivered_at:%Y-%m-%d %H:%M:%S} UTC); not resending")
            ids = [message_id]
        else:
            ids = dead_message_ids(conn)
        if ids:
            make_pending(conn, ids, now=now)
    return ids


@dataclass
class DeliveryReport:
    """What one pass over the outbox did, by message id."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    stopped: str | None = None  # why the pass stopped early (the receiver is down)

    def to_dict(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "retrying": self.retrying, "dead": self.dead,
                "deferred": self.deferred, "stopped": self.stopped}


def _claim(store: SqlMetricStore, entry: OutboxEntry, now: dt.datetime, lease: float) -> bool:
    """Reserve a message for this process (counting the attempt); False if someone else has."""
    return claim_entry(store, entry, until=now + dt.timedelta(seconds=lease))

def _parent(conn: Connection, parent_id: str, notifier_name: str | None) -> OutboxEntry | None:
    """The message a reply replies to, as sent by the reply's own notifier."""
    parent = outbox_entry(conn, parent_id)
    if parent is None or notifier_name is None:
        return parent
    if parent.payload.get("notifier") in (None, notifier_name):
        return parent
    return outbox_entry(conn, copy_id(parent_id, notifier_name))


def _thread(conn: Connection, entry: OutboxEntry, notifier: Notifier
            ) -> tuple[bool, str | None, str | None]:
    """(wait?, thread_ts, channel) for a reply: wait while its parent is still pending."""
    parent_id = entry.payload.get("thread_parent")
    if not parent_id:
        return False, None, entry.channel
    parent = _parent(conn, parent_id, entry.payload.get("notifier"))
    if parent is not None and parent.status == "pending":
        return True, None, entry.channel
    if (parent is not None and parent.status == "delivered" and parent.response_ts
            and notifier.supports_threads):
        return False, parent.response_ts, parent.payload.get("delivered_channel") or entry.channel
    return False, None, entry.channel


def routes_of(alerts: AlertsConfig, entry: OutboxEntry) -> dict[str, list[int] | None]:
    """Each notifier of a message and the incidents routed to it (None: all of them).

    Incidents are routed on their own severities (kept when the message was
    queued): in a message about a critical and a warning, PagerDuty is told of
    the critical only, while Slack shows both.
    """
    severities = entry.payload.get("severities") or {}
    ids = [int(i) for i in entry.payload.get("incident_ids") or []]
    if not severities or not ids:
        names = route_message(alerts, table=entry.table, event=entry.event,
                              severity=entry.payload.get("severity"))
        return dict.fromkeys(names)
    routed: dict[str, list[int]] = {}
    for incident_id in ids:
        for name in route_message(alerts, table=entry.table, event=entry.event,
                                  severity=severities.get(str(incident_id))):
            routed.setdefault(name, []).append(incident_id)
    return {name: None if got == ids else got for name, got in routed.items()}


def _route(store: SqlMetricStore, entries: Sequence[OutboxEntry], alerts: AlertsConfig,
           ) -> list[str] | None:
    """Route the messages not routed yet; the ids of the copies it queued (None: none
    needed routing)."""
    copies: list[str] | None = None
    for entry in entries:
        if entry.payload.get("notifier"):
            continue
        names = routes_of(alerts, entry)
        assign_notifiers(store, entry, names)
        copies = (copies or []) + [copy_id(entry.message_id, name) for name in list(names)[1:]]
    return copies


def deliver_due(store: SqlMetricStore, notifier: Notifier | Mapping[str, Notifier], *,
                now: dt.datetime, max_attempts: int, only: Collection[str] | None = None,
                limit: int = 500, backoff: RetryPolicy = BACKOFF,
                routes: AlertsConfig | None = None) -> DeliveryReport:
    """Send the pending messages that are due, oldest first.

    ``notifier`` is one notifier for every message, or the notifiers by config
    name; with ``routes`` (the alerts config) messages not routed yet are routed
    first. A notifier's pass stops at its first transient failure (the receiver
    is down or limiting us; its next messages would fail the same way) and
    leaves the rest of its messages due; the other notifiers go on.
    """
    now = to_naive_utc(now)
    report = DeliveryReport()
    entries = due_entries(store, now=now, only=only, limit=limit)
    notifiers = notifier if isinstance(notifier, Mapping) else None
    default = None
    if notifiers is not None and routes is not None:
        default = default_notifiers(routes)[0]
        copies = _route(store, entries, routes)
        if copies is not None:  # the routed messages and their copies, in their order
            entries = due_entries(store, now=now, limit=limit,
                                  only=None if only is None else [*only, *copies])
    stopped: set[str] = set()
    for entry in entries:
        name = entry.payload.get("notifier") or default
        if notifiers is None:
            target: Notifier | None = notifier  # type: ignore[assignment]
        else:
            target = notifiers.get(name or "") or (
                next(iter(notifiers.values())) if name is None else None)
        if name in stopped:
            continue
        if target is None:
            if _claim(store, entry, now, LEASE_MARGIN):
                _fail(store, entry, entry.attempts + 1,
                      f"notifier {name!r} is not configured (any more); configure "
                      f"alerts.{name} and run `dq-monitor alerts retry`", dead=True, next_at=now)
                report.dead.append(entry.message_id)
            continue
        with store.connect() as conn:
            wait, thread_ts, channel = _thread(conn, entry, target)
        if wait:
            report.deferred.append(entry.message_id)
            continue
        if not _claim(store, entry, now, target.timeout + LEASE_MARGIN):
            continue
        attempt = entry.attempts + 1
        message = OutgoingMessage(
            text=entry.text, blocks=entry.payload.get("blocks") or [], channel=channel,
            thread_ts=thread_ts, reply_broadcast=bool(entry.payload.get("reply_broadcast")),
            table=entry.table, event=entry.event, severity=entry.payload.get("severity"),
            incident_ids=tuple(entry.payload.get("routed_incidents")
                               or entry.payload.get("incident_ids") or ()))
        try:
            delivery = target.send(message)
        except DeliveryRejected as error:
            _fail(store, entry, attempt, redact(str(error)), dead=True, next_at=now)
            report.dead.append(entry.message_id)
            continue
        except Exception as error:
            # DeliveryFailed, or a bug in a notifier: count the attempt, retry later.
            if not isinstance(error, DeliveryFailed):
                log.exception("notifier %s failed on alert %s", target.name, entry.message_id)
            retry_after = getattr(error, "retry_after", None)
            delay = max(backoff.delay(attempt), retry_after or 0.0)
            dead = attempt >= max_attempts
            _fail(store, entry, attempt, redact(str(error)) or type(error).__name__, dead=dead,
                  next_at=now + dt.timedelta(seconds=delay))
            (report.dead if dead else report.retrying).append(entry.message_id)
            report.stopped = report.stopped or redact(str(error))
            if notifiers is None:
                break
            stopped.add(name or "")
            continue
        _delivered(store, entry, delivery.ts, delivery.channel, now)
        report.delivered.append(entry.message_id)
    return report


def _fail(store: SqlMetricStore, entry: OutboxEntry, attempt: int, error: str, *, dead: bool,
          next_at: dt.datetime) -> None:
    level = logging.ERROR if dead else logging.WARNING
    log.log(level, "alert %s (%s, table %s) attempt %d failed: %s%s", entry.message_id,
            entry.event, entry.table, attempt, error,
            "; moved to dead letters (`dq-monitor alerts retry`)" if dead else
            f"; next try at {next_at:%H:%M:%S} UTC",
            extra={"dq": {"event": "alert_failed", "message_id": entry.message_id,
                          "attempt": attempt, "dead": dead}})
    record_failed_attempt(store, entry.message_id, attempt=attempt, error=error, dead=dead,
                          next_at=next_at)

def _delivered(store: SqlMetricStore, entry: OutboxEntry, ts: str | None, channel: str | None,
               now: dt.datetime) -> None:
    payload = {**entry.payload, "delivered_channel": channel}
    with store.transaction() as conn:
        record_delivered(conn, entry.message_id, ts=ts, payload=payload, now=now)
        if entry.event == "opened":
            set_thread(conn, entry.payload.get("incident_ids") or [], channel=channel, ts=ts)
    log.info("alert %s (%s, table %s) delivered", entry.message_id, entry.event, entry.table)


def flush_outbox(ctx: MonitorContext, *, notifier: Notifier | None = None,
                 only: Collection[str] | None = None) -> DeliveryReport:
    """Deliver every due alert with the configured notifier (after runs, by the service,
    and by ``dq-monitor alerts deliver``)."""
    alerts = ctx.config.alerts
    if notifier is not None:
        return deliver_due(ctx.store, notifier, now=ctx.now(), max_attempts=alerts.max_attempts,
                           only=only)
    return deliver_due(ctx.store, build_notifiers(alerts), now=ctx.now(), only=only,
                       max_attempts=alerts.max_attempts, routes=alerts)
