"""The profiling step of a run: measure the table and queue its metric points.

Bucketed tables are profiled incrementally: only buckets at or after the
watermark (the end of the newest stored bucket) minus a lookback for late
rows are scanned, so the cost of a run follows the new data. Only complete
buckets are stored; the open bucket still feeds row count and freshness.
"""

from __future__ import annotations

import datetime as dt
import logging

from monitor.context import MonitorContext
from monitor.points import SNAPSHOT, MetricPoint, points_from_buckets, points_from_profile
from monitor.profiling import (
    BucketProfile,
    Profile,
    bucket_range,
    describe_table,
    profile_buckets,
    profile_table,
    with_empty_buckets,
)
from monitor.run_state import RunState
from monitor.timeutil import as_utc, bucket_width, to_naive_utc

log = logging.getLogger(__name__)


def incremental_start(ctx: MonitorContext, state: RunState) -> dt.datetime | None:
    """First bucket start to scan: the watermark minus the lookback (None: everything)."""
    table = state.table
    assert table.bucket
    newest = ctx.store.latest_bucket(table.name, table.bucket)
    if newest is None:
        return None
    width = bucket_width(table.bucket)
    watermark = as_utc(newest) + width
    return watermark - ctx.config.lookback_for(table) * width


def _bucket_snapshot(ctx: MonitorContext, state: RunState, start: dt.datetime | None,
                     scanned: list[BucketProfile]) -> list[MetricPoint]:
    """Table-level row count and freshness derived from buckets, without another scan."""
    table = state.table
    assert table.bucket
    stored = 0.0
    if start is not None:
        stored = ctx.store.aggregate(table.name, "row_count", table.bucket, "sum",
                                     before=start) or 0.0
    total = stored + sum(b.row_count for b in scanned)
    ts = to_naive_utc(state.as_of)
    points = [MetricPoint(table.name, "", "row_count", SNAPSHOT, ts, float(total))]
    latest = max((b.latest_timestamp for b in scanned if b.latest_timestamp), default=None)
    if latest is None:
        stored_latest = ctx.store.aggregate(table.name, "latest_timestamp", table.bucket, "max")
        latest = (dt.datetime.fromtimestamp(stored_latest, dt.UTC)
                  if stored_latest is not None else None)
    if latest is not None:
        points.append(MetricPoint(table.name, "", "freshness_seconds", SNAPSHOT, ts,
                                  (state.as_of - latest).total_seconds()))
    state.row_count = int(total)
    return points


def collect_metrics(ctx: MonitorContext, state: RunState) -> None:
    """Profile the table (incrementally when bucketed) and queue the points."""
    table = state.table
    warehouse = ctx.warehouse_for(table)
    distinct = ctx.config.distinct_for(table)
    shape = describe_table(warehouse, table)
    state.shape = shape
    columns = [(c.name, c.type_name) for c in shape.columns]
    state.write(lambda conn: ctx.store.replace_schema(conn, state.run_id, table.name,
                                                      state.as_of, columns))
    if table.bucket:
        start = incremental_start(ctx, state)
        scanned = with_empty_buckets(
            profile_buckets(warehouse, table, start=start, end=state.as_of, distinct=distinct,
                            shape=shape),
            granularity=table.bucket, start=start, end=state.as_of)
        complete = [b for b in scanned if b.end <= state.as_of]
        state.buckets = complete
        state.points += points_from_buckets(table.name, complete)
        state.points += _bucket_snapshot(ctx, state, start, scanned)
        log.debug("table %s: scanned %s from %s", table.name, bucket_range(scanned),
                  start.isoformat() if start else "the beginning")
        return
    profile: Profile = profile_table(warehouse, table, distinct=distinct, shape=shape,
                                     as_of=state.as_of, filter_rows=state.explicit_as_of)
    state.profile = profile
    state.row_count = profile.row_count
    state.points += points_from_profile(profile)

