"""Segments in a run: which segments the scan measures, and one finding per check.

Which segments: the ``max_segments`` biggest by volume, from the stored volumes of
the last ``VOLUME_BUCKETS`` buckets plus a cheap query (one GROUP BY of the segment
columns over the buckets being profiled). The cheap query is skipped when the store
knows the segments and nothing fell into "other" lately: every value is a segment
already. A segment known from the history stays when it has no rows now (that is
the missing load), so the set only changes as volumes do.

Judging: every segment's series is judged on its own, like the table's
(``monitor.run.detect.judge``); the findings of one check over all segments make
one finding (``segments:volume``, ``segments:null_rate:<column>``,
``segments:mean:<column>``), so one incident names every segment that is off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from monitor.config.models import TableConfig
from monitor.detection import DetectorSettings, MetricKind
from monitor.detection.segments import SegmentVerdict, segments_reason
from monitor.detection.severity import SeveritySettings
from monitor.detection.watch import Watch, settings_of
from monitor.detection.wording import UNIT_FOR_KIND
from monitor.errors import StoreUnavailable
from monitor.metrics.points import MetricPoint
from monitor.metrics.segments import (
    Label,
    SegmentPlan,
    choose,
    measured_columns,
    parse_series_column,
    plain,
    read_only,
    segment_parts,
    top_query,
)
from monitor.run.context import MonitorContext
from monitor.run.detect import judge
from monitor.run.findings import SEVERITY_ORDER, Finding
from monitor.store import SqlMetricStore
from monitor.store.detections import DetectionRow
from monitor.store.segments import stored_volumes
from monitor.timeutil import as_utc, bucket_width
from monitor.warehouse import SqlWarehouse, TableShape

#: Buckets of stored volumes that rank the segments.
VOLUME_BUCKETS = 28
#: Defaults of segment series where the table's ``detection:`` sets none for the kind:
#: 50 segments are 50 chances of a false alarm a day, so each band is one sigma wider;
#: a segment's volume must move by half (a missing or doubled load moves by all of it).
SEGMENT_DEFAULTS: dict[MetricKind, dict[str, float]] = {
    MetricKind.VOLUME: {"sensitivity": 5.0, "min_relative_change": 0.5},
    MetricKind.NULL_RATE: {"sensitivity": 5.0},
    MetricKind.DISTRIBUTION: {"sensitivity": 5.0},
}
#: A segment's mean is judged once its buckets hold this many rows: the mean of a
#: few dozen rows of a skewed column (amounts) swings by a third from day to day.
MEAN_MIN_ROWS = 1000


def plan_segments(ctx: MonitorContext, table: TableConfig, warehouse: SqlWarehouse,
                  shape: TableShape, *, start: dt.datetime | None, end: dt.datetime
                  ) -> SegmentPlan | None:
    """The segments this run's scan measures (None: the table has none)."""
    if not table.segments:
        return None
    assert table.bucket
    assert table.timestamp_column
    parts = segment_parts(table, shape)
    names = tuple(p.name for p in parts)
    kinds = {c.name: c.kind for c in shape.columns}
    columns, numeric = measured_columns(table, shape, kinds)
    since = as_utc(end) - VOLUME_BUCKETS * bucket_width(table.bucket)
    try:
        stored = stored_volumes(ctx.store, table.name, table.bucket, names, since=since)
    except StoreUnavailable:
        stored = {}
    found: list[tuple[Label, float]] = []
    if not stored or stored.get(None, 0.0) > 0:
        found = count_segments(warehouse, table, shape, SegmentPlan(parts, ()), start=start,
                               end=end, limit=table.max_segments)
    known = {label: rows for label, rows in stored.items() if label is not None}
    return SegmentPlan(parts, choose(known, found, table.max_segments), columns, numeric)


def count_segments(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape,
                   plan: SegmentPlan, *, start: dt.datetime | None, end: dt.datetime,
                   limit: int) -> list[tuple[Label, float]]:
    """The ``limit`` biggest segments stamped in ``[start, end)``, with their rows."""
    assert table.timestamp_column
    caps = warehouse.capabilities
    ts = shape.table.c[table.timestamp_column]
    conditions = [caps.before(ts, as_utc(end))]
    if start is not None:
        conditions.append(caps.at_or_after(ts, as_utc(start)))
    query = top_query(shape.table, plan.parts, sa.and_(*conditions), limit)
    with warehouse.connect() as conn, read_only(conn, plan, caps):
        rows = warehouse.execute(conn, query, what=f"segments of {table.name!r} "
                                 f"({shape.qualified})").all()
    return [(tuple(plain(v) for v in row[:-1]), float(row[-1])) for row in rows]


def segment_watches(table: TableConfig, points: Sequence[MetricPoint]) -> list[Watch]:
    """A watch per segment series among the run's new points: volume and null rates
    always, means of ``distribution_columns`` in segments of ``MEAN_MIN_ROWS`` rows."""
    out: dict[tuple[str, str, str], Watch] = {}
    rows: dict[tuple[Any, ...], float] = {}
    for point in points:
        parsed = parse_series_column(point.column)
        if parsed is not None and point.metric == "row_count":
            key = parsed[:2]
            rows[key] = min(rows.get(key, float("inf")), point.value or 0.0)
    for point in points:
        parsed = parse_series_column(point.column)
        if parsed is None or point.granularity != table.bucket:
            continue
        column = parsed[2]
        if point.metric == "row_count":
            kind, label = MetricKind.VOLUME, "rows"
        elif point.metric == "null_rate":
            kind, label = MetricKind.NULL_RATE, f"null rate of {column}"
        elif (point.metric == "mean" and column in table.distribution_columns
              and rows.get(parsed[:2], 0.0) >= MEAN_MIN_ROWS):
            kind, label = MetricKind.DISTRIBUTION, f"mean of {column}"
        else:
            continue
        watch = Watch(table.name, point.metric, point.column, point.granularity, kind,
                      segment_settings(table, kind, column), None, label)
        out.setdefault(watch.key, watch)
    return list(out.values())


def segment_settings(table: TableConfig, kind: MetricKind, column: str = ""
                     ) -> DetectorSettings:
    """The table's settings for the kind, widened by ``SEGMENT_DEFAULTS`` unless the
    table's ``detection:`` names the kind itself."""
    settings = settings_of(table, kind, column)
    if any(entry.kind is kind for entry in table.detection.entries):
        return settings
    return settings.model_copy(update=SEGMENT_DEFAULTS.get(kind, {}))


def check_of(watch: Watch) -> str:
    """``segments:volume``, ``segments:null_rate:email``, ``segments:mean:amount``."""
    parsed = parse_series_column(watch.column)
    column = parsed[2] if parsed else ""
    return "segments:volume" if watch.metric == "row_count" else (
        f"segments:{watch.metric}:{column}")


def combine(table: TableConfig, watches: Sequence[Watch], findings: Sequence[Finding]
            ) -> list[Finding]:
    """One finding per check over every segment, naming the segments that are off."""
    by_column = {w.column: w for w in watches}
    groups: dict[str, list[tuple[Watch, Finding]]] = {}
    for found in findings:
        watch = by_column.get(found.column or "")
        if watch is not None and watch.metric == found.metric:
            groups.setdefault(check_of(watch), []).append((watch, found))
    names = tuple(p if isinstance(p, str) else p.name for p in table.segments)
    noun = names[0] if len(names) == 1 else "segment"
    out = []
    for check, pairs in sorted(groups.items()):
        pairs.sort(key=lambda p: (not p[1].failing, -(p[1].score or 0.0)))
        verdicts = []
        for watch, found in pairs:
            parsed = parse_series_column(watch.column)
            verdicts.append(SegmentVerdict(parsed[1] if parsed else None, found.failing,
                                           _number(found.observed), found.expected))
        first_watch, first = pairs[0]
        failing = [f for _, f in pairs if f.failing]
        severity = min((f.severity for f in failing), key=SEVERITY_ORDER.__getitem__,
                       default="info")
        unit = UNIT_FOR_KIND[first_watch.kind]
        parsed = parse_series_column(first_watch.column)
        column = parsed[2] if parsed else ""
        out.append(Finding(
            table=table.name, check=check, kind="anomaly", severity=severity,
            failing=bool(failing), at=max(f.at for _, f in pairs),
            reason=segments_reason(table.name, noun, verdicts, first_watch.label, unit),
            metric=first_watch.metric, column=column or None,
            observed=first.observed, expected=first.expected, lower=first.lower,
            upper=first.upper, score=first.score,
            since=min((f.since for f in failing if f.since), default=None)))
    return out


def _number(value: float | str | None) -> float | None:
    return value if isinstance(value, float | int) else None


def judge_segments(store: SqlMetricStore, table: TableConfig, points: Sequence[MetricPoint],
                   *, as_of: dt.datetime, severity: Sequence[SeveritySettings | None] = ()
                   ) -> tuple[list[DetectionRow], list[Finding]]:
    """Detection rows of every segment series, and one finding per check."""
    watches = segment_watches(table, points)
    if not watches:
        return [], []
    judged = judge(store, table.name, watches, as_of=as_of, pending=points,
                   severity=severity)
    return judged.rows, combine(table, watches, judged.findings)
