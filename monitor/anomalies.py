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
import sqlalchemy as sa

from monitor.alerts.incidents import Incident, load_open
from monitor.config import TableConfig
from monitor.context import MonitorContext
from monitor.detection import Detection, Series, State, detect_metric, diff_schema
from monitor.detection.schema_change import SchemaChange
from monitor.detection.severity import SeveritySettings, fixed_severity, policy_for
from monitor.errors import StoreUnavailable
from monitor.findings import Finding, Severity
from monitor.points import MetricPoint
from monitor.run_state import RunState
from monitor.store import SqlMetricStore
from monitor.store.detections import (
    DetectionRow,
    SeriesKey,
    judged_points,
    labels,
    load_history,
    replace_detections,
)
from monitor.store.schema import schemas
from monitor.timeutil import as_utc, parse_time, to_naive_utc
from monitor.watch import STEP_SECONDS, Watch, watches_for


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
                                 sla_seconds=watch.sla_seconds, label=watch.label)
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


@dataclass(frozen=True)
class SchemaIncident:
    """What the schema check needs to know about the table's open schema incident."""

    baseline: dt.datetime  # the snapshot before the change (naive UTC)
    acknowledged_by: str | None = None  # set: someone accepted the change

    @classmethod
    def of(cls, incident: Incident | None) -> SchemaIncident | None:
        since = incident.details.get("since") if incident is not None else None
        if incident is None or not since:
            return None
        accepted = ((incident.acknowledged_by or "someone")
                    if incident.status == "acknowledged" else None)
        return cls(to_naive_utc(parse_time(since)), accepted)


def _schema_at(store: SqlMetricStore, table_name: str, at: dt.datetime
               ) -> tuple[dt.datetime, list[tuple[str, str]]] | None:
    """The newest snapshot of a table's columns taken at or before ``at``."""
    s = schemas
    with store.connect() as conn:
        ts = conn.execute(sa.select(sa.func.max(s.c.ts)).where(
            s.c.table_name == table_name, s.c.ts <= at)).scalar()
        if ts is None:
            return None
        rows = conn.execute(sa.select(s.c.column_name, s.c.data_type).where(
            s.c.table_name == table_name, s.c.ts == ts).order_by(s.c.ordinal)).all()
    return ts, [(r[0], r[1]) for r in rows]


def _changed(table_name: str, at: dt.datetime, changes: Sequence[SchemaChange],
             since: dt.datetime, layers: Sequence[SeveritySettings | None]) -> Finding:
    severe = any(c.kind.value in ("removed", "retyped") for c in changes)
    severity = fixed_severity("schema", "critical" if severe else "warning", *layers)
    reason = "; ".join(c.reason for c in changes[:5])
    if len(changes) > 5:
        reason += f"; and {len(changes) - 5} more"
    return Finding(table=table_name, check="schema", kind="schema", severity=severity,
                   failing=True, at=at, reason=reason, since=since)


def schema_finding(store: SqlMetricStore, table_name: str, as_of: dt.datetime,
                   current: Sequence[tuple[str, str]], *,
                   open_incident: SchemaIncident | None = None,
                   severity: Sequence[SeveritySettings | None] = ()) -> Finding | None:
    """Columns added, removed or retyped since the previous run (None on the first run).

    A schema change is a fact, not a noisy metric: while its incident is open
    the schema is compared with the one *before* the change, so the finding
    keeps failing until the change is undone (the column returns) or someone
    acknowledges it (accepts the new schema). Then the passing finding says
    which of the two happened; it never claims "back to normal" while a
    column is still gone.
    """
    at = to_naive_utc(as_of)
    previous = [snap for snap in store.schema_snapshots(table_name, limit=3) if snap[0] < at]
    if not previous:
        return None
    if open_incident is not None and open_incident.acknowledged_by is None:
        before = _schema_at(store, table_name, open_incident.baseline)
        if before is not None:
            changes = diff_schema(dict(before[1]), dict(current))
            if changes:
                return _changed(table_name, at, changes, before[0], severity)
            return Finding(table=table_name, check="schema", kind="schema", severity="info",
                           failing=False, at=at,
                           reason="the change is undone: the schema is back to how it was "
                                  f"on {before[0]:%Y-%m-%d %H:%M} UTC")
    changes = diff_schema(dict(previous[0][1]), dict(current))
    if changes:
        return _changed(table_name, at, changes, previous[0][0], severity)
    if open_incident is not None:
        return Finding(table=table_name, check="schema", kind="schema", severity="info",
                       failing=False, at=at,
                       reason=f"the change was accepted (acknowledged by "
                              f"{open_incident.acknowledged_by}); the schema is unchanged since")
    return Finding(table=table_name, check="schema", kind="schema", severity="info",
                   failing=False, at=at, reason="schema unchanged")


def open_schema_incident(store: SqlMetricStore, table_name: str) -> SchemaIncident | None:
    """The table's open schema incident, as the schema check needs it."""
    with store.connect() as conn:
        return SchemaIncident.of(load_open(conn, table_name).get("schema"))


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
    if state.shape is None:
        return
    columns = [c.name for c in state.shape.columns]
    watches = watches_for(table, columns)
    layers = severity_layers(ctx, table)
    try:
        judgement = judge(ctx.store, table.name, watches, as_of=as_utc(state.as_of),
                          pending=state.points, severity=layers)
        schema = schema_finding(ctx.store, table.name, state.as_of,
                                [(c.name, c.type_name) for c in state.shape.columns],
                                open_incident=open_schema_incident(ctx.store, table.name),
                                severity=layers)
    except StoreUnavailable as error:
        # The history is out of reach: keep the profile (it may go to the spool) and let
        # the next run judge these points, which will then have no verdict yet.
        state.problems.append(f"anomaly detection postponed: {error}")
        return
    if schema is not None:
        judgement.findings.append(schema)
    minimum = row_count_rule(table, state.points, layers)
    if minimum is not None:
        judgement.findings.append(minimum)
    rows = judgement.rows
    state.write(lambda conn: replace_detections(conn, state.run_id, rows))
    state.found.extend(judgement.findings)
    state.findings["anomalies"] = sum(r.is_anomaly for r in rows)
