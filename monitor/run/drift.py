"""Distribution drift in a run: judge the quantiles and value shares of the
``distribution_columns`` against their reference window (``monitor.detection.drift``).

Each point not judged yet (the run's new buckets, and stored ones without a verdict)
is compared with the ``window`` points before it that were not drift themselves.
A numeric column's verdict is stored as a detection of its ``p50`` series (the
median, against the reference's), a category column's as one of its ``shares``
(the PSI); one ``drift:<column>`` finding per column feeds incidents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from monitor.config.models import TableConfig
from monitor.detection.drift import DriftSettings, DriftVerdict, category_drift, quantile_drift
from monitor.detection.severity import SeveritySettings, fixed_severity
from monitor.detection.watch import STEP_SECONDS
from monitor.metrics.distribution import (
    SHARE_PREFIX,
    category_columns,
    numeric_columns,
    quantile_values,
    share_values,
)
from monitor.metrics.points import MetricPoint
from monitor.metrics.states import QUANTILES
from monitor.run.findings import Finding
from monitor.store import SqlMetricStore
from monitor.store.detections import DetectionRow, judged_points
from monitor.store.distributions import distribution_history

#: The detection series a column's drift verdicts are stored under.
QUANTILE_SERIES = "p50"
SHARE_SERIES = "shares"


def _series_metric(metric: str) -> bool:
    return metric in QUANTILES or metric.startswith(SHARE_PREFIX) or metric in (
        "null_rate", "finite_count")


def _verdict(numeric: bool, column: str, reference: Sequence[dict[str, float | None]],
             current: dict[str, float | None], rows: Sequence[float], current_rows: float,
             settings: DriftSettings) -> DriftVerdict | None:
    if numeric:
        ref = [quantile_values(p) for p in reference]
        cur = quantile_values(current)
        if not cur or not all(ref):
            return None
        counts = [float(p.get("finite_count") or n) for p, n in zip(reference, rows, strict=True)]
        return quantile_drift(ref, cur, rows=counts,
                              current_rows=float(current.get("finite_count") or current_rows),
                              label=column, settings=settings)
    ref_shares = [share_values(p) for p in reference]
    cur_shares = share_values(current)
    if not cur_shares:
        return None
    known = [1.0 - float(p.get("null_rate") or 0.0) for p in reference]
    return category_drift(ref_shares, cur_shares, rows=rows, current_rows=current_rows,
                          label=column, known=known,
                          current_known=1.0 - float(current.get("null_rate") or 0.0),
                          settings=settings)


def judge_drift(store: SqlMetricStore, table: TableConfig, kinds: Mapping[str, str], *,
                as_of: dt.datetime, pending: Iterable[MetricPoint] = (),
                severity: Sequence[SeveritySettings | None] = (),
                settings: DriftSettings | None = None
                ) -> tuple[list[DetectionRow], list[Finding]]:
    """Verdicts on the distribution columns' unjudged points: rows to store, findings."""
    settings = settings or DriftSettings()
    numeric = numeric_columns(table, kinds)
    columns = numeric + category_columns(table, kinds)
    if not columns:
        return [], []
    grain = table.bucket or "snapshot"
    since = None
    if grain in STEP_SECONDS:
        since = as_of - dt.timedelta(seconds=3 * settings.window * STEP_SECONDS[grain])
    history, rows = distribution_history(store, table.name, columns, grain, since=since)
    fresh: dict[str, set[dt.datetime]] = {c: set() for c in columns}
    for p in pending:
        if p.granularity != grain:
            continue
        if p.column == "" and p.metric == "row_count" and p.value is not None:
            rows[p.ts] = p.value
        elif p.column in history and _series_metric(p.metric):
            history[p.column].setdefault(p.ts, {})[p.metric] = p.value
            fresh[p.column].add(p.ts)
    keys = [(QUANTILE_SERIES if c in numeric else SHARE_SERIES, c, grain) for c in columns]
    judged = judged_points(store, table.name, keys, since=since)
    out_rows: list[DetectionRow] = []
    findings: list[Finding] = []
    for column, key in zip(columns, keys, strict=True):
        points = history[column]
        wanted = fresh[column] | (set(points) - judged.get(key, set()))
        reference: list[dt.datetime] = []
        newest: tuple[dt.datetime, DriftVerdict, dt.datetime] | None = None
        streak: dt.datetime | None = None
        for ts in sorted(points):
            if not rows.get(ts):
                continue
            verdict = None
            if len(reference) >= settings.min_reference:
                ref = reference[-settings.window:]
                verdict = _verdict(column in numeric, column, [points[t] for t in ref],
                                   points[ts], [rows[t] for t in ref], rows[ts], settings)
            if verdict is None or not verdict.is_drift:
                reference.append(ts)
                streak = None
            elif streak is None:
                streak = ts
            if verdict is None or ts not in wanted:
                continue
            out_rows.append(_row(table, key, ts, verdict, severity))
            newest = (ts, verdict, streak or ts)
        if newest is not None:
            findings.append(_finding(table, key, *newest, severity))
    return out_rows, findings


def _check(column: str) -> str:
    return f"drift:{column}"


def _level(table: TableConfig, column: str, verdict: DriftVerdict,
           severity: Sequence[SeveritySettings | None]) -> str:
    return fixed_severity(_check(column), "warning", *severity) if verdict.is_drift else "info"


def _row(table: TableConfig, key: tuple[str, str, str], ts: dt.datetime,
         verdict: DriftVerdict, severity: Sequence[SeveritySettings | None]) -> DetectionRow:
    metric, column, grain = key
    numeric = metric == QUANTILE_SERIES
    direction = None
    if verdict.is_drift and numeric:
        direction = "up" if verdict.value > verdict.expected else "down"
    return DetectionRow(
        table=table.name, metric=metric, column=column, granularity=grain, ts=ts,
        value=verdict.value, expected=verdict.expected, lower=None,
        upper=None if numeric else verdict.threshold, score=verdict.statistic,
        is_anomaly=verdict.is_drift, state="anomaly" if verdict.is_drift else "ok",
        direction=direction, detector="drift_ks" if numeric else "drift_psi",
        severity=_level(table, column, verdict, severity), reason=verdict.reason)


def _finding(table: TableConfig, key: tuple[str, str, str], ts: dt.datetime,
             verdict: DriftVerdict, since: dt.datetime,
             severity: Sequence[SeveritySettings | None]) -> Finding:
    metric, column, _ = key
    return Finding(table=table.name, check=_check(column), kind="anomaly",
                   severity=_level(table, column, verdict, severity),  # type: ignore[arg-type]
                   failing=verdict.is_drift, at=ts, reason=verdict.reason, metric=metric,
                   column=column, observed=verdict.value, expected=verdict.expected,
                   upper=verdict.threshold if metric == SHARE_SERIES else None,
                   score=verdict.statistic, since=since if verdict.is_drift else None)
