"""Reading stored column lists (``dq_schemas``) as of a time.

Snapshots are written by ``SqlMetricStore.replace_schema`` with each profile
and the newest are read by ``SqlMetricStore.schema_snapshots``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from monitor.store.schema import schemas
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import to_naive_utc

Columns = list[tuple[str, str]]  # (name, type) in table order


def schema_at(store: SqlMetricStore, table: str, at: dt.datetime
              ) -> tuple[dt.datetime, Columns] | None:
    """The newest snapshot of a table's columns taken at or before ``at``, or None."""
    s = schemas
    with store.connect() as conn:
        ts = conn.execute(sa.select(sa.func.max(s.c.ts)).where(
            s.c.table_name == table, s.c.ts <= to_naive_utc(at))).scalar()
        if ts is None:
            return None
        rows = conn.execute(sa.select(s.c.column_name, s.c.data_type).where(
            s.c.table_name == table, s.c.ts == ts).order_by(s.c.ordinal)).all()
    return ts, [(r[0], r[1]) for r in rows]
