"""What is watched on a table: which stored series, judged as which kind, with which settings.

Per table, from the metric history:

- volume: rows per bucket (bucketed tables) or total rows per run (others), both ways;
- completeness: the null rate of every column, per bucket or per run, upward;
- timeliness: freshness lag now (per run), and the arrival delay of each bucket
  (with ``loaded_at_column``), upward, against the table's SLAs;
- distribution: mean, stddev and distinct count of ``distribution_columns``.

Schema changes are compared run to run by the detection step.

>>> from monitor.config.models import TableConfig
>>> t = TableConfig(name="orders", warehouse="w", table="orders", timestamp_column="ts",
...                 bucket="day")
>>> [w.check for w in watches_for(t, ["id", "ts"])][:3]
['volume:row_count', 'null_rate:id', 'null_rate:ts']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.config.models import TableConfig
from monitor.detection import DetectorSettings, MetricKind
from monitor.detection.seasonal import resolved_windows

#: Seconds between points, to size the history a detector needs.
STEP_SECONDS = {"hour": 3600.0, "day": 86400.0}
#: Points of snapshot history loaded for tables judged per run.
SNAPSHOT_POINTS = 500


@dataclass(frozen=True)
class Watch:
    """One series of the metric history and how it is judged."""

    table: str
    metric: str  # stored metric name
    column: str  # '' for table metrics
    granularity: str  # snapshot | hour | day
    kind: MetricKind
    settings: DetectorSettings
    sla_seconds: float | None
    label: str  # how the reason names it: "rows", "null rate of email"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, self.column, self.granularity)

    @property
    def check(self) -> str:
        """Stable key of the check, for incidents (``volume:row_count``, ``null_rate:email``)."""
        if self.metric == "row_count":
            return "volume:row_count"
        if self.metric.endswith(("_estimate", "_estimate_seconds")):
            return f"metadata:{self.metric}"  # beside the scanned checks of the same kind
        if self.kind is MetricKind.FRESHNESS or self.kind is MetricKind.ARRIVAL_DELAY:
            return self.kind.value
        return f"{self.metric}:{self.column}" if self.column else self.metric

    def history_points(self) -> int:
        """How many past points the detector needs (three training windows)."""
        if self.granularity == "snapshot":
            return SNAPSHOT_POINTS
        window, _, _ = resolved_windows(self.settings, STEP_SECONDS[self.granularity])
        return 3 * window


def settings_of(table: TableConfig, kind: MetricKind, column: str = "") -> DetectorSettings:
    """Defaults for the kind, then the table's ``detection.<kind>``, then ``<kind>.<column>``."""
    limit = None
    if kind is MetricKind.NULL_RATE:
        column_limit = table.columns.get(column).max_null_rate if column in table.columns else None
        limit = column_limit if column_limit is not None else table.thresholds.max_null_rate
    extra = {"max_null_rate": limit} if limit is not None else None
    return table.detection.settings(kind, column, extra=extra)


def watches_for(table: TableConfig, columns: Sequence[str]) -> list[Watch]:
    """Every watched series of a table with these columns."""
    grain = table.bucket or "snapshot"
    out: list[Watch] = []

    def add(metric: str, column: str, granularity: str, kind: MetricKind, label: str,
            sla: float | None = None) -> None:
        out.append(Watch(table.name, metric, column, granularity, kind,
                         settings_of(table, kind, column), sla, label))

    if table.metadata != "only":
        add("row_count", "", grain, MetricKind.VOLUME, "rows")
    if table.metadata:  # the catalog's numbers (monitor.metrics.metadata), named estimates
        add("row_count_estimate", "", "snapshot", MetricKind.VOLUME,
            "rows (estimate from the catalog)")
        add("modified_age_estimate_seconds", "", "snapshot", MetricKind.FRESHNESS,
            "time since the last change (estimate from the catalog)",
            table.thresholds.freshness_sla)
    for column in columns:
        add("null_rate", column, grain, MetricKind.NULL_RATE, f"null rate of {column}")
    if table.timestamp_column:
        add("freshness_seconds", "", "snapshot", MetricKind.FRESHNESS, "data age",
            table.thresholds.freshness_sla)
    if table.bucket and table.loaded_at_column:
        add("arrival_delay_seconds", "", table.bucket, MetricKind.ARRIVAL_DELAY,
            "arrival delay", table.thresholds.arrival_sla)
    for custom in table.metrics:  # custom SQL metrics (monitor.metrics.custom), both ways
        add(custom.metric, "", grain, MetricKind.DISTRIBUTION, f"{custom.name} (custom SQL)")
    for column in table.distribution_columns:
        if column not in columns:
            continue
        for metric in ("mean", "stddev", "distinct_count"):
            add(metric, column, grain, MetricKind.DISTRIBUTION,
                f"{metric.replace('_', ' ')} of {column}")
    return out


def training_span(watches: Sequence[Watch]) -> dt.timedelta:
    """How far back the bucketed watches' detectors look (zero for snapshots only)."""
    spans = [w.history_points() * STEP_SECONDS[w.granularity] for w in watches
             if w.granularity in STEP_SECONDS]
    return dt.timedelta(seconds=max(spans, default=0.0))
