"""Backfill: compute bucketed history for past buckets, then judge all of it.

A table that already has data needs no cold start: one grouped scan per chunk
of the range computes every past bucket, and the detectors judge the whole
history walk-forward (each point only on the points before it).

As of when: a backfill measures the past as the table holds it *now*, when the
backfill runs. Every row stamped in a bucket counts, however late it was loaded
(``loaded_at_column`` only yields each bucket's arrival delay), so a backfill
never stores fewer rows for a bucket than a scheduled run saw. ``--until``
bounds which buckets are computed, not which rows are visible; it cannot lie
in the future, and only complete buckets are computed.

>>> # dq-monitor backfill orders --since 2026-01-01
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from monitor.config.models import TableConfig
from monitor.detection.watch import training_span, watches_for
from monitor.errors import ConfigError
from monitor.metrics.points import MetricPoint, points_from_buckets, points_from_segments
from monitor.metrics.profile import (
    BucketProfile,
    describe_table,
    profile_buckets,
    with_empty_buckets,
)
from monitor.run.collect import fill_from
from monitor.run.context import MonitorContext
from monitor.run.detect import judge, severity_layers
from monitor.run.record import recorded_run
from monitor.run.segments import plan_segments, segment_watches
from monitor.store import run_key
from monitor.store.detections import replace_detections
from monitor.timeutil import as_utc, bucket_width, floor_time, not_in_future
from monitor.warehouse import TableShape

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
                   start: dt.datetime, end: dt.datetime, observed: dt.datetime,
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
    # Before the table's first row there is no data to miss: no empty buckets there.
    filled = fill_from(warehouse, table, shape, start)
    segments = plan_segments(ctx, table, warehouse, shape, start=start, end=end)
    while cursor < end:
        stop = min(end, cursor + chunk * width)
        found = with_empty_buckets(
            profile_buckets(warehouse, table, start=cursor, end=stop,
                            distinct=ctx.config.distinct_for(table), shape=shape,
                            visible_at=observed, segments=segments),
            granularity=table.bucket, start=filled, end=stop)
        if found or filled is not None:
            filled = stop  # the table has begun: later chunks fill from their start
        buckets += found
        points += points_from_buckets(table.name, found)
        if segments is not None:
            points += points_from_segments(table.name, found, segments.names, segments.labels)
        done += int((stop - cursor) / width)
        cursor = stop
        if progress:
            progress(done, total)
    return buckets, points


def backfill(ctx: MonitorContext, table: TableConfig, *, since: dt.datetime,
             until: dt.datetime | None = None,
             progress: Callable[[int, int], None] | None = None) -> BackfillResult:
    """Profile every complete bucket in ``[since, until)`` and judge the history.

    Rows count as the table holds them now (see the module docstring).
    ``progress(done, total)`` is called after each chunk of buckets.
    """
    if not table.bucket or not table.timestamp_column:
        raise ConfigError(f"table {table.name!r}: backfill needs 'timestamp_column' and "
                          f"'bucket' in the config")
    started = time.perf_counter()
    observed = as_utc(ctx.now())
    if until is not None:
        not_in_future(until, observed, what=f"backfill of {table.name!r}: --until")
    start = floor_time(as_utc(since), table.bucket)
    end = floor_time(min(as_utc(until or observed), observed), table.bucket)
    if end <= start:
        last = end - bucket_width(table.bucket)
        why = (f"--until {as_utc(until):%Y-%m-%d %H:%M} is exclusive" if until is not None
               else f"the {table.bucket} from {end:%Y-%m-%d %H:%M} is still filling")
        raise ConfigError(f"backfill of {table.name!r}: no complete {table.bucket} from --since "
                          f"{start:%Y-%m-%d %H:%M} on: the last complete {table.bucket} starts "
                          f"{last:%Y-%m-%d %H:%M} ({why})")
    warehouse = ctx.warehouse_for(table)
    shape = describe_table(warehouse, table)
    run_id = run_key(table.name, end, kind="backfill")
    with recorded_run(ctx.store, run_id, table.name, kind="backfill", as_of=end) as run:
        buckets, points = _profile_range(ctx, table, shape, start, end, observed, progress)
        with ctx.store.transaction() as conn:
            ctx.store.replace_points(conn, run_id, points)
        watches = [w for w in watches_for(table, [c.name for c in shape.columns])
                   if w.granularity == table.bucket] + segment_watches(table, points)
        # The detectors train on the history before ``start`` too (a short backfill
        # must not judge its first points as "learning"); only ours get new verdicts.
        judged = judge(ctx.store, table.name, watches, as_of=end, judge_all=True,
                       since=start - training_span(watches),
                       severity=severity_layers(ctx, table))
        rows = [r for r in judged.rows if as_utc(r.ts) >= start]
        run.commit(lambda conn: replace_detections(conn, run_id, rows), status="success",
                   row_count=sum(b.row_count for b in buckets))
    return BackfillResult(table=table.name, run_id=run_id, buckets=len(buckets),
                          points=len(points), detections=len(rows),
                          anomalies=sum(r.is_anomaly for r in rows),
                          seconds=time.perf_counter() - started)
