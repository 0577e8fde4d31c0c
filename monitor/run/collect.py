"""The profiling step of a run: measure the table and queue its metric points.

Bucketed tables are profiled incrementally: only buckets at or after the
watermark (the end of the newest stored bucket) minus a lookback for late
rows are scanned, so the cost of a run follows the new data. Only complete
buckets are stored; the open bucket still feeds row count and freshness.

Rows whose timestamp is NULL fall in no bucket: they are counted into the
table's row count and reported as a completeness finding (``rule:null_timestamps``).

The states of the suite's pushed-down expectations ride in the same scan
(``plan_suites``), so validating adds no scan: for a table without buckets the
profile's SELECT computes them; for a bucketed table one aggregate over every
row carries them and the count of rows without a timestamp, which then costs
no statement of its own. An expectation whose SQL fails (a bad regex) fails
that scan: the profile is then measured alone and the suite scans for itself.

When the metric store does not answer, the run still measures: it profiles the
last ``OUTAGE_BUCKETS`` buckets (at least the lookback) and counts the table's
rows in the warehouse, and its points go to the spool like any other run's.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from monitor.config.models import TableConfig
from monitor.errors import QueryFailed, StoreUnavailable
from monitor.metrics.definitions import parse_db_time
from monitor.metrics.points import (
    SNAPSHOT,
    MetricPoint,
    points_from_buckets,
    points_from_profile,
    points_from_segments,
)
from monitor.metrics.profile import (
    BucketProfile,
    Profile,
    bucket_range,
    count_null_timestamps,
    count_table_rows,
    describe_table,
    null_timestamps_state,
    profile_buckets,
    profile_table,
    scan_states,
    with_empty_buckets,
)
from monitor.metrics.scan import Needs
from monitor.run.context import MonitorContext
from monitor.run.custom import collect_custom_metrics
from monitor.run.findings import Finding
from monitor.run.metadata import collect_metadata
from monitor.run.segments import plan_segments
from monitor.run.state import RunState
from monitor.run.validate import plan_suites
from monitor.timeutil import as_utc, bucket_width, floor_time, to_naive_utc
from monitor.warehouse import SqlWarehouse, TableShape

log = logging.getLogger(__name__)

#: Buckets profiled when the store cannot tell the watermark: enough to bridge a
#: weekend without runs, so the history the spool replays has no hole.
OUTAGE_BUCKETS = {"hour": 48, "day": 14}


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


def outage_start(ctx: MonitorContext, state: RunState) -> dt.datetime:
    """First bucket start to scan when the store is down: a safe lookback from as-of."""
    table = state.table
    assert table.bucket
    buckets = max(ctx.config.lookback_for(table), OUTAGE_BUCKETS[table.bucket])
    return floor_time(state.as_of, table.bucket) - buckets * bucket_width(table.bucket)


def fill_from(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape,
              start: dt.datetime) -> dt.datetime | None:
    """Where empty buckets are filled from when profiling from ``start``: ``start``
    itself once the table has rows stamped before it, else None (the first bucket
    found), so no empty buckets are invented before the table's first row.

    Runs without stored history and backfills share this rule.
    """
    assert table.timestamp_column
    ts = shape.table.c[table.timestamp_column]
    caps = warehouse.capabilities
    query = sa.select(sa.func.min(caps.timestamp(ts))).select_from(shape.table)
    with warehouse.connect() as conn:
        first = parse_db_time(warehouse.execute(
            conn, query, what=f"first {ts.name!r} in {shape.qualified}").scalar())
    if first is None or as_utc(first) >= as_utc(start):
        return None
    return start


def null_timestamp_finding(table: TableConfig, nulls: int, rows: int,
                           at: dt.datetime) -> Finding:
    """Rows without a timestamp are invisible to every per-bucket metric: a warning,
    unless ``columns.<timestamp_column>.max_null_rate`` allows their share.

    >>> t = TableConfig(name="orders", warehouse="w", table="orders", timestamp_column="ts",
    ...                 bucket="day")
    >>> null_timestamp_finding(t, 25, 1000, dt.datetime(2026, 1, 2)).reason
    "25 of 1,000 rows (2.5%) have no 'ts': they fall in no day and per-day metrics miss them"
    """
    column = table.timestamp_column
    assert column
    setting = table.columns.get(column)
    limit = setting.max_null_rate if setting and setting.max_null_rate is not None else 0.0
    rate = nulls / rows if rows else 0.0
    failing = nulls > 0 and rate > limit
    if not nulls:
        reason = f"every row has a {column!r}"
    elif failing:
        reason = (f"{nulls:,} of {rows:,} rows ({rate:.1%}) have no {column!r}: they fall in "
                  f"no {table.bucket} and per-{table.bucket} metrics miss them")
    else:
        reason = (f"{nulls:,} of {rows:,} rows ({rate:.1%}) have no {column!r}, within "
                  f"max_null_rate {limit:.1%}")
    return Finding(table=table.name, check="rule:null_timestamps", kind="rule",
                   severity="warning" if failing else "info", failing=failing,
                   at=to_naive_utc(at), reason=reason, metric="null_count", column=column,
                   observed=float(nulls), upper=limit)


def _totals(ctx: MonitorContext, state: RunState, warehouse: SqlWarehouse, shape: TableShape,
            start: dt.datetime | None, scanned: list[BucketProfile], needs: Needs
            ) -> tuple[int, dt.datetime | None, int]:
    """(rows, newest timestamp, rows without a timestamp) of the table as of the run."""
    table = state.table
    assert table.bucket
    latest = max((b.latest_timestamp for b in scanned if b.latest_timestamp), default=None)
    try:
        stored = 0.0
        if start is not None:
            stored = ctx.store.aggregate(table.name, "row_count", table.bucket, "sum",
                                         before=start) or 0.0
        if latest is None:
            stored_latest = ctx.store.aggregate(table.name, "latest_timestamp", table.bucket,
                                                "max")
            latest = (dt.datetime.fromtimestamp(stored_latest, dt.UTC)
                      if stored_latest is not None else None)
    except StoreUnavailable:
        # No stored buckets to add up: count the table itself, once.
        counted = count_table_rows(warehouse, table, shape, visible_at=state.as_of,
                                   before=state.as_of)
        newest = max((t for t in (latest, counted.latest_timestamp) if t), default=None)
        return counted.rows, newest, counted.null_timestamps
    nulls = _null_timestamps(state, warehouse, shape, needs)
    return int(stored) + sum(b.row_count for b in scanned) + nulls, latest, nulls


def _null_timestamps(state: RunState, warehouse: SqlWarehouse, shape: TableShape,
                     needs: Needs) -> int:
    """Rows without a timestamp: a count of their own, or one state of the table-level
    scan the suite needs anyway (whose states the validate step then reads)."""
    table = state.table
    if needs:
        nulls = null_timestamps_state(warehouse, table, shape, visible_at=state.as_of)
        try:
            values = scan_states(warehouse, shape, table, needs + nulls)
        except QueryFailed as error:
            log.info("table %s: the suite's states failed (%s); the suite scans alone",
                     table.name, error)
        else:
            state.scanned = values
            return int(values[nulls.states[0]] or 0)
    return count_null_timestamps(warehouse, table, shape, visible_at=state.as_of)


def _collect_buckets(ctx: MonitorContext, state: RunState, warehouse: SqlWarehouse,
                     shape: TableShape, needs: Needs) -> None:
    table = state.table
    assert table.bucket
    try:
        start = filled = incremental_start(ctx, state)
    except StoreUnavailable as error:
        start = outage_start(ctx, state)
        filled = fill_from(warehouse, table, shape, start)
        state.problems.append(f"measured without the metric store ({error}): profiled the "
                              f"{table.bucket}s from {start:%Y-%m-%d %H:%M} on")
    segments = plan_segments(ctx, table, warehouse, shape, start=start, end=state.as_of)
    # Without the store, the table may begin inside the window: empty buckets are
    # filled from its first bucket, never before it.
    scanned = with_empty_buckets(
        profile_buckets(warehouse, table, start=start, end=state.as_of,
                        distinct=ctx.config.distinct_for(table), shape=shape,
                        segments=segments),
        granularity=table.bucket, start=filled, end=state.as_of)
    complete = [b for b in scanned if b.end <= state.as_of]
    rows, latest, nulls = _totals(ctx, state, warehouse, shape, start, scanned, needs)
    ts = to_naive_utc(state.as_of)
    column = table.timestamp_column or ""
    state.buckets = complete
    state.points += points_from_buckets(table.name, complete)
    if segments is not None:
        state.points += points_from_segments(table.name, complete, segments.names,
                                             segments.labels)
    state.points += [MetricPoint(table.name, "", "row_count", SNAPSHOT, ts, float(rows)),
                     MetricPoint(table.name, column, "null_count", SNAPSHOT, ts, float(nulls)),
                     MetricPoint(table.name, column, "null_rate", SNAPSHOT, ts,
                                 nulls / rows if rows else 0.0)]
    if latest is not None:
        state.points.append(MetricPoint(table.name, "", "freshness_seconds", SNAPSHOT, ts,
                                        (state.as_of - latest).total_seconds()))
    state.row_count = rows
    state.found.append(null_timestamp_finding(table, nulls, rows, state.as_of))
    log.debug("table %s: scanned %s from %s", table.name, bucket_range(scanned),
              start.isoformat() if start else "the beginning")


def collect_metrics(ctx: MonitorContext, state: RunState) -> None:
    """Profile the table (incrementally when bucketed) and queue the points."""
    table = state.table
    if table.metadata:
        collect_metadata(ctx, state)  # one catalog query, no scan
        if table.metadata == "only":
            return
    warehouse = ctx.warehouse_for(table)
    distinct = ctx.config.distinct_for(table)
    shape = describe_table(warehouse, table)
    state.shape = shape
    columns = [(c.name, c.type_name) for c in shape.columns]
    state.write(lambda conn: ctx.store.replace_schema(conn, state.run_id, table.name,
                                                      state.as_of, columns))
    state.scanned = {}
    needs = plan_suites(ctx, state, warehouse, shape)
    if table.bucket:
        _collect_buckets(ctx, state, warehouse, shape, needs)
        collect_custom_metrics(ctx, state)  # custom SQL metrics, after the profile
        return
    filtered = state.explicit_as_of and table.timestamp_column is not None
    profile: Profile | None = None
    if needs and not filtered:  # the suite judges every row: only an unfiltered scan serves it
        try:
            profile = profile_table(warehouse, table, distinct=distinct, shape=shape,
                                    as_of=state.as_of, filter_rows=False, needs=needs)
        except QueryFailed as error:
            log.info("table %s: the suite's states failed (%s); the suite scans alone",
                     table.name, error)
        else:
            state.scanned = dict(profile.shared)
    if profile is None:
        profile = profile_table(warehouse, table, distinct=distinct, shape=shape,
                                as_of=state.as_of, filter_rows=state.explicit_as_of)
    state.profile = profile
    state.row_count = profile.row_count
    state.points += points_from_profile(profile)
    collect_custom_metrics(ctx, state)
