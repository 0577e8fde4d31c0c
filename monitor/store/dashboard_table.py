"""What the table page reads about one table, as pandas DataFrames.

>>> from monitor.store import SqlMetricStore
>>> import datetime as dt
>>> store = SqlMetricStore("sqlite:///:memory:")
>>> store.ensure_schema()
>>> band("orders", store=store, since=dt.datetime(2026, 1, 1)).empty
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa

from monitor.metrics.definitions import METRIC_ORDER
from monitor.store import SqlMetricStore
from monitor.store.dashboard import SNAPSHOT, frame
from monitor.store.schema import (
    batches,
    detections,
    expectation_results,
    feedback,
    gate_verdicts,
    metrics,
    schemas,
)
from monitor.store.segments import is_segment
from monitor.timeutil import to_naive_utc

#: Finer buckets first: a bucketed table's column metrics live in its buckets.
GRANULARITY_PREFERENCE = ("day", "hour", SNAPSHOT)


def band(table: str, *, store: SqlMetricStore, since: dt.datetime) -> pd.DataFrame:
    """Every detection of the table since a time: value, expected, band, anomaly flag,
    state, reason, and the label people gave the point (``expected`` / ``incident``)."""
    d, f = detections, feedback
    key = sa.and_(*(f.c[n] == d.c[n] for n in
                    ("table_name", "metric", "column_name", "granularity", "ts")))
    query = sa.select(
        d.c.metric, d.c.column_name, d.c.granularity, d.c.ts, d.c.value, d.c.expected,
        d.c.lower, d.c.upper, d.c.score, d.c.is_anomaly, d.c.state, d.c.severity, d.c.reason,
        f.c.label,
    ).select_from(d.outerjoin(f, key)).where(
        d.c.table_name == table, d.c.ts >= to_naive_utc(since),
        ~is_segment(d.c.column_name)).order_by(  # segments: monitor.dashboard.segments
        d.c.metric, d.c.column_name, d.c.granularity, d.c.ts)
    out = frame(store, query)
    out["is_anomaly"] = out["is_anomaly"].astype(bool)
    return out


def series_names(band_frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The watched series (metric, column, granularity): table metrics first, then by
    metric order and column."""
    order = {name: i for i, name in enumerate(METRIC_ORDER)}
    found = band_frame[["metric", "column_name", "granularity"]].drop_duplicates()
    keys = [tuple(row) for row in found.itertuples(index=False)]
    return sorted(keys, key=lambda k: (k[1] != "", order.get(k[0], len(order)), k[1], k[2]))


def points(table: str, *, store: SqlMetricStore, since: dt.datetime,
           metric_names: Sequence[str] = ("row_count", "freshness_seconds"),
           granularity: str = SNAPSHOT) -> pd.DataFrame:
    """Plain stored values of table-level metrics (for tables no detector watches)."""
    m = metrics
    query = sa.select(m.c.metric, m.c.ts, m.c.value).where(
        m.c.table_name == table, m.c.column_name == "", m.c.granularity == granularity,
        m.c.metric.in_(list(metric_names)), m.c.ts >= to_naive_utc(since)).order_by(
        m.c.metric, m.c.ts)
    return frame(store, query)


def completeness(table: str, *, store: SqlMetricStore, since: dt.datetime) -> pd.DataFrame:
    """Share of non-null values per column over time (1 - null_rate), from the finest
    granularity the table has."""
    m = metrics
    query = sa.select(m.c.column_name, m.c.granularity, m.c.ts, m.c.value).where(
        m.c.table_name == table, m.c.metric == "null_rate", m.c.column_name != "",
        ~is_segment(m.c.column_name), m.c.ts >= to_naive_utc(since)
    ).order_by(m.c.ts, m.c.column_name)
    out = frame(store, query)
    if not out.empty:
        present = set(out["granularity"])
        chosen = next(g for g in GRANULARITY_PREFERENCE if g in present)
        out = out[out["granularity"] == chosen].reset_index(drop=True)
    out["completeness"] = 1.0 - out["value"]
    return out


def schema_history(table: str, *, store: SqlMetricStore, since: dt.datetime) -> pd.DataFrame:
    """Column lists snapshotted since a time, plus the last one before it (the baseline)."""
    sc = schemas
    before = sa.select(sa.func.max(sc.c.ts)).where(
        sc.c.table_name == table, sc.c.ts < to_naive_utc(since)).scalar_subquery()
    query = sa.select(sc.c.ts, sc.c.column_name, sc.c.data_type, sc.c.ordinal).where(
        sc.c.table_name == table,
        sa.or_(sc.c.ts >= to_naive_utc(since), sc.c.ts == before)).order_by(
        sc.c.ts, sc.c.ordinal)
    return frame(store, query)


def schema_changes(history: pd.DataFrame) -> pd.DataFrame:
    """Differences between consecutive snapshots: columns added, removed, retyped."""
    rows = []
    previous: dict[str, str] | None = None
    for ts, group in history.groupby("ts", sort=True):
        current = dict(zip(group["column_name"], group["data_type"], strict=True))
        if previous is not None:
            for name in current.keys() - previous.keys():
                rows.append((ts, "added", name, None, current[name]))
            for name in previous.keys() - current.keys():
                rows.append((ts, "removed", name, previous[name], None))
            for name in current.keys() & previous.keys():
                if current[name] != previous[name]:
                    rows.append((ts, "type changed", name, previous[name], current[name]))
        previous = current
    out = pd.DataFrame(rows, columns=["ts", "change", "column", "old_type", "new_type"])
    return out.sort_values(["ts", "column"], ascending=[False, True]).reset_index(drop=True)


def latest_profile(table: str, *, store: SqlMetricStore) -> pd.DataFrame:
    """The newest stored value of every metric: one row per (granularity, column) with
    one column per metric, snapshot first then the newest bucket."""
    m = metrics
    newest = sa.select(m.c.granularity, sa.func.max(m.c.ts).label("ts")).where(
        m.c.table_name == table).group_by(m.c.granularity).subquery("newest")
    query = sa.select(m.c.granularity, m.c.ts, m.c.column_name, m.c.metric, m.c.value).join(
        newest, sa.and_(m.c.granularity == newest.c.granularity, m.c.ts == newest.c.ts)
    ).where(m.c.table_name == table, ~is_segment(m.c.column_name))
    long = frame(store, query)
    if long.empty:
        return pd.DataFrame(columns=["granularity", "ts", "column"])
    wide = long.pivot_table(index=["granularity", "ts", "column_name"], columns="metric",
                            values="value", aggfunc="last").reset_index()
    wide.columns.name = None
    order = {name: i for i, name in enumerate(METRIC_ORDER)}
    metric_columns = sorted((c for c in wide.columns
                             if c not in ("granularity", "ts", "column_name")),
                            key=lambda c: (order.get(c, len(order)), c))
    wide = wide[["granularity", "ts", "column_name", *metric_columns]].rename(
        columns={"column_name": "column"})
    wide["column"] = wide["column"].replace("", "(table)")
    wide["_g"] = wide["granularity"].map(lambda g: g != SNAPSHOT)
    return wide.sort_values(["_g", "column"]).drop(columns="_g").reset_index(drop=True)


def expectation_history(table: str, *, store: SqlMetricStore, since: dt.datetime
                        ) -> pd.DataFrame:
    """Every expectation result since a time, with a readable label per expectation."""
    e = expectation_results
    query = sa.select(
        e.c.ts, e.c.suite, e.c.expectation_key, e.c.expectation_type, e.c.column_name,
        e.c.severity, e.c.success, e.c.observed_value, e.c.unexpected_count,
        e.c.unexpected_percent, e.c.error,
    ).where(e.c.table_name == table, e.c.ts >= to_naive_utc(since)).order_by(
        e.c.ts, e.c.suite, e.c.expectation_type)
    out = frame(store, query)
    out["success"] = out["success"].astype(bool)
    short = out["expectation_type"].str.removeprefix("expect_")
    column = out["column_name"].fillna("")
    out["expectation"] = out["suite"] + ": " + short + column.map(lambda c: f" ({c})" if c
                                                                   else "")
    out["result"] = out["success"].map({True: "pass", False: "fail"})
    out.loc[out["error"].notna(), "result"] = "error"
    return out


def gate_history(table: str, *, store: SqlMetricStore, since: dt.datetime) -> pd.DataFrame:
    """Gate verdicts since a time, newest first."""
    g = gate_verdicts
    query = sa.select(g.c.ts, g.c.verdict, g.c.batch_id, g.c.reason, g.c.verdict_id).where(
        g.c.table_name == table, g.c.ts >= to_naive_utc(since)).order_by(g.c.ts.desc())
    return frame(store, query)


def batch_history(table: str, *, store: SqlMetricStore, since: dt.datetime) -> pd.DataFrame:
    """Ingested batches since a time, newest first (quarantined rows included)."""
    b = batches
    query = sa.select(
        b.c.started_at, b.c.batch_id, b.c.source_file, b.c.status, b.c.rows_in,
        b.c.rows_published, b.c.rows_quarantined, b.c.error,
    ).where(b.c.table_name == table, b.c.started_at >= to_naive_utc(since)).order_by(
        b.c.started_at.desc())
    return frame(store, query)
