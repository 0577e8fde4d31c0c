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

Incidents are read and written by ``monitor.store.incidents``.

>>> import datetime as dt
>>> from monitor.run.findings import Finding
>>> now = dt.datetime(2026, 1, 5, 6)
>>> bad = Finding(table="orders", check="volume:row_count", kind="anomaly",
...               severity="critical", failing=True, at=now, reason="412 rows, usually 980")
>>> [c.event for c in plan_incidents([bad], {}, run_id="r1", now=now, policy=AlertPolicy())]
['opened']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from monitor.config.models import AlertsConfig
from monitor.run.findings import SEVERITY_ORDER, Finding
from monitor.store.incidents import Incident
from monitor.timeutil import to_naive_utc


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


def incident_finding(incident: Incident) -> Finding:
    """The incident as a message shows it: its latest finding, with the incident's facts."""
    found = incident.details.get("finding") or {}
    at = found.get("at")
    return Finding(table=incident.table, check=incident.check,
                   kind=found.get("kind") or "run", severity=incident.severity,
                   failing=incident.status != "resolved",
                   at=dt.datetime.fromisoformat(at) if at else incident.last_seen_at,
                   reason=found.get("reason") or incident.title,
                   metric=found.get("metric"), column=found.get("column"),
                   observed=found.get("observed"), expected=found.get("expected"),
                   lower=found.get("lower"), upper=found.get("upper"),
                   score=found.get("score"), since=incident.since,
                   incident_id=incident.incident_id, occurrences=incident.occurrences,
                   ok_runs=incident.ok_streak, resolution=incident.details.get("resolution"))


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


#: The resolution of an incident whose check passed again, and who resolved it.
RECOVERED = "recovered"
RESOLVER = "dq-monitor"

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
                       updated_at=now, details=details, resolved_by=RESOLVER,
                       resolution=RECOVERED)
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
