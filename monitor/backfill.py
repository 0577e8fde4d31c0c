"""Backfill: compute bucketed history for past buckets, then judge all of it.

A table that already has data needs no cold start: one grouped scan per chunk
of the range computes every past bucket, and the detectors judge the whole
history walk-forward (each point only on the points before it).

>>> # dq-monitor backfill orders --since 2026-01-01
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitor.anomalies import judge, severity_layers
from monitor.config import TableConfig
from monitor.context import MonitorContext
from monitor.errors import ConfigError, MonitorError
from monitor.points import MetricPoint, points_from_buckets
from monitor.profiling import (
    BucketProfile,
    describe_table,
    profile_buckets,
    with_empty_buckets,
)
from monitor.store import run_key
from monitor.store.detections import replace_detections
from monitor.timeutil import as_utc, bucket_width, floor_time
from monitor.warehouse import TableShape
from monitor.watch import watches_for

#: Buckets per grouped scan: keeps each query's time bounded and the progress visible.
CHUNK_BUCKETS = {"day": 31, "hour": 24 * 7}


@dataclass(frozen=True)
class BackfillResult:
    """What a backfill stored."""

    table: str
    run_id: str
    buckets: int
    points: int
    detections: int
    anomalies: int
    seconds: float


def _profile_range(ctx: MonitorContext, table: TableConfig, shape: TableShape,
                   start: dt.datetime, end: dt.datetime,
                   progress: Callable[[int, int], None] | None
                   ) -> tuple[list[BucketProfile], list[MetricPoint]]:
    assert table.bucket
    width = bucket_width(table.bucket)
    warehouse = ctx.warehouse_for(table)
    total = int((end - start) / width)
    chunk = CHUNK_BUCKETS[table.bucket]
    buckets: list[BucketProfile] = []
    points: list[MetricPoint] = []
    done = 0
    cursor = start
    while cursor < end:
        stop = min(end, cursor + chunk * width)
        found = with_empty_buckets(
            profile_buckets(warehouse, table, start=cursor, end=stop,
                            distinct=ctx.config.distinct_for(table), shape=shape),
            granularity=table.bucket, start=cursor, end=stop)
        buckets += found
        points += points_from_buckets(table.name, found)
        done += int((stop - cursor) / width)
        cursor = stop
        if progress:
            progress(done, total)
    return buckets, points


def backfill(ctx: MonitorContext, table: TableConfig, *, since: dt.datetime,
             until: dt.datetime | None = None,
             progress: Callable[[int, int], None] | None = None) -> BackfillResult:
    """Profile every complete bucket in ``[since, until)`` and judge the history.

    ``progress(done, total)`` is called after each chunk of buckets.
    """
    if not table.bucket or not table.timestamp_column:
        raise ConfigError(f"table {table.name!r}: backfill needs 'timestamp_column' and "
                          f"'bucket' in the config")
    started = time.perf_counter()
    start = floor_time(as_utc(since), table.bucket)
    end = floor_time(as_utc(until or ctx.now()), table.bucket)
    if end <= start:
        raise ConfigError(f"backfill of {table.name!r}: --since {start:%Y-%m-%d %H:%M} is not "
                          f"before the last complete bucket ({end:%Y-%m-%d %H:%M})")
    warehouse = ctx.warehouse_for(table)
    shape = describe_table(warehouse, table)
    run_id = run_key(table.name, end, kind="backfill")
    ctx.store.start_run(run_id, table.name, kind="backfill", as_of=end)
    try:
        buckets, points = _profile_range(ctx, table, shape, start, end, progress)
        with ctx.store.transaction() as conn:
            ctx.store.replace_points(conn, run_id, points)
        watches = watches_for(table, [c.name for c in shape.columns])
        judged = judge(ctx.store, table.name,
                       [w for w in watches if w.granularity == table.bucket],
                       as_of=end, judge_all=True, since=start,
                       severity=severity_layers(ctx, table))
    except MonitorError as error:
        with ctx.store.transaction() as conn:
            ctx.store.finish_run(conn, run_id, status="failed", error=str(error),
                                 error_kind=type(error).__name__,
                                 duration_seconds=time.perf_counter() - started)
        raise
    with ctx.store.transaction() as conn:
        replace_detections(conn, run_id, judged.rows)
        ctx.store.finish_run(conn, run_id, status="success",
                             row_count=sum(b.row_count for b in buckets),
                             duration_seconds=time.perf_counter() - started)
    return BackfillResult(table=table.name, run_id=run_id, buckets=len(buckets),
                          points=len(points), detections=len(judged.rows),
                          anomalies=sum(r.is_anomaly for r in judged.rows),
                          seconds=time.perf_counter() - started)
