"""Stored distributions: quantiles and top-value shares of columns, per bucket or run.

They are ordinary rows of ``dq_metrics`` (metric ``p1`` .. ``p99`` and
``share:<value>``, see ``monitor.metrics.distribution``), so a store written before
them needs no migration: it simply has none yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa

from monitor.metrics.distribution import SHARE_PREFIX
from monitor.metrics.states import QUANTILES
from monitor.store.schema import metrics
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import to_naive_utc

#: Per column, per time: the metrics of that point (quantiles, shares, null rate).
Points = dict[str, dict[dt.datetime, dict[str, float | None]]]
#: Metrics read beside the distributions: rows behind each point.
_CONTEXT = ("null_rate", "finite_count")


def distribution_history(store: SqlMetricStore, table: str, columns: Sequence[str],
                         granularity: str, *, since: dt.datetime | None = None,
                         snapshots: int = 100) -> tuple[Points, dict[dt.datetime, float]]:
    """(column -> time -> metrics, time -> rows) of the given columns; buckets from
    ``since``, or the newest ``snapshots`` runs of a table judged per run."""
    m = metrics
    wanted = sa.or_(m.c.metric.in_([*QUANTILES, *_CONTEXT]),
                    m.c.metric.startswith(SHARE_PREFIX, autoescape=True))
    where = [m.c.table_name == table, m.c.granularity == granularity]
    out: Points = {c: {} for c in columns}
    rows: dict[dt.datetime, float] = {}
    with store.connect() as conn:
        if since is not None:
            where.append(m.c.ts >= to_naive_utc(since))
        elif granularity == "snapshot":
            cutoff = conn.execute(
                sa.select(m.c.ts).where(*where, m.c.metric == "row_count",
                                        m.c.column_name == "")
                .order_by(m.c.ts.desc()).offset(snapshots - 1).limit(1)).scalar()
            if cutoff is not None:
                where.append(m.c.ts >= cutoff)
        query = sa.select(m.c.column_name, m.c.ts, m.c.metric, m.c.value).where(
            *where, m.c.column_name.in_(list(columns)), wanted)
        for column, ts, metric, value in conn.execute(query):
            out[column].setdefault(ts, {})[metric] = value
        for ts, value in conn.execute(sa.select(m.c.ts, m.c.value).where(
                *where, m.c.metric == "row_count", m.c.column_name == "")):
            if value is not None:
                rows[ts] = float(value)
    return out, rows
