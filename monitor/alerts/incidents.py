"""Incidents: one open incident per table and check, from first failure to resolution.

``plan_incidents`` is the state machine, a pure function of the open
incidents and one run's findings. It decides what changes and what people
should be told (``opened``, ``update``, ``reminder``, ``resolved`` or nothing):

- a failing check with no open incident opens one;
- a repeat failure updates it: a thread reply when threads exist (bot token),
  otherwise a reminder at most once per ``reminder_interval`` (or at once when
  the severity gets worse);
- ``resolve_after_runs`` passing runs in a row resolve it; a schema change
  resolves on its first passing finding, which says whether the change was
  undone or accepted (acknowledged), and the resolved message says so;
- acknowledged incidents send no updates; muted ones (the table or the
  incident) send nothing, and an incident first seen while muted is announced
  when it still fails after the mute.

The store functions take a ``Connection`` so they join the run's transaction.

>>> import datetime as dt
>>> from monitor.findings import Finding
>>> now = dt.datetime(2026, 1, 5, 6)
>>> bad = Finding(table="orders", check="volume:row_count", kind="anomaly",
...               severity="critical", failing=True, at=now, reason="412 rows, usually 980")
>>> [c.event for c in plan_incidents([bad], {}, run_id="r1", now=now, policy=AlertPolicy())]
['opened']
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.alerts.blocks import AlertItem
from monitor.config import AlertsConfig
from monitor.findings import SEVERITY_ORDER, Finding
from monitor.store.schema import incidents as incidents_table
from monitor.timeutil import parse_time, to_naive_utc

OPEN_STATUSES = ("open", "acknowledged")
STATUSES = ("open", "acknowledged", "resolved")


@dataclass(frozen=True)
class AlertPolicy:
    """The knobs of the state machine (from ``alerts`` in the config)."""

    resolve_after_runs: int = 2
    reminder_interval: float = 4 * 3600.0
    threads: bool = False

    @classmethod
    def from_config(cls, alerts: AlertsConfig) -> AlertPolicy:
        return cls(resolve_after_runs=alerts.resolve_after_runs,
                   reminder_interval=float(alerts.reminder_interval),
                   threads=alerts.slack is not None and bool(alerts.slack.bot_token))


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

    @property
    def announced(self) -> bool:
        return bool(self.details.get("announced"))

    @property
    def thread_of(self) -> str | None:
        """The outbox message that announced it: updates reply in its thread."""
        return self.details.get("thread_of")

    def muted(self, now: dt.datetime) -> bool:
        return self.muted_until is not None and self.muted_until > now

    def item(self) -> AlertItem:
        """The incident as a message shows it."""
        found = self.details.get("finding") or {}
        since = self.details.get("since")
        return AlertItem(incident_id=self.incident_id, check=self.check, severity=self.severity,
                         reason=found.get("reason") or self.title, metric=found.get("metric"),
                         column=found.get("column"), observed=found.get("observed"),
                         expected=found.get("expected"), lower=found.get("lower"),
                         upper=found.get("upper"),
                         since=parse_time(since) if since else None,
                         occurrences=self.occurrences, ok_runs=self.ok_streak,
                         resolution=self.details.get("resolution"))

    def to_dict(self) -> dict[str, Any]:
        return {"incident_id": self.incident_id, "table": self.table, "check": self.check,
                "status": self.status, "severity": self.severity, "title": self.title,
                "opened_at": self.opened_at, "last_seen_at": self.last_seen_at,
                "resolved_at": self.resolved_at, "occurrences": self.occurrences,
                "ok_streak": self.ok_streak, "acknowledged_by": self.acknowledged_by,
                "muted_until": self.muted_until, "channel": self.channel,
                "thread_ts": self.thread_ts, "since": self.item().since}


@dataclass(frozen=True)
class Change:
    """An incident after this run, whether it is new, and what to tell people."""

    incident: Incident
    is_new: bool
    event: str | None  # opened | update | reminder | resolved | None (stay quiet)


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _finding_details(finding: Finding) -> dict[str, Any]:
    return {k: _clean(v) for k, v in finding.to_dict().items()}


def _by_check(findings: Iterable[Finding]) -> dict[str, Finding]:
    """One finding per check: the worst failing one, else the last passing one."""
    chosen: dict[str, Finding] = {}
    for f in findings:
        current = chosen.get(f.check)
        if current is None or f.failing != current.failing:
            replace_it = current is None or f.failing
        elif f.failing:  # both failing: the worse severity (the later one on a tie)
            replace_it = SEVERITY_ORDER.get(f.severity, 9) <= SEVERITY_ORDER.get(
                current.severity, 9)
        else:
            replace_it = True
        if replace_it:
            chosen[f.check] = f
    return chosen


def _worse(new: str, old: str) -> bool:
    return SEVERITY_ORDER.get(new, 9) < SEVERITY_ORDER.get(old, 9)


def plan_incidents(findings: Sequence[Finding], open_incidents: Mapping[str, Incident], *,
                   run_id: str, now: dt.datetime, policy: AlertPolicy,
                   table_muted: bool = False) -> list[Change]:
    """What one run's findings do to a table's open incidents (pure; nothing is written).

    A run that already touched an incident (the same ``run_id`` replayed)
    changes nothing, so running the same run twice never double-counts.
    """
    now = to_naive_utc(now)
    changes: list[Change] = []
    for check, finding in _by_check(findings).items():
        current = open_incidents.get(check)
        if current is not None and current.details.get("last_run") == run_id:
            continue
        if finding.failing:
            changes.append(_failing(finding, current, run_id, now, policy, table_muted))
        elif current is not None:
            changes.append(_passing(finding, current, run_id, now, policy, table_muted))
    return changes


def _failing(finding: Finding, current: Incident | None, run_id: str, now: dt.datetime,
             policy: AlertPolicy, table_muted: bool) -> Change:
    details = _finding_details(finding)
    if current is None:
        since = finding.since or finding.at
        incident = Incident(
            incident_id=None, table=finding.table, check=finding.check, status="open",
            severity=finding.severity, title=finding.title, opened_at=now, updated_at=now,
            last_seen_at=now, details={"finding": details, "since": to_naive_utc(
                since).isoformat(), "last_run": run_id, "announced": False, "thread_of": None})
        return Change(incident, True, None if table_muted else "opened")
    incident = replace(current, severity=finding.severity, title=finding.title,
                       updated_at=now, last_seen_at=now, occurrences=current.occurrences + 1,
                       ok_streak=0, details={**current.details, "finding": details,
                                             "last_run": run_id})
    event: str | None
    if table_muted or current.muted(now):
        event = None
    elif not current.announced:
        event = None if current.status == "acknowledged" else "opened"
    elif current.status == "acknowledged":
        event = None
    elif policy.threads:
        event = "update"
    else:
        due = (current.last_notified_at is None or (now - current.last_notified_at)
               >= dt.timedelta(seconds=policy.reminder_interval))
        event = "reminder" if due or _worse(finding.severity, current.severity) else None
    return Change(incident, False, event)


#: Finding kinds whose passing finding is a fact (the change undone or accepted), not one
#: quiet point of a noisy metric: it resolves at once and its reason is the resolution.
FACT_KINDS = ("schema",)


def _passing(finding: Finding, current: Incident, run_id: str, now: dt.datetime,
             policy: AlertPolicy, table_muted: bool) -> Change:
    streak = current.ok_streak + 1
    details = {**current.details, "last_run": run_id}
    fact = finding.kind in FACT_KINDS
    if fact:
        details["resolution"] = finding.reason
    if streak < policy.resolve_after_runs and not fact:
        return Change(replace(current, ok_streak=streak, updated_at=now, details=details),
                      False, None)
    incident = replace(current, status="resolved", resolved_at=now, ok_streak=streak,
                       updated_at=now, details=details)
    quiet = table_muted or current.muted(now) or not current.announced
    return Change(incident, False, None if quiet else "resolved")


def notified(incident: Incident, event: str, message_id: str, now: dt.datetime) -> Incident:
    """The incident after a message about it was queued."""
    now = to_naive_utc(now)
    if event == "opened":
        return replace(incident, last_notified_at=now,
                       details={**incident.details, "announced": True, "thread_of": message_id})
    if event in ("update", "reminder"):
        return replace(incident, last_notified_at=now)
    return replace(incident, details={**incident.details, "resolved_message": message_id})


# -- store ------------------------------------------------------------------------
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
        last_notified_at=row["last_notified_at"], details=details)


def load_open(conn: Connection, table: str) -> dict[str, Incident]:
    """The open or acknowledged incidents of a table, by check."""
    t = incidents_table
    rows = conn.execute(sa.select(t).where(t.c.table_name == table,
                                           t.c.status.in_(OPEN_STATUSES))
                        .order_by(t.c.incident_id)).mappings()
    return {row["check_key"]: _from_row(row) for row in rows}


def save(conn: Connection, incident: Incident) -> Incident:
    """Insert a new incident or write what a run changed; returns it with its id.

    Status, acknowledgement and mute belong to people (``incident_actions``):
    an update writes the status only when the run resolves the incident.
    """
    t = incidents_table
    values: dict[str, Any] = {
        "severity": incident.severity, "title": incident.title,
        "details_json": json.dumps(dict(incident.details), default=str),
        "updated_at": incident.updated_at, "last_seen_at": incident.last_seen_at,
        "occurrences": incident.occurrences, "ok_streak": incident.ok_streak,
        "last_notified_at": incident.last_notified_at}
    if incident.incident_id is None:
        result = conn.execute(t.insert().values(
            table_name=incident.table, check_key=incident.check, status=incident.status,
            opened_at=incident.opened_at, **values))
        return replace(incident, incident_id=int(result.inserted_primary_key[0]))
    if incident.status == "resolved":
        values.update(status="resolved", resolved_at=incident.resolved_at)
    conn.execute(t.update().where(t.c.incident_id == incident.incident_id).values(**values))
    return incident


def set_thread(conn: Connection, incident_ids: Sequence[int], *, channel: str | None,
               ts: str | None) -> None:
    """Remember where an incident was announced (the first announcement wins)."""
    if not incident_ids or not ts:
        return
    t = incidents_table
    conn.execute(t.update().where(t.c.incident_id.in_(list(incident_ids)),
                                  t.c.thread_ts.is_(None)).values(channel=channel, thread_ts=ts))


def list_incidents(conn: Connection, *, status: str | None = None, table: str | None = None,
                   limit: int = 100) -> list[Incident]:
    """Incidents, newest first; ``status='active'`` means open or acknowledged."""
    t = incidents_table
    query = sa.select(t).order_by(t.c.incident_id.desc()).limit(limit)
    if status == "active":
        query = query.where(t.c.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(t.c.status == status)
    if table:
        query = query.where(t.c.table_name == table)
    return [_from_row(row) for row in conn.execute(query).mappings()]
