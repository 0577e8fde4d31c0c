"""What the dashboard's pages read of the store that no other reader needs.

The pages (``monitor.dashboard``) turn these frames into what a person reads;
only this module names the store's tables for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from monitor.store.dashboard import frame
from monitor.store.schema import expectation_results, metrics, runs
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import to_naive_utc

#: Bucket granularities whose stored row counts are rows per bucket.
BUCKETS = ("day", "hour")


def bucket_counts(store: SqlMetricStore, since: dt.datetime,
                  tables: Sequence[str] | None = None) -> pd.DataFrame:
    """Stored row counts of day and hour buckets since a time (one query)."""
    m = metrics
    query = sa.select(m.c.table_name, m.c.ts, m.c.value).where(
        m.c.metric == "row_count", m.c.column_name == "", m.c.granularity.in_(BUCKETS),
        m.c.ts >= to_naive_utc(since))
    if tables is not None:
        query = query.where(m.c.table_name.in_(list(tables)))
    return frame(store, query.order_by(m.c.table_name, m.c.ts))


def latest_long(table: str, *, store: SqlMetricStore) -> pd.DataFrame:
    """The newest stored value (and its text, for times) of every metric, per granularity."""
    m = metrics
    newest = sa.select(m.c.granularity, sa.func.max(m.c.ts).label("ts")).where(
        m.c.table_name == table).group_by(m.c.granularity).subquery("newest")
    query = sa.select(m.c.granularity, m.c.ts, m.c.column_name, m.c.metric, m.c.value,
                      m.c.value_text).join(
        newest, sa.and_(m.c.granularity == newest.c.granularity, m.c.ts == newest.c.ts)
    ).where(m.c.table_name == table)
    return frame(store, query)


def expectation_rows(table: str, *, store: SqlMetricStore, since: dt.datetime
                     ) -> pd.DataFrame:
    """Stored expectation results of a table since a time, oldest first, each with the
    kind of run that produced it (``run_kind``; missing for results of no run)."""
    e, r = expectation_results, runs
    query = sa.select(
        e.c.ts, e.c.suite, e.c.expectation_key, e.c.expectation_type, e.c.column_name,
        e.c.severity, e.c.success, e.c.observed_value, e.c.unexpected_count,
        e.c.unexpected_percent, e.c.error, e.c.run_id, r.c.kind.label("run_kind"),
    ).select_from(e.outerjoin(r, r.c.run_id == e.c.run_id)).where(
        e.c.table_name == table, e.c.ts >= to_naive_utc(since)).order_by(
        e.c.ts, e.c.suite, e.c.expectation_type)
    return frame(store, query)
