"""The detection step of a run: judge the watched series and the schema, store the verdicts.

Detectors are pure functions of a series (``monitor.detection``); this module
feeds them the stored history plus the run's new points, applies feedback
labels (expected points rejoin training, incident points stay out), stores a
detection per newly judged point (the band the dashboard draws) and reports
one ``Finding`` per watched series for incidents and alerts.

>>> # The runner calls ``detect_anomalies(ctx, state)`` after profiling.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from monitor.config.models import TableConfig
from monitor.detection import Detection, MetricKind, Series, State, detect_metric
from monitor.detection.severity import SeveritySettings, fixed_severity, policy_for
from monitor.detection.watch import STEP_SECONDS, Watch, watches_for
from monitor.errors import StoreUnavailable
from monitor.metrics.points import MetricPoint
from monitor.metrics.segments import parse_series_column, series_column
from monitor.run.context import MonitorContext
from monitor.run.drift import judge_drift
from monitor.run.findings import Finding, Severity
from monitor.run.schema_check import open_schema_incident, schema_finding
from monitor.run.state import RunState
from monitor.store import SqlMetricStore
from monitor.store.detections import (
    DetectionRow,
    SeriesKey,
    judged_points,
    labels,
    load_history,
    replace_detections,
)
from monitor.timeutil import as_utc


@dataclass
class Judgement:
    """Verdicts of one table: detection rows to store and findings for incidents."""

    rows: list[DetectionRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def severity_of(watch: Watch, detection: Detection,
                *layers: SeveritySettings | None) -> Severity:
    """How bad an anomaly is, by the severity policy (``monitor.detection.severity``).

    ``layers``: the config's and the table's ``severity:`` settings, in that order.
    """
    policy = policy_for(watch.check, *layers)
    return policy.grade(watch.kind, value=float(detection.value),
                        expected=float(detection.expected), upper=_finite(detection.upper),
                        lower=_finite(detection.lower), detector=detection.detector,
                        direction=detection.direction, sla_seconds=watch.sla_seconds)


def severity_layers(ctx: MonitorContext, table: TableConfig
                    ) -> tuple[SeveritySettings, SeveritySettings]:
    """The ``severity:`` settings that apply to a table: the config's, then the table's."""
    return ctx.config.severity, table.severity


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def series_from_points(points: list[tuple[dt.datetime, float | None]],
            marks: dict[dt.datetime, str]) -> Series:
    stamps = np.array([np.datetime64(ts.replace(tzinfo=None), "ns") for ts, _ in points],
                      dtype="datetime64[ns]")
    values = np.array([np.nan if v is None else float(v) for _, v in points], dtype=float)
    excluded = np.array([marks.get(ts) == "incident" for ts, _ in points], dtype=bool)
    expected = np.array([marks.get(ts) == "expected" for ts, _ in points], dtype=bool)
    return Series(stamps, values, excluded, expected)


def _merge(stored: list[tuple[dt.datetime, float | None]],
           pending: dict[dt.datetime, float | None]) -> list[tuple[dt.datetime, float | None]]:
    merged = dict(stored)
    merged.update(pending)
    return sorted(merged.items())


def _since(watches: Sequence[Watch], as_of: dt.datetime) -> dt.datetime:
    bucketed = [w for w in watches if w.granularity in STEP_SECONDS]
    if not bucketed:
        return as_of
    span = max(w.history_points() * STEP_SECONDS[w.granularity] for w in bucketed)
    return as_of - dt.timedelta(seconds=span)


def _finding(watch: Watch, detection: Detection, streak_start: dt.datetime,
             layers: Sequence[SeveritySettings | None]) -> Finding:
    severity = severity_of(watch, detection, *layers) if detection.is_anomaly else "info"
    return Finding(table=watch.table, check=watch.check, kind="anomaly",
                   severity=severity, failing=detection.is_anomaly,
                   at=detection.timestamp, reason=detection.reason, metric=watch.metric,
                   column=watch.column or None, observed=_finite(detection.value),
                   expected=_finite(detection.expected), lower=_finite(detection.lower),
                   upper=_finite(detection.upper), score=_finite(detection.score),
                   since=streak_start if detection.is_anomaly else None)


def _rows_of(watch: Watch, points: list[tuple[dt.datetime, float | None]],
             history: dict, new: dict) -> np.ndarray | None:
    """Row counts of a null rate's buckets (its binomial noise), when they are watched."""
    if watch.kind is not MetricKind.NULL_RATE:
        return None
    segment = parse_series_column(watch.column)  # a segment's null rate: its own rows
    key = ("row_count", series_column(*segment[:2]) if segment else "", watch.granularity)
    counts = dict(_merge(history.get(key, []), new.get(key, {})))
    rows = np.array([np.nan if counts.get(ts) is None else float(counts[ts])
                     for ts, _ in points])
    return rows if np.isfinite(rows).any() else None


def judge(store: SqlMetricStore, table_name: str, watches: Sequence[Watch], *,
          as_of: dt.datetime, pending: Iterable[MetricPoint] = (),
          judge_all: bool = False, since: dt.datetime | None = None,
          severity: Sequence[SeveritySettings | None] = ()) -> Judgement:
    """Judge the watched series; store-ready rows for new points (all with ``judge_all``).

    History is read from ``since`` (default: three training windows before ``as_of``);
    ``severity``: the settings layers of the severity policy (``severity_layers``).
    """
    new: dict[SeriesKey, dict[dt.datetime, float | None]] = {}
    for point in pending:
        new.setdefault((point.metric, point.column, point.granularity), {})[point.ts] = (
            point.value)
    keys = [w.key for w in watches]
    start = since or _since(watches, as_of)
    history = load_history(store, table_name, keys, since=start)
    # Points stored without a verdict (a run replayed from the spool) are judged too.
    verdicts_stored = {} if judge_all else judged_points(store, table_name, keys, since=start)
    marks = labels(store, table_name)
    out = Judgement()
    for watch in watches:
        fresh = new.get(watch.key, {})
        stored = history.get(watch.key, [])
        unjudged = {ts for ts, _ in stored} - verdicts_stored.get(watch.key, set())
        points = _merge(stored, fresh)
        if not points or (not fresh and not unjudged and not judge_all):
            continue
        series = series_from_points(points, marks.get(watch.key, {}))
        verdicts = detect_metric(series, watch.kind, watch.settings,
                                 sla_seconds=watch.sla_seconds, label=watch.label,
                                 rows=_rows_of(watch, points, history, new))
        wanted = set(fresh) | unjudged if not judge_all else {ts for ts, _ in points}
        judged = [d for d in verdicts if d.timestamp in wanted]
        for d in judged:
            out.rows.append(DetectionRow(
                table=table_name, metric=watch.metric, column=watch.column,
                granularity=watch.granularity, ts=d.timestamp, value=_finite(d.value),
                expected=_finite(d.expected), lower=_finite(d.lower), upper=_finite(d.upper),
                score=_finite(d.score), is_anomaly=bool(d.is_anomaly), state=d.state.value,
                direction=d.direction, detector=d.detector,
                severity=severity_of(watch, d, *severity) if d.is_anomaly else "info",
                reason=d.reason))
        newest = next((d for d in reversed(judged)
                       if d.state in (State.OK, State.ANOMALY, State.EXPECTED)), None)
        if newest is not None:
            start = newest.timestamp
            for d in reversed(verdicts[:verdicts.index(newest) + 1]):
                if not d.is_anomaly:
                    break
                start = d.timestamp
            out.findings.append(_finding(watch, newest, start, severity))
    return out


def row_count_rule(table: TableConfig, points: Sequence[MetricPoint],
                   severity: Sequence[SeveritySettings | None] = ()) -> Finding | None:
    """``thresholds.min_row_count`` on the newest bucket (or the run's total for others)."""
    limit = table.thresholds.min_row_count
    grain = table.bucket or "snapshot"
    newest = max((p for p in points if p.metric == "row_count" and p.column == ""
                  and p.granularity == grain and p.value is not None),
                 key=lambda p: p.ts, default=None)
    if limit is None or newest is None:
        return None
    rows = int(newest.value or 0)
    what = f"the {grain} starting {newest.ts:%Y-%m-%d %H:%M}" if table.bucket else "the table"
    failing = rows < limit
    reason = (f"{what} has {rows:,} rows, below the minimum of {limit:,}" if failing
              else f"{what} has {rows:,} rows (minimum {limit:,})")
    level = fixed_severity("rule:min_row_count", "critical", *severity) if failing else "info"
    return Finding(table=table.name, check="rule:min_row_count", kind="rule",
                   severity=level, failing=failing, at=newest.ts,
                   reason=reason, metric="row_count", observed=float(rows),
                   lower=float(limit))


def detect_anomalies(ctx: MonitorContext, state: RunState) -> None:
    """Runner step: judge this run's new points and the schema; queue the verdicts."""
    table = state.table
    if state.shape is None and table.metadata != "only":
        return
    columns = [c.name for c in state.shape.columns] if state.shape else []
    watches = watches_for(table, columns)
    layers = severity_layers(ctx, table)
    try:
        judgement = judge(ctx.store, table.name, watches, as_of=as_utc(state.as_of),
                          pending=state.points, severity=layers)
        schema = None if state.shape is None else schema_finding(
            ctx.store, table.name, state.as_of,
            [(c.name, c.type_name) for c in state.shape.columns],
            open_incident=open_schema_incident(ctx.store, table.name), severity=layers)
        drift_rows, drift_findings = ([], []) if state.shape is None else judge_drift(
            ctx.store, table, {c.name: c.kind for c in state.shape.columns},
            as_of=as_utc(state.as_of), pending=state.points, severity=layers)
    except StoreUnavailable as error:
        # The history is out of reach: keep the profile (it may go to the spool) and let
        # the next run judge these points, which will then have no verdict yet.
        state.problems.append(f"anomaly detection postponed: {error}")
        return
    judgement.rows += drift_rows
    judgement.findings += drift_findings
    if schema is not None:
        judgement.findings.append(schema)
    minimum = row_count_rule(table, state.points, layers)
    if minimum is not None:
        judgement.findings.append(minimum)
    if table.segments:  # each segment judged on its own; one finding per check
        from monitor.run.segments import judge_segments
        try:
            rows, found = judge_segments(ctx.store, table, state.points,
                                         as_of=as_utc(state.as_of), severity=layers)
        except StoreUnavailable as error:
            state.problems.append(f"segment detection postponed: {error}")
        else:
            judgement.rows += rows
            judgement.findings += found
    rows = judgement.rows
    state.write(lambda conn: replace_detections(conn, state.run_id, rows))
    state.found.extend(judgement.findings)
    state.findings["anomalies"] = sum(r.is_anomaly for r in rows)
