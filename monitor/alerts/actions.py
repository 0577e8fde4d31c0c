"""What people do to incidents: acknowledge them, resolve them with a reason, mute them.

The CLI and the dashboard both act through these functions (the dashboard's
only writes besides feedback labels).

An incident's life: ``open`` -> ``acknowledged`` (who and when) -> ``resolved``
(who, when and why). A run resolves it by itself when its check passes again
(reason ``recovered``); a person resolves it with one of ``RESOLUTIONS``, and
the reason teaches the detectors: the anomalous points of the incident are
labelled, ``expected`` and ``false-positive`` ones as expected (they rejoin the
detectors' training and stop counting as anomalies), ``fixed`` and
``no-action-needed`` ones as incidents (real deviations, kept out of training).

>>> from monitor.store.incidents import Incident, save
>>> opened = dt.datetime(2026, 11, 30, 6)
>>> with store.transaction() as conn:
...     incident = save(conn, Incident(None, "refunds", "row_count", "open", "critical",
...                                    "refunds: no rows", opened, opened, opened))
>>> acknowledge(store, incident_id=incident.incident_id, by="ana")
>>> resolve(store, incident.incident_id, reason="fixed", by="ana",
...         note="reloaded the partition").incident.resolution
'fixed'
>>> mute_table(store, "refunds", until=dt.datetime.now(dt.UTC) + dt.timedelta(hours=4),
...            reason="backfill running").reason
'backfill running'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from monitor.errors import InputError
from monitor.store import SqlMetricStore
from monitor.store.feedback import FeedbackLabel, anomalous_points, replace_label
from monitor.store.incidents import (
    Incident,
    load_incident,
    mark_acknowledged,
    mark_resolved,
    set_incident_mute,
)
from monitor.store.mutes import Mute, delete_mute, replace_mute, stored_mute_end
from monitor.timeutil import parse_time, to_naive_utc, utcnow


def acknowledge(store: SqlMetricStore, incident_id: int, *, by: str | None = None) -> None:
    """Mark an open incident acknowledged: it stays open but sends no more updates."""
    status = mark_acknowledged(store, incident_id, by=by or "unknown",
                               now=to_naive_utc(utcnow()))
    if status is None:
        raise _unknown(incident_id)
    if status == "resolved":
        raise InputError(f"incident {incident_id} is already resolved")


#: Why a person resolves an incident -> the label its anomalous points get.
RESOLUTIONS: Mapping[str, str] = {"fixed": "incident", "expected": "expected",
                                  "false-positive": "expected",
                                  "no-action-needed": "incident"}
#: How each resolution reads (``recovered``: the check passed again by itself).
RESOLUTION_TEXT: Mapping[str, str] = {
    "fixed": "fixed", "expected": "expected", "false-positive": "false positive",
    "no-action-needed": "no action needed", "recovered": "recovered (the check passed again)"}


def resolution_reason(text: str) -> str:
    """The resolution named by ``text`` (``false-positive``, ``false positive``,
    ``False_Positive`` are one); InputError naming the choices otherwise."""
    key = "-".join(text.strip().lower().replace("_", " ").split())
    if key not in RESOLUTIONS:
        raise InputError(f"unknown resolution {text!r}; choose one of "
                         f"{', '.join(RESOLUTIONS)}")
    return key


def incident_id_of(text: str | int) -> int:
    """The number of an incident as people write it: ``12`` or ``#12``."""
    raw = str(text).strip().removeprefix("#")
    if not raw.isdigit():
        raise InputError(f"an incident id is a number such as 12 or #12, got {text!r}; "
                         f"list them with `dq-monitor incidents list`")
    return int(raw)


def _unknown(incident_id: int) -> InputError:
    return InputError(f"no incident with id {incident_id}; list them with "
                      f"`dq-monitor incidents list`")


@dataclass(frozen=True)
class Resolved:
    """A resolved incident and the points its resolution labelled (``label`` on each)."""

    incident: Incident
    label: str
    points: tuple[dt.datetime, ...] = ()


def _teach(conn: Connection, incident: Incident, label: str, *, text: str, by: str,
           now: dt.datetime) -> tuple[dt.datetime, ...]:
    """Label the anomalous points of an anomaly incident's series, from the start of
    the problem to its last failing point; other kinds have no points to label."""
    found = incident.details.get("finding") or {}
    if incident.kind != "anomaly" or not found.get("metric"):
        return ()
    start = to_naive_utc(incident.since or incident.opened_at)
    end = to_naive_utc(parse_time(found["at"])) if found.get("at") else incident.last_seen_at
    metric, column = found["metric"], found.get("column") or ""
    points = anomalous_points(conn, incident.table, metric, column, start=start, end=end)
    for granularity, ts in points:
        replace_label(conn, FeedbackLabel(incident.table, metric, column, granularity, ts,
                                          label, text, by),  # type: ignore[arg-type]
                      now=now)
    return tuple(sorted({ts for _, ts in points}))


def resolve(store: SqlMetricStore, incident_id: int, *, reason: str, by: str | None = None,
            note: str | None = None) -> Resolved:
    """Resolve an open or acknowledged incident with a reason (``RESOLUTIONS``) and label
    its anomalous points, in one transaction, so that the detectors learn from it."""
    reason = resolution_reason(reason)
    now = to_naive_utc(utcnow())
    who = by or "unknown"
    with store.transaction() as conn:
        incident = load_incident(conn, incident_id)
        if incident is None:
            raise _unknown(incident_id)
        if not mark_resolved(conn, incident_id, reason=reason, by=who, note=note, now=now):
            raise InputError(f"incident {incident_id} is already resolved")
        text = f"incident {incident.ref} resolved: {RESOLUTION_TEXT[reason]}"
        points = _teach(conn, incident, RESOLUTIONS[reason],
                        text=f"{text}; {note}" if note else text, by=who, now=now)
        resolved = load_incident(conn, incident_id) or incident
    return Resolved(resolved, RESOLUTIONS[reason], points)


def mute_incident(store: SqlMetricStore, incident_id: int, *, until: dt.datetime) -> None:
    """Silence one incident until a time."""
    if not set_incident_mute(store, incident_id, until=to_naive_utc(until),
                             now=to_naive_utc(utcnow())):
        raise _unknown(incident_id)


def mute_table(store: SqlMetricStore, table: str, *, until: dt.datetime,
               reason: str | None = None, by: str | None = None) -> Mute:
    """Silence every alert of a table until a time (replaces an earlier mute)."""
    if to_naive_utc(until) <= to_naive_utc(utcnow()):
        raise InputError(f"a mute must end in the future, got {until.isoformat()}")
    mute = Mute(table, to_naive_utc(until), reason, by)
    replace_mute(store, mute, now=to_naive_utc(utcnow()))
    return mute


def unmute_table(store: SqlMetricStore, table: str) -> bool:
    """Lift a table's mute; True if there was one."""
    return delete_mute(store, table)


def muted_until(store: SqlMetricStore, table: str, *, now: dt.datetime | None = None
                ) -> dt.datetime | None:
    """When the table's mute ends, or None if it is not muted now."""
    with store.connect() as conn:
        until = stored_mute_end(conn, table)
    if until is None or until <= to_naive_utc(now or utcnow()):
        return None
    return until
