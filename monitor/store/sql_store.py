"""The metric history store on SQLAlchemy Core (SQLite by default, PostgreSQL in production).

>>> store = SqlMetricStore("sqlite:///:memory:")
>>> store.ensure_schema()
>>> store.schema_version()
3
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from monitor.config.secrets import redact
from monitor.errors import StoreError, StoreUnavailable
from monitor.metrics.points import MetricPoint
from monitor.store import schema
from monitor.store.liveness import LEASE, Heartbeat, orphan_reason, process_owner
from monitor.store.upsert import replace_rows, upsert
from monitor.timeutil import to_naive_utc, utcnow
from monitor.warehouse import create_engine

log = logging.getLogger(__name__)

RUN_STATUSES = ("running", "success", "partial", "failed", "interrupted", "lost")


@dataclass(frozen=True)
class RunRecord:
    """One run of one table, as recorded in ``dq_runs``."""

    run_id: str
    table: str
    kind: str
    as_of: dt.datetime
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    duration_seconds: float | None = None
    row_count: int | None = None
    error: str | None = None
    error_kind: str | None = None
    retries: int = 0
    attempts: int = 1
    trigger: str = "cli"
    scheduled_at: dt.datetime | None = None
    host: str | None = None  # host:pid of the process that ran it
    heartbeat_at: dt.datetime | None = None

    def orphan_reason(self, *, now: dt.datetime | None = None,
                      lease: float = LEASE) -> str | None:
        """Why this ``running`` run is dead (``monitor.store.liveness``), else None."""
        if self.status != "running":
            return None
        return orphan_reason(self.run_id, self.host, self.heartbeat_at, self.started_at,
                             now=now, lease=lease)

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> RunRecord:
        return cls(run_id=row["run_id"], table=row["table_name"], kind=row["kind"],
                   as_of=row["as_of"], status=row["status"], started_at=row["started_at"],
                   finished_at=row["finished_at"], duration_seconds=row["duration_seconds"],
                   row_count=row["row_count"], error=row["error"], error_kind=row["error_kind"],
                   retries=row["retries"] or 0, attempts=row["attempts"] or 1,
                   trigger=row["trigger"], scheduled_at=row["scheduled_at"],
                   host=row.get("host"), heartbeat_at=row.get("heartbeat_at"))


def run_key(table: str, as_of: dt.datetime, kind: str = "profile") -> str:
    """The idempotency key of a run: table, kind and as-of (scheduled) time."""
    stamp = to_naive_utc(as_of).isoformat(timespec="seconds")
    return f"{table}@{stamp}" if kind == "profile" else f"{table}@{stamp}#{kind}"


def _store_error(error: BaseException, what: str) -> StoreError:
    text = redact(str(getattr(error, "orig", None) or error).strip().splitlines()[0])
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError) or (
            isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated):
        return StoreUnavailable(f"metric store: {what}: {text}")
    return StoreError(f"metric store: {what}: {text}")


class SqlMetricStore:
    """Metric history in a SQL database reached through SQLAlchemy."""

    def __init__(self, url: str, *, read_only: bool = False, timeout: float = 60.0,
                 engine: Engine | None = None) -> None:
        self.url = url
        self.read_only = read_only
        self.engine = engine or create_engine(url, query_timeout=timeout, read_only=read_only,
                                              connect_timeout=min(timeout, 10.0))
        self.dialect = self.engine.dialect.name
        self.heartbeat = Heartbeat(self.engine)

    # -- lifecycle -------------------------------------------------------
    def ensure_schema(self) -> None:
        """Create missing tables and apply migrations; safe to call from many processes."""
        import monitor.store  # noqa: F401  (registers every feature's tables)

        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    schema.metadata.create_all(conn, checkfirst=True)
                    self._migrate(conn)
                return
            except (sa.exc.IntegrityError, sa.exc.ProgrammingError) as error:
                # Another process created the same table between check and create.
                if attempt == 2:
                    raise _store_error(error, "creating tables") from None
                time.sleep(0.2 * (attempt + 1))
            except sa.exc.SQLAlchemyError as error:
                raise _store_error(error, "creating tables") from None

    def _migrate(self, conn: Connection) -> None:
        """Bring the schema version up to date; writes nothing when it already is.

        Opening a current store must not write: on SQLite a write waits for the
        lock of any long writer, and read-only commands would wait with it.
        """
        version_of = sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")
        current = conn.execute(version_of).scalar()
        if current is not None and int(current) == schema.SCHEMA_VERSION:
            return
        # Upgrading: hold the version row (PostgreSQL) so that one process migrates.
        current = conn.execute(version_of.with_for_update()).scalar()
        version = int(current) if current is not None else None
        if version is None:
            conn.execute(schema.meta.insert().values(key="schema_version",
                                                     value=str(schema.SCHEMA_VERSION)))
            return
        if version > schema.SCHEMA_VERSION:
            raise StoreError(f"metric store {redact(self.url)!r} has schema version {version}, "
                             f"newer than this dq-monitor ({schema.SCHEMA_VERSION}); upgrade it")
        if version == schema.SCHEMA_VERSION:
            return
        for step in range(version + 1, schema.SCHEMA_VERSION + 1):
            for migration in schema.MIGRATIONS.get(step, []):
                migration(conn)
            log.info("metric store upgraded to schema version %d", step)
        conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version")
                     .values(value=str(schema.SCHEMA_VERSION)))

    def schema_version(self) -> int | None:
        with self.connect() as conn:
            value = conn.execute(sa.select(schema.meta.c.value).where(
                schema.meta.c.key == "schema_version")).scalar()
        return int(value) if value is not None else None

    def dispose(self) -> None:
        self.heartbeat.stop()
        self.engine.dispose()

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection for reads; store failures become StoreError/StoreUnavailable."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as error:
            raise _store_error(error, "reading") from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction: everything written inside commits together or not at all."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.SQLAlchemyError as error:
            raise _store_error(error, "writing") from None

    # -- runs ------------------------------------------------------------
    def start_run(self, run_id: str, table: str, *, kind: str, as_of: dt.datetime,
                  trigger: str = "cli", scheduled_at: dt.datetime | None = None,
                  claim: bool = False) -> bool:
        """Record a run as running (a rerun of the same key counts another attempt).

        With ``claim`` (scheduled runs) the key is taken only if no run under it is
        running or succeeded; False means another trigger already has it. Until
        ``finish_run``, this process keeps the run's heartbeat fresh.
        """
        now = to_naive_utc(utcnow())
        values = {"table_name": table, "kind": kind, "as_of": to_naive_utc(as_of),
                  "status": "running", "started_at": now, "finished_at": None,
                  "duration_seconds": None, "error": None, "error_kind": None,
                  "trigger": trigger, "host": process_owner(), "heartbeat_at": now,
                  "scheduled_at": to_naive_utc(scheduled_at) if scheduled_at else None}
        # Registered before the row exists, so that no other command sees the run
        # of this very process unregistered and takes it for an orphan.
        self.heartbeat.add(run_id)
        try:
            claimed = self._claim(run_id, values, claim=claim)
        except BaseException:
            self.heartbeat.discard(run_id)
            raise
        if not claimed:
            self.heartbeat.discard(run_id)
        return claimed

    def _claim(self, run_id: str, values: dict[str, Any], *, claim: bool) -> bool:
        r = schema.runs
        update = r.update().where(r.c.run_id == run_id)
        if claim:
            update = update.where(r.c.status.not_in(("running", "success")))
        with self.transaction() as conn:
            if conn.execute(update.values(attempts=r.c.attempts + 1, **values)).rowcount:
                return True
            if claim and conn.execute(sa.select(r.c.status).where(
                    r.c.run_id == run_id)).first() is not None:
                return False
        try:
            with self.engine.begin() as conn:
                conn.execute(r.insert().values(run_id=run_id, retries=0, attempts=1, **values))
        except sa.exc.IntegrityError:
            if claim:  # a concurrent trigger inserted the same key first
                return False
            return self._claim(run_id, values, claim=False)
        except sa.exc.SQLAlchemyError as error:
            raise _store_error(error, "writing") from None
        return True

    def finish_run(self, conn: Connection, run_id: str, *, status: str,
                   started_at: dt.datetime | None = None, row_count: int | None = None,
                   error: str | None = None, error_kind: str | None = None,
                   retries: int = 0, duration_seconds: float | None = None) -> None:
        """Mark a run finished, inside the caller's transaction (with its results)."""
        assert status in RUN_STATUSES, status
        self.heartbeat.discard(run_id)
        now = to_naive_utc(utcnow())
        values: dict[str, Any] = {"status": status, "finished_at": now, "row_count": row_count,
                                  "error": redact(error) if error else None,
                                  "error_kind": error_kind, "retries": retries}
        if duration_seconds is not None:
            values["duration_seconds"] = duration_seconds
        conn.execute(schema.runs.update().where(schema.runs.c.run_id == run_id).values(**values))

    def record_run(self, record: RunRecord) -> None:
        """Insert or replace a complete run record (used when replaying a spool)."""
        row = {"run_id": record.run_id, "table_name": record.table, "kind": record.kind,
               "as_of": to_naive_utc(record.as_of), "status": record.status,
               "started_at": to_naive_utc(record.started_at),
               "finished_at": to_naive_utc(record.finished_at) if record.finished_at else None,
               "duration_seconds": record.duration_seconds, "row_count": record.row_count,
               "error": redact(record.error) if record.error else None,
               "error_kind": record.error_kind, "retries": record.retries,
               "attempts": record.attempts, "trigger": record.trigger,
               "scheduled_at": (to_naive_utc(record.scheduled_at)
                                if record.scheduled_at else None),
               "host": record.host,
               "heartbeat_at": (to_naive_utc(record.heartbeat_at)
                                if record.heartbeat_at else None)}
        with self.transaction() as conn:
            upsert(conn, schema.runs, [row])

    def mark_interrupted(self, *, table: str | None = None, older_than: dt.datetime | None = None,
                         host: str | None = None) -> int:
        """Runs left ``running`` by a process that died become ``interrupted``."""
        query = schema.runs.update().where(schema.runs.c.status == "running")
        if table:
            query = query.where(schema.runs.c.table_name == table)
        if older_than:
            query = query.where(schema.runs.c.started_at < to_naive_utc(older_than))
        if host:
            query = query.where(schema.runs.c.host == host)
        with self.transaction() as conn:
            return conn.execute(query.values(
                status="interrupted", finished_at=to_naive_utc(utcnow()),
                error="the process running it stopped before it finished")).rowcount

    def mark_stale_runs(self, *, now: dt.datetime | None = None, lease: float = LEASE,
                        mine_started_before: dt.datetime | None = None) -> int:
        """Runs left ``running`` by a dead process become ``interrupted``; how many.

        Who is dead is decided by ``monitor.store.liveness`` (owner process gone,
        or no heartbeat for ``lease`` seconds). Reads first and writes only when
        there is an orphan; a run that beat or restarted meanwhile is left alone.
        """
        now = to_naive_utc(now or utcnow())
        r = schema.runs
        with self.connect() as conn:
            rows = conn.execute(sa.select(r.c.run_id, r.c.host, r.c.heartbeat_at,
                                          r.c.started_at).where(r.c.status == "running")
                                ).all()
        orphans = [(row, reason) for row in rows if (reason := orphan_reason(
            row.run_id, row.host, row.heartbeat_at, row.started_at, now=now, lease=lease,
            mine_started_before=mine_started_before))]
        if not orphans:
            return 0
        marked = 0
        with self.transaction() as conn:
            for row, reason in orphans:
                marked += conn.execute(r.update().where(
                    r.c.run_id == row.run_id, r.c.status == "running",
                    r.c.started_at == row.started_at,
                    r.c.heartbeat_at.is_not_distinct_from(row.heartbeat_at)).values(
                    status="interrupted", finished_at=now,
                    duration_seconds=(now - row.started_at).total_seconds(),
                    error=f"the process running it stopped before it finished: {reason}",
                    error_kind="Interrupted")).rowcount
        if marked:
            log.warning("marked %d run(s) interrupted: their process stopped before they "
                        "finished", marked, extra={"dq": {"event": "interrupted",
                                                         "runs": marked}})
        return marked

    def runs(self, table: str | None = None, *, limit: int = 100, kind: str | None = None,
             status: str | None = None, since: dt.datetime | None = None) -> list[RunRecord]:
        """Most recent runs first."""
        query = sa.select(schema.runs).order_by(schema.runs.c.started_at.desc()).limit(limit)
        if table:
            query = query.where(schema.runs.c.table_name == table)
        if kind:
            query = query.where(schema.runs.c.kind == kind)
        if status:
            query = query.where(schema.runs.c.status == status)
        if since:
            query = query.where(schema.runs.c.started_at >= to_naive_utc(since))
        with self.connect() as conn:
            return [RunRecord.from_row(r) for r in conn.execute(query).mappings()]

    def run(self, run_id: str) -> RunRecord | None:
        with self.connect() as conn:
            row = conn.execute(sa.select(schema.runs).where(
                schema.runs.c.run_id == run_id)).mappings().first()
        return RunRecord.from_row(row) if row else None

    def latest_runs(self, kind: str | None = None) -> dict[str, RunRecord]:
        """The newest run of each table."""
        r = schema.runs
        newest = sa.select(r.c.table_name, sa.func.max(r.c.started_at).label("started_at"))
        if kind:
            newest = newest.where(r.c.kind == kind)
        newest_sq = newest.group_by(r.c.table_name).subquery()
        query = sa.select(r).join(newest_sq, sa.and_(
            r.c.table_name == newest_sq.c.table_name, r.c.started_at == newest_sq.c.started_at))
        if kind:
            query = query.where(r.c.kind == kind)
        with self.connect() as conn:
            return {row["table_name"]: RunRecord.from_row(row)
                    for row in conn.execute(query).mappings()}

    # -- metric points ----------------------------------------------------
    def replace_points(self, conn: Connection, run_id: str,
                       points: Sequence[MetricPoint]) -> int:
        """Replace every point at the same (table, granularity, time) as the given ones.

        Idempotent: writing the same profile twice leaves one set of points. Two
        runs writing the same points at once do not fail: the later one waits
        for the first and replaces its points (an upsert, not delete-then-insert).
        """
        if not points:
            return 0
        m = schema.metrics
        now = to_naive_utc(utcnow())
        groups: dict[tuple[str, str], dict[dt.datetime, list[dict[str, Any]]]] = {}
        for p in points:
            groups.setdefault((p.table, p.granularity), {}).setdefault(p.ts, []).append(
                {"table_name": p.table, "granularity": p.granularity, "ts": p.ts,
                 "column_name": p.column, "metric": p.metric, "value": p.value,
                 "value_text": p.value_text, "run_id": run_id, "recorded_at": now})
        # Whatever else is stored at these times goes: the new profile replaces it whole.
        for (table, granularity), by_ts in sorted(groups.items()):
            for stamps in _chunks(sorted(by_ts), 500):
                replace_rows(conn, m, [row for ts in stamps for row in by_ts[ts]],
                             scope=[m.c.table_name == table, m.c.granularity == granularity,
                                    m.c.ts.in_(stamps)],
                             vary=["ts", "column_name", "metric"])
        return len(points)

    def replace_schema(self, conn: Connection, run_id: str, table: str, ts: dt.datetime,
                       columns: Sequence[tuple[str, str]]) -> None:
        """Store the column list (name, type) seen at ``ts``."""
        s = schema.schemas
        naive = to_naive_utc(ts)
        replace_rows(conn, s, [{"table_name": table, "ts": naive, "column_name": name,
                                "data_type": type_, "ordinal": i, "run_id": run_id}
                               for i, (name, type_) in enumerate(columns)],
                     scope=[s.c.table_name == table, s.c.ts == naive], vary=["column_name"])

    def points(self, table: str, *, metric: str | None = None, column: str | None = None,
               granularity: str | None = None, since: dt.datetime | None = None,
               until: dt.datetime | None = None, limit: int | None = None
               ) -> list[MetricPoint]:
        """Stored points in time order."""
        m = schema.metrics
        query = sa.select(m).where(m.c.table_name == table).order_by(m.c.ts, m.c.column_name,
                                                                     m.c.metric)
        if metric:
            query = query.where(m.c.metric == metric)
        if column is not None:
            query = query.where(m.c.column_name == column)
        if granularity:
            query = query.where(m.c.granularity == granularity)
        if since:
            query = query.where(m.c.ts >= to_naive_utc(since))
        if until:
            query = query.where(m.c.ts <= to_naive_utc(until))
        if limit:
            query = query.limit(limit)
        with self.connect() as conn:
            return [MetricPoint(r["table_name"], r["column_name"], r["metric"],
                                r["granularity"], r["ts"], r["value"], r["value_text"])
                    for r in conn.execute(query).mappings()]

    def latest_bucket(self, table: str, granularity: str) -> dt.datetime | None:
        """The newest stored bucket start: the watermark of incremental runs."""
        m = schema.metrics
        with self.connect() as conn:
            return conn.execute(sa.select(sa.func.max(m.c.ts)).where(
                m.c.table_name == table, m.c.granularity == granularity,
                m.c.metric == "row_count", m.c.column_name == "")).scalar()

    def aggregate(self, table: str, metric: str, granularity: str, fn: str = "sum", *,
                  column: str = "", before: dt.datetime | None = None) -> float | None:
        """sum/max/min/count of a stored series, optionally of points before a time."""
        m = schema.metrics
        agg = {"sum": sa.func.sum, "max": sa.func.max, "min": sa.func.min,
               "count": sa.func.count}[fn]
        query = sa.select(agg(m.c.value)).where(
            m.c.table_name == table, m.c.metric == metric, m.c.granularity == granularity,
            m.c.column_name == column)
        if before is not None:
            query = query.where(m.c.ts < to_naive_utc(before))
        with self.connect() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else float(value)

    def schema_snapshots(self, table: str, *, limit: int = 2
                         ) -> list[tuple[dt.datetime, list[tuple[str, str]]]]:
        """The newest column lists of a table, newest first."""
        s = schema.schemas
        with self.connect() as conn:
            stamps = conn.execute(
                sa.select(s.c.ts).where(s.c.table_name == table).distinct()
                .order_by(s.c.ts.desc()).limit(limit)).scalars().all()
            out = []
            for ts in stamps:
                rows = conn.execute(sa.select(s.c.column_name, s.c.data_type)
                                    .where(s.c.table_name == table, s.c.ts == ts)
                                    .order_by(s.c.ordinal)).all()
                out.append((ts, [(r[0], r[1]) for r in rows]))
        return out

    def tables(self) -> list[str]:
        """Every table name that has runs or points."""
        with self.connect() as conn:
            a = conn.execute(sa.select(schema.runs.c.table_name).distinct()).scalars().all()
            b = conn.execute(sa.select(schema.metrics.c.table_name).distinct()).scalars().all()
        return sorted(set(a) | set(b))

    def series(self, table: str) -> list[tuple[str, str]]:
        """The (column, metric) pairs stored for ``table``; column ``""`` for table metrics."""
        m = schema.metrics
        with self.connect() as conn:
            rows = conn.execute(sa.select(m.c.column_name, m.c.metric).where(
                m.c.table_name == table).distinct()).all()
        return sorted((r[0] or "", r[1]) for r in rows)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def open_store(url: str, *, read_only: bool = False, timeout: float = 60.0,
               create: bool = True) -> SqlMetricStore:
    """Open the metric store (creating or upgrading its tables unless read-only).

    A writable open also marks ``interrupted`` the runs whose process died.
    """
    store = SqlMetricStore(url, read_only=read_only, timeout=timeout)
    if create and not read_only:
        store.ensure_schema()
        _recover_orphans(store)
    return store


def _recover_orphans(store: SqlMetricStore) -> None:
    try:
        store.mark_stale_runs()
    except StoreError as error:  # the command itself may still work; the next open retries
        log.warning("could not check for runs whose process died: %s", error)
