"""The runner step that turns a run's findings into incidents and queued alerts.

It runs last, after every step that reports findings. The incident changes
and the outbox rows are written in the run's one transaction (a crash before
the commit leaves neither; after it, both), and the outbox is flushed after
the commit. Per table and run there is at most one message per event: every
problem that opened in this run is in one ``opened`` message.

>>> from monitor.run.runner import STEPS
>>> STEPS[-1] is raise_alerts
True
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from monitor.alerts.blocks import build_message
from monitor.alerts.incidents import AlertPolicy, Change, incident_finding, notified, plan_incidents
from monitor.alerts.outbox import CHANNEL_EVENTS, OutboxMessage, enqueue, flush_outbox, message_id
from monitor.alerts.outbox import sent_since as _sent_since
from monitor.config.models import MonitorConfig, TableConfig
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding
from monitor.run.state import RunState
from monitor.store.incidents import Incident, load_open, save
from monitor.store.mutes import stored_mute_end
from monitor.store.pending_findings import keep_pending_findings
from monitor.timeutil import to_naive_utc

log = logging.getLogger(__name__)

#: Which message goes first when the hourly budget runs short.
_PRIORITY = {"opened": 0, "resolved": 1, "reminder": 2, "update": 3}


@dataclass
class _Group:
    """The changes that go into one message."""

    event: str
    thread_parent: str | None = None
    changes: list[int] = field(default_factory=list)


def table_muted(conn: Connection, config: MonitorConfig, table: str, now: dt.datetime) -> bool:
    """True while the table is muted, by ``dq-monitor mute`` or by ``mute_until`` in the config."""
    naive = to_naive_utc(now)
    until = stored_mute_end(conn, table)
    if until is not None and until > naive:
        return True
    configured = _table_config(config, table)
    if configured is not None and configured.mute_until:  # validated when the config loads
        return to_naive_utc(configured.mute_until) > naive
    return False


def _table_config(config: MonitorConfig, table: str) -> TableConfig | None:
    return next((t for t in config.tables if t.name == table), None)


def _groups(changes: Sequence[Change], threads: bool) -> list[_Group]:
    """Messages to send, one per event (and per thread for thread replies)."""
    groups: dict[tuple[str, str | None], _Group] = {}
    for index, change in enumerate(changes):
        if change.event is None:
            continue
        threaded = threads and change.event in ("update", "resolved")
        parent = change.incident.thread_of if threaded else None
        key = (change.event, parent)
        groups.setdefault(key, _Group(change.event, parent)).changes.append(index)
    return sorted(groups.values(), key=lambda g: (_PRIORITY[g.event], g.thread_parent or ""))


def record_alerts(conn: Connection, config: MonitorConfig, table: str,
                  findings: Sequence[Finding], *, run_id: str, now: dt.datetime,
                  policy: AlertPolicy) -> list[OutboxMessage]:
    """Apply one run's findings of one table to its incidents and queue the messages.

    Runs inside the run's transaction; returns the messages it queued.
    """
    now = to_naive_utc(now)
    muted = table_muted(conn, config, table, now)
    changes = plan_incidents(findings, load_open(conn, table), run_id=run_id, now=now,
                             policy=policy, table_muted=muted)
    if not changes:
        return []
    budget = max(0, config.alerts.rate_limit_per_hour
                 - _sent_since(conn, now - dt.timedelta(hours=1)))
    incidents: list[Incident] = [c.incident for c in changes]
    planned: list[tuple[_Group, str]] = []
    held = 0
    for group in _groups(changes, policy.threads):
        if group.event in CHANNEL_EVENTS:
            if budget <= 0:
                held += 1
                continue
            budget -= 1
        checks = [incidents[i].check for i in group.changes]
        mid = message_id(table, run_id, group.event, checks, group.thread_parent)
        for i in group.changes:
            incidents[i] = notified(incidents[i], group.event, mid, now)
        planned.append((group, mid))
    if held:
        log.warning("alert rate limit of %d messages per hour reached: %d message(s) about "
                    "table %s held back (they are sent when the problem is seen again)",
                    config.alerts.rate_limit_per_hour, held, table)
    incidents = [save(conn, incident) for incident in incidents]
    table_cfg = _table_config(config, table)
    owners = table_cfg.owners if table_cfg else []
    channel = (table_cfg.slack_channel if table_cfg else None) or (
        config.alerts.slack.channel if config.alerts.slack else None)
    queued = []
    for group, mid in planned:
        members = [incidents[i] for i in group.changes]
        text, blocks = build_message(group.event, table, [incident_finding(m) for m in members],
                                     owners=owners, dashboard_url=config.dashboard_url)
        message = OutboxMessage(
            message_id=mid, table=table, event=group.event, text=text, blocks=blocks,
            channel=channel, incident_ids=tuple(m.incident_id for m in members
                                                if m.incident_id is not None),
            thread_parent=group.thread_parent,
            reply_broadcast=group.event == "resolved" and group.thread_parent is not None)
        if enqueue(conn, message, now=now):
            queued.append(message)
    return queued


def _deliver(ctx: MonitorContext) -> None:
    report = flush_outbox(ctx)
    if report.stopped:
        log.warning("alert delivery paused: %s (retried later; `dq-monitor alerts list`)",
                    report.stopped)


def keep_findings(conn: Connection, table: str, findings: Sequence[Finding], *,
                  run_id: str, now: dt.datetime) -> None:
    """Keep a run's findings in its spool file; incidents are decided at replay."""
    keep_pending_findings(conn, run_id=run_id, table=table, now=now,
                          payload_json=json.dumps([f.to_dict() for f in findings]))


def apply_pending_findings(conn: Connection, config: MonitorConfig,
                           rows: Sequence[dict[str, Any]]) -> int:
    """Decide incidents and queue alerts for findings kept while the store was down.

    Called by the spool's replay inside the transaction that copies the run.
    """
    policy = AlertPolicy.from_config(config.alerts)
    queued = 0
    for row in rows:
        found = [Finding.from_dict(item) for item in json.loads(row["payload_json"])]
        queued += len(record_alerts(conn, config, row["table_name"], found,
                                    run_id=row["run_id"], now=row["recorded_at"],
                                    policy=policy))
    return queued


def raise_alerts(ctx: MonitorContext, state: RunState) -> None:
    """Runner step: incidents and outbox rows in the run's transaction, delivery after it."""
    policy = AlertPolicy.from_config(ctx.config.alerts)
    now = ctx.now()
    by_table: dict[str, list[Finding]] = {}
    for finding in state.found:
        by_table.setdefault(finding.table, []).append(finding)
    if by_table:
        def write(conn: Connection) -> None:
            for table, found in by_table.items():
                record_alerts(conn, ctx.config, table, found, run_id=state.run_id, now=now,
                              policy=policy)

        def keep(conn: Connection) -> None:
            for table, found in by_table.items():
                keep_findings(conn, table, found, run_id=state.run_id, now=now)

        state.write(write, spooled=keep)
    state.then(lambda: _deliver(ctx))
