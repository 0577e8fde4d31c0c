"""The schema check of a run: columns added, removed or retyped, and how a change ends.

A schema change is a fact, not a noisy metric. The first run that sees it
compares with the previous run's columns; while its incident is open, every
run compares with the columns *before* the change, so the finding keeps
failing until the change is undone (the column returns) or someone
acknowledges the incident (accepts the new schema). The passing finding then
says which of the two happened, and the incident resolves at once.

>>> yesterday = now - dt.timedelta(days=1)
>>> with store.transaction() as conn:  # the previous run saw two columns
...     store.replace_schema(conn, "refunds-run-1", "refunds", yesterday,
...                          [("id", "INTEGER"), ("phone", "TEXT")])
>>> found = schema_finding(store, "refunds", now, [("id", "INTEGER")],
...                        open_incident=open_schema_incident(store, "refunds"))
>>> found.failing, found.reason
(True, "column 'phone' was removed (it was TEXT)")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.detection import diff_schema
from monitor.detection.schema_change import SchemaChange
from monitor.detection.severity import SeveritySettings, fixed_severity
from monitor.run.findings import Finding
from monitor.store import SqlMetricStore
from monitor.store.incidents import Incident, load_open
from monitor.store.schemas import schema_at
from monitor.timeutil import parse_time, to_naive_utc


@dataclass(frozen=True)
class SchemaIncident:
    """What the schema check needs to know about the table's open schema incident."""

    baseline: dt.datetime  # the snapshot before the change (naive UTC)
    acknowledged_by: str | None = None  # set: someone accepted the change

    @classmethod
    def of(cls, incident: Incident | None) -> SchemaIncident | None:
        since = incident.details.get("since") if incident is not None else None
        if incident is None or not since:
            return None
        accepted = ((incident.acknowledged_by or "someone")
                    if incident.status == "acknowledged" else None)
        return cls(to_naive_utc(parse_time(since)), accepted)


def _changed(table_name: str, at: dt.datetime, changes: Sequence[SchemaChange],
             since: dt.datetime, layers: Sequence[SeveritySettings | None]) -> Finding:
    severe = any(c.kind.value in ("removed", "retyped") for c in changes)
    severity = fixed_severity("schema", "critical" if severe else "warning", *layers)
    reason = "; ".join(c.reason for c in changes[:5])
    if len(changes) > 5:
        reason += f"; and {len(changes) - 5} more"
    return Finding(table=table_name, check="schema", kind="schema", severity=severity,
                   failing=True, at=at, reason=reason, since=since)


def schema_finding(store: SqlMetricStore, table_name: str, as_of: dt.datetime,
                   current: Sequence[tuple[str, str]], *,
                   open_incident: SchemaIncident | None = None,
                   severity: Sequence[SeveritySettings | None] = ()) -> Finding | None:
    """Columns added, removed or retyped since the previous run (None on the first run).

    A schema change is a fact, not a noisy metric: while its incident is open
    the schema is compared with the one *before* the change, so the finding
    keeps failing until the change is undone (the column returns) or someone
    acknowledges it (accepts the new schema). Then the passing finding says
    which of the two happened; it never claims "back to normal" while a
    column is still gone.
    """
    at = to_naive_utc(as_of)
    previous = [snap for snap in store.schema_snapshots(table_name, limit=3) if snap[0] < at]
    if not previous:
        return None
    if open_incident is not None and open_incident.acknowledged_by is None:
        before = schema_at(store, table_name, open_incident.baseline)
        if before is not None:
            changes = diff_schema(dict(before[1]), dict(current))
            if changes:
                return _changed(table_name, at, changes, before[0], severity)
            return Finding(table=table_name, check="schema", kind="schema", severity="info",
                           failing=False, at=at,
                           reason="the change is undone: the schema is back to how it was "
                                  f"on {before[0]:%Y-%m-%d %H:%M} UTC")
    changes = diff_schema(dict(previous[0][1]), dict(current))
    if changes:
        return _changed(table_name, at, changes, previous[0][0], severity)
    if open_incident is not None:
        return Finding(table=table_name, check="schema", kind="schema", severity="info",
                       failing=False, at=at,
                       reason=f"the change was accepted (acknowledged by "
                              f"{open_incident.acknowledged_by}); the schema is unchanged since")
    return Finding(table=table_name, check="schema", kind="schema", severity="info",
                   failing=False, at=at, reason="schema unchanged")


def open_schema_incident(store: SqlMetricStore, table_name: str) -> SchemaIncident | None:
    """The table's open schema incident, as the schema check needs it."""
    with store.connect() as conn:
        return SchemaIncident.of(load_open(conn, table_name).get("schema"))
