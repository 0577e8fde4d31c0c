"""Profile a warehouse table in as few scans as possible.

>>> import datetime as dt
>>> as_of = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)  # the sample's rows end the day before
>>> profile = profile_table(warehouse, config.table("orders"), as_of=as_of)
>>> profile.row_count, round(profile.columns["amount"].metrics["mean"], 2)
(79991, 43.94)

Scans per profile: one aggregate statement for every metric of every column
(on PostgreSQL, exact distinct counts are a branch apart in that statement,
see ``Capabilities.distinct_apart``). Exceptions, each for a reason:
- PostgreSQL has no approximate distinct aggregate; its planner statistics
  (``pg_stats.n_distinct``, kept by ANALYZE/autovacuum) are read instead, a
  catalog lookup that costs no scan. See docs/profiling.md for their error.
- Bucketed history is one grouped SELECT for all buckets in the range.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from monitor.config.models import DistinctMode, TableConfig
from monitor.errors import ConfigError, ObjectNotFound
from monitor.lake import partition_filter
from monitor.metrics.definitions import (
    INTERNAL_METRICS,
    METRIC_ORDER,
    DistinctMethod,
    Metric,
    column_metrics,
    parse_db_time,
)
from monitor.metrics.distribution import add_distributions, quantile_metrics
from monitor.metrics.scan import Needs, Scan, compile_scan
from monitor.metrics.segments import SegmentPlan, SegmentProfile, read_only, read_segments
from monitor.metrics.states import State
from monitor.timeutil import Granularity, as_utc, bucket_width, floor_time, iso, utcnow
from monitor.warehouse import SqlWarehouse, TableShape

log = logging.getLogger(__name__)
_JUST_AFTER = dt.timedelta(milliseconds=1)
#: Up to this many buckets, a range is profiled with one plain aggregate per bucket.
SMALL_RANGE = 4


@dataclass(frozen=True)
class ColumnProfile:
    """Metrics of one column."""

    name: str
    type_name: str
    kind: str
    metrics: dict[str, Any]
    distinct_method: DistinctMethod = "off"

    def to_dict(self) -> dict[str, Any]:
        out = {k: _jsonable(v) for k, v in sorted(self.metrics.items(), key=_order)
               if k not in INTERNAL_METRICS}
        out["type"] = self.type_name
        if "distinct_count" in self.metrics:
            out["distinct_method"] = self.distinct_method
        return out


@dataclass(frozen=True)
class Profile:
    """A table-level profile at one point in time."""

    table: str
    warehouse: str
    qualified_name: str
    as_of: dt.datetime
    row_count: int
    columns: dict[str, ColumnProfile]
    freshness_seconds: float | None = None
    latest_timestamp: dt.datetime | None = None
    timestamp_column: str | None = None
    duration_seconds: float = 0.0
    scans: int = 1
    #: Values of the states asked for beside the metrics (``needs``), read from the
    #: same scan: what a pushed-down suite judges its expectations from.
    shared: Mapping[State, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape printed by ``dq-monitor profile --format json``."""
        out: dict[str, Any] = {
            "table": self.table,
            "as_of": iso(self.as_of),
            "row_count": self.row_count,
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
        }
        if self.timestamp_column is not None:
            out["freshness_seconds"] = self.freshness_seconds
            out["latest_timestamp"] = iso(self.latest_timestamp)
        out["warehouse"] = self.warehouse
        out["object"] = self.qualified_name
        out["duration_seconds"] = round(self.duration_seconds, 4)
        return out


@dataclass(frozen=True)
class BucketProfile:
    """Metrics of the rows whose timestamp falls in one hour or day."""

    start: dt.datetime
    granularity: Granularity
    row_count: int
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    latest_timestamp: dt.datetime | None = None
    latest_loaded_at: dt.datetime | None = None
    #: The bucket per segment (``monitor.metrics.segments``), from the same scan.
    segments: tuple[SegmentProfile, ...] = ()

    @property
    def end(self) -> dt.datetime:
        return self.start + bucket_width(self.granularity)

    @property
    def arrival_delay_seconds(self) -> float | None:
        """How long after the bucket closed its data was (last) loaded."""
        if self.latest_loaded_at is None:
            return None
        return (self.latest_loaded_at - self.end).total_seconds()


def _order(item: tuple[str, Any]) -> int:
    return METRIC_ORDER.index(item[0]) if item[0] in METRIC_ORDER else len(METRIC_ORDER)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def describe_table(warehouse: SqlWarehouse, table: TableConfig) -> TableShape:
    """Reflect the configured table and check the configured time columns."""
    shape = warehouse.describe_table(table)
    for key in ("timestamp_column", "loaded_at_column"):
        name = getattr(table, key)
        if not name:
            continue
        info = shape.column(name)
        text_ok = warehouse.capabilities.timestamps_are_text and info.kind == "string"
        if not info.is_temporal and not text_ok:
            raise ConfigError(
                f"table {table.name!r}: {key} {name!r} has type {info.type_name}; "
                f"expected a date or timestamp column"
            )
    for i, name in enumerate(table.distribution_columns):
        try:
            shape.column(name)
        except ObjectNotFound as error:
            raise ObjectNotFound(f"table {table.name!r}: distribution_columns[{i}]: {error}"
                                 ) from None
    return shape


def _kinds(shape: TableShape, table: TableConfig) -> dict[str, str]:
    kinds = {c.name: c.kind for c in shape.columns}
    for name in (table.timestamp_column, table.loaded_at_column):
        if name and kinds.get(name) == "string":
            kinds[name] = "timestamp"  # ISO text in SQLite
    return kinds


def _catalog_distinct(warehouse: SqlWarehouse, shape: TableShape) -> dict[str, float]:
    """PostgreSQL planner statistics: column -> n_distinct (negative: fraction of rows)."""
    stats = sa.table("pg_stats", sa.column("schemaname"), sa.column("tablename"),
                     sa.column("attname"), sa.column("n_distinct"))
    schema = (sa.literal(shape.schema) if shape.schema
              else sa.func.current_schema())
    query = sa.select(stats.c.attname, stats.c.n_distinct).where(
        stats.c.schemaname == schema, stats.c.tablename == shape.name)
    with warehouse.connect() as conn:
        rows = warehouse.execute(conn, query, what=f"pg_stats of {shape.qualified}").all()
    return {row[0]: float(row[1]) for row in rows if row[1] is not None}


def resolve_distinct(mode: DistinctMode, warehouse: SqlWarehouse, *,
                     filtered: bool) -> DistinctMethod:
    """How distinct counts are computed for a scan on this warehouse."""
    if mode == "off":
        return "off"
    if mode == "exact":
        return "exact"
    kind = warehouse.capabilities.approx_distinct
    if kind == "native":
        return "approx"
    if kind == "planner_statistics" and not filtered:
        return "catalog"
    return "exact"


def profile_table(warehouse: SqlWarehouse, table: TableConfig, *,
                  as_of: dt.datetime | None = None, distinct: DistinctMode = "auto",
                  shape: TableShape | None = None, filter_rows: bool = True,
                  needs: Needs | None = None) -> Profile:
    """Profile a whole table in one aggregate scan.

    ``needs``: further states the same scan computes (``Profile.shared``), say a
    suite's pushed-down expectations; they must be about every row, so rows are
    not filtered then.

    With ``as_of`` and a timestamp column, only rows stamped at or before
    ``as_of`` (and those without one) are profiled (the table as it was then);
    ``filter_rows=False``
    profiles every row and only stamps the profile (and measures freshness) at
    ``as_of``, as a scheduled run of the table now does.
    """
    started = time.perf_counter()
    shape = shape or describe_table(warehouse, table)
    caps = warehouse.capabilities
    kinds = _kinds(shape, table)
    filtered = filter_rows and as_of is not None and table.timestamp_column is not None
    assert not (needs and filtered), "states for others are about every row: do not filter"
    method = resolve_distinct(distinct, warehouse, filtered=filtered)
    catalog: dict[str, float] = {}
    if method == "catalog":
        catalog = _catalog_distinct(warehouse, shape)
    metrics: list[Metric] = [Metric("row_count", None)]
    methods: dict[str, DistinctMethod] = {}
    for col in shape.columns:
        col_method: DistinctMethod = method
        if method == "catalog" and col.name not in catalog:
            col_method = "exact"  # never analysed: count it exactly
        methods[col.name] = col_method
        metrics += column_metrics(col.name, kinds[col.name], distinct=col_method, caps=caps)
    metrics += quantile_metrics(table, kinds, caps)
    ts_name = table.timestamp_column
    if ts_name and not any(m.column == ts_name and m.name == "max" for m in metrics):
        metrics.append(Metric("max", ts_name, "timestamp"))
    where = None
    if filtered:
        assert as_of is not None
        assert ts_name is not None
        # Rows without a timestamp are in the table at every time: counted, as runs do.
        where = sa.or_(shape.table.c[ts_name].is_(None),
                       caps.timestamp(shape.table.c[ts_name]) <= caps.bind_timestamp(as_utc(as_of)))
        if table.loaded_at_column:
            # Rows loaded after as_of were not in the table yet.
            loaded = shape.table.c[table.loaded_at_column]
            where = sa.and_(where, sa.or_(loaded.is_(None),
                                          caps.before(loaded, as_utc(as_of) + _JUST_AFTER)))
    scan = compile_scan(shape.table, kinds, metrics, caps, where=where, needs=needs)
    with warehouse.connect() as conn:
        row = warehouse.execute(conn, scan.statement,
                                what=f"profile of {table.name!r} ({shape.qualified})"
                                ).mappings().one()
    values = scan.read(row)
    row_count = int(values[(None, "row_count")])
    columns: dict[str, ColumnProfile] = {}
    for col in shape.columns:
        col_values = {name: value for (column, name), value in values.items()
                      if column == col.name}
        if methods[col.name] == "catalog":
            n_distinct = catalog[col.name]
            non_null = row_count - int(col_values.get("null_count") or 0)
            estimate = n_distinct if n_distinct >= 0 else -n_distinct * non_null
            col_values["distinct_count"] = round(min(estimate, non_null))
        columns[col.name] = ColumnProfile(name=col.name, type_name=col.type_name,
                                          kind=kinds[col.name], metrics=col_values,
                                          distinct_method=methods[col.name])
    add_distributions(warehouse, table, shape, kinds,
                      {None: (row_count, {c.name: c.metrics for c in columns.values()})},
                      where=where)
    as_of_time = as_utc(as_of) if as_of is not None else utcnow()
    latest = freshness = None
    if ts_name:
        latest = parse_db_time(values.get((ts_name, "max")))
        if latest is not None:
            freshness = (as_of_time - latest).total_seconds()
    return Profile(table=table.name, warehouse=warehouse.name, qualified_name=shape.qualified,
                   as_of=as_of_time, row_count=row_count, columns=columns,
                   freshness_seconds=freshness, latest_timestamp=latest,
                   timestamp_column=ts_name, duration_seconds=time.perf_counter() - started,
                   shared=_shared(scan, row, needs))


def _shared(scan: Scan, row: sa.RowMapping, needs: Needs | None) -> dict[State, Any]:
    states = scan.states(row)
    return {state: states[state] for state in (needs.states if needs else ())}


def _loaded_by(shape: TableShape, table: TableConfig, warehouse: SqlWarehouse,
               at: dt.datetime | None) -> sa.ColumnElement[bool] | None:
    """Rows already loaded at ``at`` (None: no ``loaded_at_column``, every row is)."""
    if at is None or not table.loaded_at_column:
        return None
    loaded = shape.table.c[table.loaded_at_column]
    return sa.or_(loaded.is_(None),
                  warehouse.capabilities.before(loaded, as_utc(at) + _JUST_AFTER))


@dataclass(frozen=True)
class TableRows:
    """A bucketed table's own totals: every row, those without a timestamp, the newest."""

    rows: int
    null_timestamps: int
    latest_timestamp: dt.datetime | None


def count_null_timestamps(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape, *,
                          visible_at: dt.datetime | None = None) -> int:
    """Rows whose ``timestamp_column`` is NULL: they fall in no bucket.

    One count over ``ts IS NULL``, which an index on the timestamp column answers
    without reading the table (PostgreSQL indexes NULLs too).
    """
    assert table.timestamp_column
    ts = shape.table.c[table.timestamp_column]
    where = ts.is_(None)
    loaded = _loaded_by(shape, table, warehouse, visible_at)
    if loaded is not None:
        where = sa.and_(where, loaded)
    query = sa.select(sa.func.count()).select_from(shape.table).where(where)
    with warehouse.connect() as conn:
        return int(warehouse.execute(conn, query, what=f"rows without {ts.name!r} in "
                                     f"{shape.qualified}").scalar() or 0)


def null_timestamps_state(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape, *,
                          visible_at: dt.datetime | None = None) -> Needs:
    """The count of ``count_null_timestamps`` as a state of a table-level scan, for when
    a scan of every row happens anyway (a suite's): it then costs no statement."""
    assert table.timestamp_column
    ts = shape.table.c[table.timestamp_column]
    condition = ts.is_(None)
    loaded = _loaded_by(shape, table, warehouse, visible_at)
    if loaded is not None:
        condition = sa.and_(condition, loaded)
    state = State("count_where", table.timestamp_column, key="null_timestamps")
    return Needs((state,), {state: sa.func.count(sa.case((condition, sa.literal_column("1"))))})


def scan_states(warehouse: SqlWarehouse, shape: TableShape, table: TableConfig,
                needs: Needs) -> dict[State, Any]:
    """The states of ``needs`` over every row of the table, in one aggregate scan."""
    scan = compile_scan(shape.table, _kinds(shape, table), [], warehouse.capabilities,
                        needs=needs)
    with warehouse.connect() as conn:
        row = warehouse.execute(conn, scan.statement,
                                what=f"table-level states of {table.name!r} "
                                     f"({shape.qualified})").mappings().one()
    return scan.states(row)


def count_table_rows(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape, *,
                     visible_at: dt.datetime | None = None,
                     before: dt.datetime | None = None) -> TableRows:
    """Every row of a bucketed table stamped before ``before`` (and those without a
    timestamp), in one aggregate scan: for when no stored history adds the buckets up."""
    assert table.timestamp_column
    ts = shape.table.c[table.timestamp_column]
    caps = warehouse.capabilities
    query = sa.select(sa.func.count(), sa.func.count() - sa.func.count(ts),
                      sa.func.max(caps.timestamp(ts))).select_from(shape.table)
    conditions = []
    if before is not None:
        conditions.append(sa.or_(ts.is_(None), caps.before(ts, as_utc(before))))
    loaded = _loaded_by(shape, table, warehouse, visible_at)
    if loaded is not None:
        conditions.append(loaded)
    if conditions:
        query = query.where(sa.and_(*conditions))
    with warehouse.connect() as conn:
        rows, nulls, latest = warehouse.execute(conn, query,
                                                what=f"rows of {shape.qualified}").one()
    return TableRows(int(rows or 0), int(nulls or 0), parse_db_time(latest))


def profile_buckets(warehouse: SqlWarehouse, table: TableConfig, *,
                    start: dt.datetime | None = None, end: dt.datetime | None = None,
                    distinct: DistinctMode = "auto", distinct_columns: Sequence[str] | None = None,
                    shape: TableShape | None = None,
                    visible_at: dt.datetime | None = None,
                    segments: SegmentPlan | None = None) -> list[BucketProfile]:
    """Per-bucket metrics for rows stamped in ``[start, end)``: one grouped scan, or one
    plain aggregate per bucket when the range covers at most ``SMALL_RANGE`` buckets.

    With a ``loaded_at_column``, rows loaded after ``visible_at`` (default: ``end``)
    are left out: they were not in the table yet at that time. A run passes its
    as-of time; a backfill passes the time it runs, so late loads count.

    Distinct counts per bucket cost a sort per column on engines without an
    approximate aggregate, so they are computed only for ``distinct_columns``
    (default: the table's ``distribution_columns``).

    ``segments``: the same scan also groups by segment (``BucketProfile.segments``).
    """
    if not table.timestamp_column or not table.bucket:
        raise ConfigError(f"table {table.name!r}: bucketed profiling needs "
                          f"'timestamp_column' and 'bucket' in the config")
    shape = shape or describe_table(warehouse, table)
    caps = warehouse.capabilities
    kinds = _kinds(shape, table)
    method = resolve_distinct(distinct, warehouse, filtered=True)
    wanted = set(table.distribution_columns if distinct_columns is None else distinct_columns)
    metrics: list[Metric] = [Metric("row_count", None)]
    for col in shape.columns:
        metrics += column_metrics(col.name, kinds[col.name],
                                  distinct=method if col.name in wanted else "off", caps=caps)
    metrics += quantile_metrics(table, kinds, caps)
    ts = shape.table.c[table.timestamp_column]
    # Rows loaded after ``visible_at`` were not in the table yet: a late load is late.
    loaded = _loaded_by(shape, table, warehouse, visible_at if visible_at is not None else end)
    visible = [] if loaded is None else [loaded]
    visible += partition_filter(table, shape, start)  # hive partitions: read recent files only
    extra = {"_dq_latest": sa.func.max(caps.timestamp(ts))}
    if table.loaded_at_column:
        extra["_dq_loaded"] = sa.func.max(caps.timestamp(shape.table.c[table.loaded_at_column]))
    what = f"bucketed profile of {table.name!r} ({shape.qualified})"
    width = bucket_width(table.bucket)
    segmented = {"needs": Needs(segments.states()), "segment": segments.case(),
                 "segment_states": segments.states()} if segments else {}
    if start is not None and end is not None and (
            as_utc(end) - floor_time(as_utc(start), table.bucket)) <= SMALL_RANGE * width:
        # A few buckets (an incremental run): one plain aggregate per bucket. A grouped
        # query would make PostgreSQL guess one group per row (it has no statistics on
        # date_trunc(...)) and sort every row, spilling to disk; a plain aggregate over
        # an index range does not sort at all.
        out = []
        cursor = floor_time(as_utc(start), table.bucket)
        while cursor < as_utc(end):
            stop = min(cursor + width, as_utc(end))
            where = sa.and_(caps.at_or_after(ts, max(cursor, as_utc(start))),
                            caps.before(ts, stop), *visible)
            scan = compile_scan(shape.table, kinds, metrics, caps, where=where, extra=extra,
                                **segmented)  # type: ignore[arg-type]
            with warehouse.connect() as conn, read_only(conn, segments, caps):
                rows = warehouse.execute(conn, scan.statement, what=what).mappings().all()
            out += _profiles(scan, rows, table.bucket, segments, start=cursor)
            cursor += width
        span = sa.and_(caps.at_or_after(ts, as_utc(start)), caps.before(ts, as_utc(end)),
                       *visible)
        return _with_distributions(warehouse, table, shape, kinds, out, span)
    conditions = list(visible)
    if start is not None:
        conditions.append(caps.at_or_after(ts, as_utc(start)))
    if end is not None:
        conditions.append(caps.before(ts, as_utc(end)))
    scan = compile_scan(shape.table, kinds, metrics, caps,
                        where=sa.and_(*conditions) if conditions else None,
                        bucket=(table.timestamp_column, table.bucket), extra=extra,
                        **segmented)  # type: ignore[arg-type]
    with warehouse.connect() as conn, read_only(conn, segments, caps):
        rows = warehouse.execute(conn, scan.statement, what=what).mappings().all()
    return _with_distributions(warehouse, table, shape, kinds,
                               _profiles(scan, rows, table.bucket, segments),
                               sa.and_(*conditions) if conditions else None)


def _profiles(scan: Scan, rows: Sequence[sa.RowMapping], granularity: Granularity,
              segments: SegmentPlan | None, *, start: dt.datetime | None = None
              ) -> list[BucketProfile]:
    """Bucket profiles from a scan's rows (a total row per bucket, and with segments a
    row per bucket and segment); ``start``: an ungrouped scan of that bucket."""
    totals: dict[dt.datetime, sa.RowMapping] = {}
    parts: dict[dt.datetime, list[SegmentProfile]] = {}
    for row in rows:
        bucket_start = start if start is not None else parse_db_time(row["_dq_bucket"])
        if bucket_start is None:
            continue
        if scan.segmented and row["_dq_segment"] is not None:
            assert segments is not None
            parts.setdefault(bucket_start, []).append(
                read_segments(segments, scan.states(row), int(row["_dq_segment"])))
        elif start is None or row[scan.labels[State("rows")]]:
            totals[bucket_start] = row
    out = []
    for bucket_start, row in sorted(totals.items()):
        profile = _bucket_profile(scan, row, bucket_start, granularity)
        out.append(replace(profile, segments=tuple(parts.get(bucket_start, ()))))
    return out


def _with_distributions(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape,
                        kinds: dict[str, str], buckets: list[BucketProfile],
                        where: sa.ColumnElement[bool] | None) -> list[BucketProfile]:
    """The buckets with their distribution columns' quantiles and top-value shares."""
    assert table.timestamp_column
    assert table.bucket
    add_distributions(warehouse, table, shape, kinds,
                      {b.start: (b.row_count, b.columns) for b in buckets}, where=where,
                      bucket=(table.timestamp_column, table.bucket))
    return buckets


def _bucket_profile(scan: Scan, row: sa.RowMapping, start: dt.datetime,
                    granularity: Granularity) -> BucketProfile:
    values = scan.read(row)
    columns: dict[str, dict[str, Any]] = {}
    for (column, name), value in values.items():
        if column is not None:
            columns.setdefault(column, {})[name] = value
    return BucketProfile(start=start, granularity=granularity,
                         row_count=int(values[(None, "row_count")]), columns=columns,
                         latest_timestamp=parse_db_time(row["_dq_latest"]),
                         latest_loaded_at=parse_db_time(row.get("_dq_loaded")))


def with_empty_buckets(buckets: Sequence[BucketProfile], *, granularity: Granularity,
                       start: dt.datetime | None, end: dt.datetime) -> list[BucketProfile]:
    """The buckets with the empty ones in between added (row_count 0).

    A grouped scan has no row for an hour or day without data, yet "no rows
    today" is exactly what volume monitoring must see. Empty buckets are filled
    from ``start`` (or the first bucket found) up to the last one ending by ``end``.
    """
    width = bucket_width(granularity)
    found = {b.start: b for b in buckets}
    first = floor_time(start, granularity) if start is not None else (
        min(found) if found else None)
    if first is None:
        return list(buckets)
    out = []
    cursor = first
    while cursor + width <= as_utc(end) or cursor in found:
        out.append(found.get(cursor) or BucketProfile(start=cursor, granularity=granularity,
                                                      row_count=0))
        cursor += width
    out += [b for b in buckets if b.start < first]
    return sorted(out, key=lambda b: b.start)


def bucket_range(buckets: Sequence[BucketProfile]) -> str:
    """``2026-01-01 .. 2026-01-31 (31 days)`` for log lines."""
    if not buckets:
        return "no buckets"
    unit = "hours" if buckets[0].granularity == "hour" else "days"
    first, last = buckets[0].start, buckets[-1].start
    return f"{first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M} ({len(buckets)} {unit})"
