"""Store-wide reads for the overview, incidents and runs pages, as pandas DataFrames.

Each function is one SQL statement that aggregates in the database: the
overview needs two (the latest state of every table, and every row-count
trend), however many tables there are.

>>> from monitor.store import SqlMetricStore
>>> store = SqlMetricStore("sqlite:///:memory:")
>>> store.ensure_schema()
>>> latest_state(store).empty
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from monitor.dialects import capabilities_for
from monitor.store import SqlMetricStore
from monitor.store.schema import (
    detections,
    expectation_results,
    feedback,
    gate_verdicts,
    incidents,
    metrics,
    mutes,
    runs,
)
from monitor.timeutil import to_naive_utc

OPEN_INCIDENT = ("open", "acknowledged")
FAILED_RUN = ("failed", "partial", "lost", "interrupted")
SNAPSHOT = "snapshot"

#: The counts of ``latest_state`` that are 0, not missing, for a table without such rows.
COUNT_COLUMNS = ("runs", "successes", "open_incidents", "critical_incidents",
                 "acknowledged_incidents", "watched_series", "anomalies", "learning_series",
                 "expectations", "failed_expectations", "failed_critical_expectations")


class day_of(FunctionElement[Any]):
    """The calendar day of a timestamp, as a grouping key."""

    inherit_cache = True


@compiles(day_of)
def _day_of_default(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"date_trunc('day', {compiler.process(element.clauses, **kw)})"


@compiles(day_of, "sqlite")
@compiles(day_of, "mariadb")
@compiles(day_of, "mysql")
def _day_of_sqlite(element: day_of, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"


def frame(store: SqlMetricStore, query: sa.Select[Any]) -> pd.DataFrame:
    """Run one query on a (read-only) store; the columns and their time types survive
    an empty result or a column of NULLs."""
    with store.connect() as conn:
        result = conn.execute(query)
        out = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for column in query.selected_columns:
        if isinstance(column.type, sa.DateTime):
            out[column.key] = pd.to_datetime(out[column.key])
    return out


def _among(column: sa.ColumnElement[Any], tables: Sequence[str] | None) -> Any:
    return sa.true() if tables is None else column.in_(list(tables))


def _count_if(condition: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


#: Run kinds that say whether a table is being monitored.
MONITORING_KINDS = ("profile", "backfill")
#: Run kinds whose expectation results judge the table itself (not an incoming batch).
VALIDATING_KINDS = ("profile", "validate")


def _run_stats(tables: Sequence[str] | None) -> sa.Subquery:
    """Per table: run counts, the last success, and the id of the newest run (one index
    seek per table, not a sort of every run)."""
    success = runs.c.status == "success"
    newest = runs.alias("newest_run")
    # Health follows the monitoring runs; validate/gate/ingest runs have their own sections.
    monitoring = runs.c.kind.in_(MONITORING_KINDS)
    last_run_id = sa.select(newest.c.run_id).where(
        newest.c.table_name == runs.c.table_name,
        newest.c.kind.in_(MONITORING_KINDS)).order_by(
        newest.c.started_at.desc(), newest.c.run_id.desc()).limit(1).scalar_subquery()
    return sa.select(
        runs.c.table_name, sa.func.count().label("runs"), _count_if(success).label("successes"),
        sa.func.max(sa.case((success, runs.c.finished_at))).label("last_success_at"),
        last_run_id.label("last_run_id"), _newest_snapshot_at().label("snapshot_at"),
    ).where(_among(runs.c.table_name, tables), monitoring).group_by(
        runs.c.table_name).subquery("run_stats")


def _newest_snapshot_at() -> Any:
    """The time of the newest snapshot row count of the table of ``runs`` (in a query
    grouped by it): one seek on the series index, which ends in ``ts``."""
    m = metrics
    return sa.select(sa.func.max(m.c.ts)).where(
        m.c.table_name == runs.c.table_name, m.c.metric == "row_count",
        m.c.column_name == "", m.c.granularity == SNAPSHOT).scalar_subquery()


def _snapshot(stats: sa.Subquery) -> sa.Subquery:
    """Row count and freshness at each table's newest snapshot (``stats.snapshot_at``)."""
    m = metrics
    rows, fresh = m.alias("rows"), m.alias("fresh")

    def at_newest(alias: sa.FromClause, metric: str) -> Any:
        return sa.and_(alias.c.table_name == stats.c.table_name, alias.c.metric == metric,
                       alias.c.column_name == "", alias.c.granularity == SNAPSHOT,
                       alias.c.ts == stats.c.snapshot_at)

    return sa.select(
        stats.c.table_name, stats.c.snapshot_at, rows.c.value.label("row_count"),
        fresh.c.value.label("freshness_seconds"),
    ).select_from(stats.join(rows, at_newest(rows, "row_count"))
                  .outerjoin(fresh, at_newest(fresh, "freshness_seconds"))).subquery("snapshot")


def _open_incidents(tables: Sequence[str] | None) -> sa.Subquery:
    i = incidents
    return sa.select(
        i.c.table_name, sa.func.count().label("open_incidents"),
        _count_if(i.c.severity == "critical").label("critical_incidents"),
        _count_if(i.c.status == "acknowledged").label("acknowledged_incidents"),
    ).where(_among(i.c.table_name, tables), i.c.status.in_(OPEN_INCIDENT)).group_by(
        i.c.table_name).subquery("open_incidents")


def _series_key(a: sa.FromClause, b: sa.FromClause) -> Any:
    return sa.and_(*(a.c[name] == b.c[name] for name in
                     ("table_name", "metric", "column_name", "granularity", "ts")))


SERIES = ("table_name", "metric", "column_name", "granularity")


def _newest_detections(tables: Sequence[str] | None, since: dt.datetime | None,
                       dialect: str) -> sa.FromClause:
    """The newest detection of every series (detected since ``since``): its key, ``ts``,
    ``is_anomaly`` and ``state``.

    On PostgreSQL a walk down the primary key, one index seek per series (a year of
    daily points of 5,000 series is 1.8 M rows; the walk reads 5,000); elsewhere one
    grouped scan.
    """
    d = detections
    key = [d.c[name] for name in SERIES]
    wanted = (d.c.table_name, d.c.metric, d.c.column_name, d.c.granularity, d.c.ts,
              d.c.is_anomaly, d.c.state)
    if capabilities_for(dialect).index_walk:
        newest_first = [c.desc() for c in (*key, d.c.ts)]
        # No ``IN (tables)`` inside the walk: with it the index no longer yields the
        # rows in key order; the few series of other tables are dropped at the end.
        first = sa.select(*wanted).order_by(*newest_first).limit(1).subquery("first_series")
        walk = sa.select(*first.c).cte("series_walk", recursive=True)
        after = sa.select(*wanted).where(
            sa.tuple_(*key) < sa.tuple_(*(walk.c[name] for name in SERIES)),
        ).order_by(*newest_first).limit(1).lateral("next_series")
        walk = walk.union_all(sa.select(*after.c).select_from(walk.join(after, sa.true())))
        recent = walk.c.ts >= to_naive_utc(since) if since else sa.true()
        return sa.select(walk).where(recent, _among(walk.c.table_name, tables)).subquery(
            "newest_detection")
    recent = d.c.ts >= to_naive_utc(since) if since else sa.true()
    newest = sa.select(*key, sa.func.max(d.c.ts).label("ts")).where(
        _among(d.c.table_name, tables), recent).group_by(*key).subquery("newest_ts")
    return sa.select(*wanted).select_from(d.join(newest, _series_key(d, newest))).subquery(
        "newest_detection")


def _detection_state(tables: Sequence[str] | None, since: dt.datetime | None,
                     dialect: str) -> sa.Subquery:
    """Per table, the newest detection of every watched series (labels applied)."""
    newest = _newest_detections(tables, since, dialect)
    anomalous = sa.and_(newest.c.is_anomaly == sa.true(),
                        sa.func.coalesce(feedback.c.label, "") != "expected")
    return sa.select(
        newest.c.table_name, sa.func.count().label("watched_series"),
        _count_if(anomalous).label("anomalies"),
        _count_if(newest.c.state == "learning").label("learning_series"),
        sa.func.max(newest.c.ts).label("detected_at"),
    ).select_from(newest.outerjoin(feedback, _series_key(feedback, newest))
                  ).group_by(newest.c.table_name).subquery("detection_state")


def _validation(tables: Sequence[str] | None) -> sa.Subquery:
    e = expectation_results
    # Validations of the table itself; a gated batch that was blocked is the gate
    # doing its job (shown with the gate verdicts), not a problem of the table.
    # (EXISTS: one primary-key probe per result, not a scan of every run.)
    of_table = sa.exists().where(runs.c.run_id == e.c.run_id,
                                 runs.c.kind.in_(VALIDATING_KINDS))
    newest = sa.select(e.c.table_name, sa.func.max(e.c.ts).label("ts")).where(
        _among(e.c.table_name, tables), of_table).group_by(e.c.table_name).subquery(
        "newest_validation")
    failed = e.c.success == sa.false()
    return sa.select(
        newest.c.table_name, newest.c.ts.label("validated_at"),
        sa.func.count().label("expectations"), _count_if(failed).label("failed_expectations"),
        _count_if(sa.and_(failed, e.c.severity == "critical")).label(
            "failed_critical_expectations"),
    ).select_from(newest.join(e, sa.and_(e.c.table_name == newest.c.table_name,
                                         e.c.ts == newest.c.ts, of_table))
                  ).group_by(newest.c.table_name, newest.c.ts).subquery("validation")


def _last_gate(tables: Sequence[str] | None) -> sa.Subquery:
    g = gate_verdicts
    ranked = sa.select(
        g.c.table_name, g.c.verdict, g.c.ts, g.c.reason,
        sa.func.row_number().over(partition_by=g.c.table_name,
                                  order_by=(g.c.ts.desc(), g.c.recorded_at.desc())).label("rn"),
    ).where(_among(g.c.table_name, tables)).subquery("ranked_verdicts")
    return sa.select(ranked.c.table_name, ranked.c.verdict.label("gate_verdict"),
                     ranked.c.ts.label("gate_at"), ranked.c.reason.label("gate_reason")
                     ).where(ranked.c.rn == 1).subquery("last_gate")


def latest_state(store: SqlMetricStore, tables: Sequence[str] | None = None,
                 *, now: dt.datetime | None = None,
                 detections_since: dt.datetime | None = None) -> pd.DataFrame:
    """One row per table that has runs: its last run, run counts, newest row count and
    freshness, open incidents, current anomalies, last validation, last gate verdict, mute.

    One statement; ``tables`` limits it to the configured tables, ``now`` to mutes still
    running, ``detections_since`` the detections read to find each series' newest point
    (a series with no point since then counts as not watched).
    """
    stats = _run_stats(tables)
    snap = _snapshot(stats)
    last = runs.alias("last_run")
    inc, det, val, gate = (_open_incidents(tables),
                           _detection_state(tables, detections_since,
                                            store.engine.dialect.name),
                           _validation(tables), _last_gate(tables))
    moment = to_naive_utc(now) if now else None
    mute_filter = mutes.c.muted_until > moment if moment else sa.true()
    muted = sa.select(mutes.c.table_name, mutes.c.muted_until).where(
        mute_filter).subquery("active_mutes")
    joined: sa.FromClause = stats.join(last, last.c.run_id == stats.c.last_run_id)
    for part in (snap, inc, det, val, gate, muted):
        joined = joined.outerjoin(part, part.c.table_name == stats.c.table_name)
    query = sa.select(
        stats.c.table_name, stats.c.last_run_id, last.c.kind.label("last_kind"),
        last.c.status.label("last_status"), last.c.started_at.label("last_started_at"),
        last.c.finished_at.label("last_finished_at"),
        last.c.duration_seconds.label("last_duration_seconds"),
        last.c.error.label("last_error"), last.c.error_kind.label("last_error_kind"),
        stats.c.runs, stats.c.successes, stats.c.last_success_at,
        snap.c.snapshot_at, snap.c.row_count, snap.c.freshness_seconds,
        inc.c.open_incidents, inc.c.critical_incidents, inc.c.acknowledged_incidents,
        det.c.watched_series, det.c.anomalies, det.c.learning_series, det.c.detected_at,
        val.c.validated_at, val.c.expectations, val.c.failed_expectations,
        val.c.failed_critical_expectations,
        gate.c.gate_verdict, gate.c.gate_at, gate.c.gate_reason, muted.c.muted_until,
    ).select_from(joined).order_by(stats.c.table_name)
    out = frame(store, query)
    for column in COUNT_COLUMNS:
        out[column] = out[column].fillna(0).astype("int64")
    return out


def row_count_trends(store: SqlMetricStore, since: dt.datetime,
                     tables: Sequence[str] | None = None) -> pd.DataFrame:
    """The last snapshot row count of each day since ``since``, for every table at once."""
    m = metrics
    day_rank = sa.func.row_number().over(partition_by=(m.c.table_name, day_of(m.c.ts)),
                                         order_by=m.c.ts.desc())
    daily = sa.select(m.c.table_name, m.c.ts, m.c.value, day_rank.label("rn")).where(
        _among(m.c.table_name, tables), m.c.metric == "row_count", m.c.column_name == "",
        m.c.granularity == SNAPSHOT, m.c.ts >= to_naive_utc(since)).subquery("daily")
    return frame(store, sa.select(daily.c.table_name, daily.c.ts, daily.c.value)
                 .where(daily.c.rn == 1).order_by(daily.c.table_name, daily.c.ts))


def runs_since(store: SqlMetricStore, since: dt.datetime, table: str | None = None
               ) -> pd.DataFrame:
    """Runs started since a time, oldest first, with scheduler lag in seconds."""
    r = runs
    query = sa.select(
        r.c.run_id, r.c.table_name, r.c.kind, r.c.status, r.c.trigger, r.c.scheduled_at,
        r.c.started_at, r.c.finished_at, r.c.duration_seconds, r.c.retries, r.c.attempts,
        r.c.row_count, r.c.error_kind, r.c.error,
    ).where(r.c.started_at >= to_naive_utc(since)).order_by(r.c.started_at)
    if table:
        query = query.where(r.c.table_name == table)
    out = frame(store, query)
    out["lag_seconds"] = (out["started_at"] - out["scheduled_at"]).dt.total_seconds()
    return out


def incidents_since(store: SqlMetricStore, since: dt.datetime) -> pd.DataFrame:
    """Open and acknowledged incidents, plus every incident touched since a time."""
    i = incidents
    query = sa.select(
        i.c.incident_id, i.c.table_name, i.c.check_key, i.c.status, i.c.severity, i.c.title,
        i.c.opened_at, i.c.updated_at, i.c.last_seen_at, i.c.resolved_at, i.c.occurrences,
        i.c.acknowledged_by, i.c.muted_until, i.c.acknowledged_at, i.c.resolved_by,
        i.c.resolution, i.c.resolution_note, i.c.details_json,
    ).where(sa.or_(i.c.status.in_(OPEN_INCIDENT), i.c.updated_at >= to_naive_utc(since))
            ).order_by(i.c.opened_at.desc())
    return frame(store, query)


def failed_expectations(store: SqlMetricStore, since: dt.datetime, *, limit: int = 500
                        ) -> pd.DataFrame:
    """Expectations that failed (or could not be evaluated) since a time, newest first."""
    e = expectation_results
    query = sa.select(
        e.c.table_name, e.c.ts, e.c.suite, e.c.expectation_type, e.c.column_name, e.c.severity,
        e.c.observed_value, e.c.unexpected_count, e.c.unexpected_percent, e.c.error, e.c.run_id,
    ).where(e.c.success == sa.false(), e.c.ts >= to_naive_utc(since)).order_by(
        e.c.ts.desc(), e.c.table_name).limit(limit)
    return frame(store, query)


def failed_runs(store: SqlMetricStore, since: dt.datetime, *, limit: int = 500
                ) -> pd.DataFrame:
    """Runs that failed, were lost or interrupted since a time, newest first."""
    r = runs
    query = sa.select(
        r.c.run_id, r.c.table_name, r.c.kind, r.c.status, r.c.started_at, r.c.retries,
        r.c.error_kind, r.c.error,
    ).where(r.c.status.in_(FAILED_RUN), r.c.started_at >= to_naive_utc(since)).order_by(
        r.c.started_at.desc()).limit(limit)
    return frame(store, query)


def anomalies_since(store: SqlMetricStore, since: dt.datetime, *, limit: int = 500
                    ) -> pd.DataFrame:
    """Detected anomalies since a time, newest first, with any label people gave them."""
    d = detections
    query = sa.select(
        d.c.table_name, d.c.metric, d.c.column_name, d.c.granularity, d.c.ts, d.c.value,
        d.c.expected, d.c.lower, d.c.upper, d.c.score, d.c.severity, d.c.reason,
        feedback.c.label,
    ).select_from(d.outerjoin(feedback, _series_key(feedback, d))).where(
        d.c.is_anomaly == sa.true(), d.c.ts >= to_naive_utc(since)).order_by(
        d.c.ts.desc(), d.c.table_name).limit(limit)
    return frame(store, query)
