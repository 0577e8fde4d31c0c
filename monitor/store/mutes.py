"""Muted tables (``dq_mutes``): a table's alerts stay quiet until a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import mutes
from monitor.store.sql_store import SqlMetricStore


@dataclass(frozen=True)
class Mute:
    """A table whose alerts stay quiet until a time."""

    table: str
    until: dt.datetime
    reason: str | None = None
    created_by: str | None = None


def stored_mute_end(conn: Connection, table: str) -> dt.datetime | None:
    """When the table's stored mute ends (naive UTC; maybe in the past), None if none."""
    return conn.execute(sa.select(mutes.c.muted_until).where(
        mutes.c.table_name == table)).scalar()


def replace_mute(store: SqlMetricStore, mute: Mute, *, now: dt.datetime) -> None:
    """Store a table's mute in place of an earlier one."""
    with store.transaction() as conn:
        conn.execute(mutes.delete().where(mutes.c.table_name == mute.table))
        conn.execute(mutes.insert().values(table_name=mute.table, muted_until=mute.until,
                                           reason=mute.reason, created_by=mute.created_by,
                                           created_at=now))


def delete_mute(store: SqlMetricStore, table: str) -> bool:
    """Remove a table's mute; True if there was one."""
    with store.transaction() as conn:
        return bool(conn.execute(mutes.delete().where(mutes.c.table_name == table)).rowcount)


def active_mutes(conn: Connection, now: dt.datetime) -> list[Mute]:
    """The mutes that end after ``now`` (naive UTC), by table name."""
    rows = conn.execute(sa.select(mutes).where(mutes.c.muted_until > now)
                        .order_by(mutes.c.table_name)).mappings()
    return [Mute(r["table_name"], r["muted_until"], r["reason"], r["created_by"]) for r in rows]
