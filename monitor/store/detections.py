"""Stored detections (the expected band of every judged point) and the history they judge."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import detections, feedback, metrics
from monitor.store.sql_store import SqlMetricStore
from monitor.store.upsert import upsert
from monitor.timeutil import to_naive_utc, utcnow

SeriesKey = tuple[str, str, str]  # (metric, column, granularity)


@dataclass(frozen=True)
class DetectionRow:
    """One judged point, as stored in ``dq_detections``."""

    table: str
    metric: str
    column: str
    granularity: str
    ts: dt.datetime  # naive UTC
    value: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    score: float | None
    is_anomaly: bool
    state: str
    direction: str | None
    detector: str
    severity: str
    reason: str
    status: str = "open"  # open | expected | incident (from feedback), for reading only

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["ts"] = self.ts.replace(tzinfo=dt.UTC).isoformat()
        return out


def replace_detections(conn: Connection, run_id: str, rows: Sequence[DetectionRow]) -> int:
    """Replace the detections at the same points (idempotent per point; an upsert)."""
    if not rows:
        return 0
    d = detections
    now = to_naive_utc(utcnow())
    payload = [{"table_name": r.table, "metric": r.metric, "column_name": r.column,
                "granularity": r.granularity, "ts": r.ts, "run_id": run_id, "value": r.value,
                "expected": r.expected, "lower": r.lower, "upper": r.upper, "score": r.score,
                "is_anomaly": r.is_anomaly, "state": r.state, "direction": r.direction,
                "detector": r.detector, "severity": r.severity, "reason": r.reason,
                "recorded_at": now} for r in rows]
    upsert(conn, d, payload)
    return len(payload)


def load_history(store: SqlMetricStore, table: str, keys: Iterable[SeriesKey], *,
                 since: dt.datetime | None = None, snapshot_points: int = 500
                 ) -> dict[SeriesKey, list[tuple[dt.datetime, float | None]]]:
    """Stored points of the given series: buckets from ``since``, the newest snapshots."""
    wanted = set(keys)
    m = metrics
    out: dict[SeriesKey, list[tuple[dt.datetime, float | None]]] = {k: [] for k in wanted}
    names = sorted({k[0] for k in wanted})
    with store.connect() as conn:
        cutoff = conn.execute(
            sa.select(m.c.ts).where(m.c.table_name == table, m.c.granularity == "snapshot",
                                    m.c.metric == "row_count", m.c.column_name == "")
            .order_by(m.c.ts.desc()).offset(snapshot_points - 1).limit(1)).scalar()
        query = sa.select(m.c.metric, m.c.column_name, m.c.granularity, m.c.ts, m.c.value).where(
            m.c.table_name == table, m.c.metric.in_(names))
        bucket_filter = m.c.granularity != "snapshot"
        if since is not None:
            bucket_filter = sa.and_(bucket_filter, m.c.ts >= to_naive_utc(since))
        snapshot_filter = m.c.granularity == "snapshot"
        if cutoff is not None:
            snapshot_filter = sa.and_(snapshot_filter, m.c.ts >= cutoff)
        query = query.where(sa.or_(bucket_filter, snapshot_filter)).order_by(m.c.ts)
        for metric, column, granularity, ts, value in conn.execute(query):
            key = (metric, column, granularity)
            if key in out:
                out[key].append((ts, value))
    return out


def judged_points(store: SqlMetricStore, table: str, keys: Iterable[SeriesKey], *,
                  since: dt.datetime | None = None) -> dict[SeriesKey, set[dt.datetime]]:
    """Times that already have a stored verdict, per series."""
    wanted = set(keys)
    d = detections
    out: dict[SeriesKey, set[dt.datetime]] = {k: set() for k in wanted}
    query = sa.select(d.c.metric, d.c.column_name, d.c.granularity, d.c.ts).where(
        d.c.table_name == table, d.c.metric.in_(sorted({k[0] for k in wanted})))
    if since is not None:
        query = query.where(d.c.ts >= to_naive_utc(since))
    with store.connect() as conn:
        for metric, column, granularity, ts in conn.execute(query):
            key = (metric, column, granularity)
            if key in out:
                out[key].add(ts)
    return out


def labels(store: SqlMetricStore, table: str) -> dict[SeriesKey, dict[dt.datetime, str]]:
    """Feedback labels of a table: series -> {time: expected|incident}."""
    f = feedback
    out: dict[SeriesKey, dict[dt.datetime, str]] = {}
    with store.connect() as conn:
        for metric, column, granularity, ts, label in conn.execute(
                sa.select(f.c.metric, f.c.column_name, f.c.granularity, f.c.ts, f.c.label)
                .where(f.c.table_name == table)):
            out.setdefault((metric, column, granularity), {})[ts] = label
    return out


def list_detections(store: SqlMetricStore, table: str | None = None, *,
                    since: dt.datetime | None = None, anomalies_only: bool = True,
                    metric: str | None = None, column: str | None = None,
                    limit: int = 1000) -> list[DetectionRow]:
    """Stored detections, newest first, with their feedback status."""
    d, f = detections, feedback
    join = sa.and_(f.c.table_name == d.c.table_name, f.c.metric == d.c.metric,
                   f.c.column_name == d.c.column_name, f.c.granularity == d.c.granularity,
                   f.c.ts == d.c.ts)
    query = (sa.select(d, f.c.label).select_from(d.outerjoin(f, join))
             .order_by(d.c.ts.desc(), d.c.table_name, d.c.metric).limit(limit))
    if table:
        query = query.where(d.c.table_name == table)
    if since:
        query = query.where(d.c.ts >= to_naive_utc(since))
    if anomalies_only:
        query = query.where(sa.or_(d.c.is_anomaly.is_(True), f.c.label.is_not(None)))
    if metric:
        query = query.where(d.c.metric == metric)
    if column is not None:
        query = query.where(d.c.column_name == column)
    with store.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [DetectionRow(table=r["table_name"], metric=r["metric"], column=r["column_name"],
                         granularity=r["granularity"], ts=r["ts"], value=r["value"],
                         expected=r["expected"], lower=r["lower"], upper=r["upper"],
                         score=r["score"], is_anomaly=bool(r["is_anomaly"]), state=r["state"],
                         direction=r["direction"], detector=r["detector"],
                         severity=r["severity"], reason=r["reason"] or "",
                         status=r["label"] or "open") for r in rows]


def detection_granularities(conn: Connection, table: str, metric: str, column: str,
                            ts: dt.datetime) -> list[str]:
    """The granularities with a stored detection of this series at ``ts`` (naive UTC)."""
    d = detections
    return list(conn.execute(sa.select(d.c.granularity).where(
        d.c.table_name == table, d.c.metric == metric, d.c.column_name == column,
        d.c.ts == ts)).scalars().all())
