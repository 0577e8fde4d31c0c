"""What people do to incidents: acknowledge them and mute tables.

The CLI and the dashboard both act through these functions (the dashboard's
only writes besides feedback labels).

>>> from monitor.store.incidents import Incident, save
>>> opened = dt.datetime(2026, 11, 30, 6)
>>> with store.transaction() as conn:
...     incident = save(conn, Incident(None, "refunds", "row_count", "open", "critical",
...                                    "refunds: no rows", opened, opened, opened))
>>> acknowledge(store, incident_id=incident.incident_id, by="ana")
>>> mute_table(store, "refunds", until=dt.datetime.now(dt.UTC) + dt.timedelta(hours=4),
...            reason="backfill running").reason
'backfill running'
"""

from __future__ import annotations

import datetime as dt

from monitor.errors import InputError
from monitor.store import SqlMetricStore
from monitor.store.incidents import mark_acknowledged, set_incident_mute
from monitor.store.mutes import Mute, delete_mute, replace_mute, stored_mute_end
from monitor.timeutil import to_naive_utc, utcnow


def acknowledge(store: SqlMetricStore, incident_id: int, *, by: str | None = None) -> None:
    """Mark an open incident acknowledged: it stays open but sends no more updates."""
    status = mark_acknowledged(store, incident_id, by=by or "unknown",
                               now=to_naive_utc(utcnow()))
    if status is None:
        raise InputError(f"no incident with id {incident_id}; list them with "
                         f"`dq-monitor incidents list`")
    if status == "resolved":
        raise InputError(f"incident {incident_id} is already resolved")


def mute_incident(store: SqlMetricStore, incident_id: int, *, until: dt.datetime) -> None:
    """Silence one incident until a time."""
    if not set_incident_mute(store, incident_id, until=to_naive_utc(until),
                             now=to_naive_utc(utcnow())):
        raise InputError(f"no incident with id {incident_id}")


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
