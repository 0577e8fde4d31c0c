"""What people do to incidents: acknowledge them and mute tables.

The CLI and the dashboard both act through these functions (the dashboard's
only writes besides feedback labels).

>>> acknowledge(store, incident_id=3, by="ana")  # doctest: +SKIP
>>> mute_table(store, "orders", until=now + dt.timedelta(hours=4),  # doctest: +SKIP
...            reason="backfill running")
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from monitor.errors import InputError
from monitor.store import SqlMetricStore
from monitor.store.schema import incidents, mutes
from monitor.timeutil import to_naive_utc, utcnow


@dataclass(frozen=True)
class Mute:
    """A table whose alerts stay quiet until a time."""

    table: str
    until: dt.datetime
    reason: str | None = None
    created_by: str | None = None


def acknowledge(store: SqlMetricStore, incident_id: int, *, by: str | None = None) -> None:
    """Mark an open incident acknowledged: it stays open but sends no more updates."""
    now = to_naive_utc(utcnow())
    with store.transaction() as conn:
        status = conn.execute(sa.select(incidents.c.status).where(
            incidents.c.incident_id == incident_id)).scalar()
        if status is None:
            raise InputError(f"no incident with id {incident_id}; list them with "
                             f"`dq-monitor incidents list`")
        if status == "resolved":
            raise InputError(f"incident {incident_id} is already resolved")
        conn.execute(incidents.update().where(incidents.c.incident_id == incident_id).values(
            status="acknowledged", acknowledged_by=by or "unknown", updated_at=now))


def mute_incident(store: SqlMetricStore, incident_id: int, *, until: dt.datetime) -> None:
    """Silence one incident until a time."""
    with store.transaction() as conn:
        updated = conn.execute(incidents.update().where(
            incidents.c.incident_id == incident_id).values(
            muted_until=to_naive_utc(until), updated_at=to_naive_utc(utcnow()))).rowcount
    if not updated:
        raise InputError(f"no incident with id {incident_id}")


def mute_table(store: SqlMetricStore, table: str, *, until: dt.datetime,
               reason: str | None = None, by: str | None = None) -> Mute:
    """Silence every alert of a table until a time (replaces an earlier mute)."""
    if to_naive_utc(until) <= to_naive_utc(utcnow()):
        raise InputError(f"a mute must end in the future, got {until.isoformat()}")
    with store.transaction() as conn:
        conn.execute(mutes.delete().where(mutes.c.table_name == table))
        conn.execute(mutes.insert().values(table_name=table, muted_until=to_naive_utc(until),
                                           reason=reason, created_by=by,
                                           created_at=to_naive_utc(utcnow())))
    return Mute(table, to_naive_utc(until), reason, by)


def unmute_table(store: SqlMetricStore, table: str) -> bool:
    """Lift a table's mute; True if there was one."""
    with store.transaction() as conn:
        return bool(conn.execute(mutes.delete().where(mutes.c.table_name == table)).rowcount)


def muted_until(store: SqlMetricStore, table: str, *, now: dt.datetime | None = None
                ) -> dt.datetime | None:
    """When the table's mute ends, or None if it is not muted now."""
    with store.connect() as conn:
        until = conn.execute(sa.select(mutes.c.muted_until).where(
            mutes.c.table_name == table)).scalar()
    if until is None or until <= to_naive_utc(now or utcnow()):
        return None
    return until
