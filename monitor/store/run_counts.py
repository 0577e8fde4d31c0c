"""How many runs the store holds: in all, and per table and status over a window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from monitor.store.schema import runs
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import to_naive_utc


@dataclass(frozen=True)
class RunCount:
    """How many runs of one table ended (or are) in one status, and their retries."""

    table: str
    status: str
    runs: int
    retries: int


def recorded_run_count(store: SqlMetricStore) -> int | None:
    """How many runs are recorded; None if the store has no tables yet."""
    with store.connect() as conn:
        if not sa.inspect(conn).has_table(runs.name):
            return None
        return int(conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar() or 0)


def run_counts_since(store: SqlMetricStore, since: dt.datetime, *,
                     kind: str = "profile") -> list[RunCount]:
    """Runs of one kind started since a time, counted per table and status."""
    r = runs
    query = (sa.select(r.c.table_name, r.c.status, sa.func.count(),
                       sa.func.coalesce(sa.func.sum(r.c.retries), 0))
             .where(r.c.kind == kind, r.c.started_at >= to_naive_utc(since))
             .group_by(r.c.table_name, r.c.status)
             .order_by(r.c.table_name, r.c.status))
    with store.connect() as conn:
        return [RunCount(table, status, int(count), int(retries))
                for table, status, count, retries in conn.execute(query)]


def last_success_times(store: SqlMetricStore, *, kind: str = "profile") -> dict[str, dt.datetime]:
    """When each table's newest successful run of one kind finished (naive UTC)."""
    r = runs
    query = (sa.select(r.c.table_name, sa.func.max(r.c.finished_at))
             .where(r.c.kind == kind, r.c.status == "success", r.c.finished_at.is_not(None))
             .group_by(r.c.table_name))
    with store.connect() as conn:
        return {table: finished for table, finished in conn.execute(query)}
