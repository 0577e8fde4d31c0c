"""Metric points: the rows of the metric history, made from profiles.

>>> import datetime as dt
>>> p = MetricPoint("orders", "", "row_count", "snapshot", dt.datetime(2026, 1, 1), 12.0)
>>> p.series
('orders', '', 'row_count', 'snapshot')
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.metrics.profile import BucketProfile, Profile
from monitor.metrics.segments import Label, series_column
from monitor.timeutil import as_utc, to_naive_utc

SNAPSHOT = "snapshot"
#: Length of ``dq_metrics.column_name``.
MAX_KEY = 300


@dataclass(frozen=True)
class MetricPoint:
    """One value of one metric of one table or column at one time."""

    table: str
    column: str  # '' for table-level metrics
    metric: str
    granularity: str  # snapshot | hour | day
    ts: dt.datetime  # naive UTC: the as-of time or the bucket start
    value: float | None
    value_text: str | None = None

    @property
    def series(self) -> tuple[str, str, str, str]:
        return (self.table, self.column, self.metric, self.granularity)


def _numeric(value: Any) -> tuple[float | None, str | None]:
    """A metric value as (number, text): times become epoch seconds plus ISO text."""
    if value is None:
        return None, None
    if isinstance(value, dt.datetime):
        aware = as_utc(value)
        return aware.timestamp(), aware.isoformat()
    if isinstance(value, dt.date):
        return as_utc(value).timestamp(), value.isoformat()
    if isinstance(value, bool):
        return float(value), None
    number = float(value)
    if math.isnan(number):
        return None, None
    return number, None


def _column_points(table: str, granularity: str, ts: dt.datetime,
                   columns: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[MetricPoint]:
    for column, metrics in columns:
        for name, value in metrics.items():
            number, text = _numeric(value)
            yield MetricPoint(table, column, name, granularity, ts, number, text)


def points_from_profile(profile: Profile) -> list[MetricPoint]:
    """Points of a table-level profile, stamped with its as-of time."""
    ts = to_naive_utc(profile.as_of)
    out = [MetricPoint(profile.table, "", "row_count", SNAPSHOT, ts, float(profile.row_count))]
    if profile.freshness_seconds is not None:
        out.append(MetricPoint(profile.table, "", "freshness_seconds", SNAPSHOT, ts,
                               profile.freshness_seconds))
    out += _column_points(profile.table, SNAPSHOT, ts,
                          ((c.name, c.metrics) for c in profile.columns.values()))
    return out


def points_from_buckets(table: str, buckets: Iterable[BucketProfile]) -> list[MetricPoint]:
    """Points of bucketed profiles, one set per bucket start."""
    out: list[MetricPoint] = []
    for bucket in buckets:
        ts = to_naive_utc(bucket.start)
        out.append(MetricPoint(table, "", "row_count", bucket.granularity, ts,
                               float(bucket.row_count)))
        if bucket.latest_timestamp is not None:
            number, text = _numeric(bucket.latest_timestamp)
            out.append(MetricPoint(table, "", "latest_timestamp", bucket.granularity, ts,
                                   number, text))
        if bucket.arrival_delay_seconds is not None:
            out.append(MetricPoint(table, "", "arrival_delay_seconds", bucket.granularity, ts,
                                   bucket.arrival_delay_seconds))
        out += _column_points(table, bucket.granularity, ts, bucket.columns.items())
    return out


def points_from_segments(table: str, buckets: Iterable[BucketProfile], names: Sequence[str],
                         labels: Sequence[Label]) -> list[MetricPoint]:
    """Points of each bucket's segments (``monitor.metrics.segments``).

    Every kept segment and "other" get a row count in every bucket, 0 when the scan
    found none of its rows: a segment whose load is missing has no group at all.
    """
    out: list[MetricPoint] = []
    for bucket in buckets:
        ts = to_naive_utc(bucket.start)
        found = {s.label: s for s in bucket.segments}
        for label in (*labels, None):
            segment = found.get(label)
            key = series_column(names, label)
            if len(key) + max((len(c) for c in (segment.columns if segment else ())),
                              default=0) > MAX_KEY:
                continue  # cannot be stored under its key (see MAX_VALUE_LENGTH)
            rows = float(segment.row_count) if segment else 0.0
            out.append(MetricPoint(table, key, "row_count", bucket.granularity, ts, rows))
            for column, metrics in (segment.columns if segment else {}).items():
                for name, value in metrics.items():
                    if value is not None:
                        out.append(MetricPoint(table, series_column(names, label, column),
                                               name, bucket.granularity, ts, value))
    return out
