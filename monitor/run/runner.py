"""One run of one table: profile -> (validate -> detect -> alert) -> one commit.

A step that fails after the profile is collected does not throw the profile
away: what the finished steps queued is committed, the run is ``partial``
and ``dq_runs.error`` names the failed step; the next run judges the points
this one left without a verdict. A failing profile step fails the run.
The same code path serves ``dq-monitor run`` and the scheduler. A run has a
key (table + as-of time); running the same key again replaces its results.
Scheduled runs claim their key (``once``), so a second trigger for the same
table and time is skipped. With a ``spool``, results the metric store cannot
take (it is down) are kept locally and replayed later (``monitor.run.spool``).

>>> result = run_table(ctx, ctx.config.table("orders"))  # doctest: +SKIP
>>> result.status, result.row_count  # doctest: +SKIP
('success', 1200)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from monitor.config.models import TableConfig
from monitor.config.secrets import redact
from monitor.errors import MonitorError, StoreError, StoreUnavailable, is_transient
from monitor.lineage.datasets import describe_run
from monitor.retry import RetryPolicy, call_with_retry
from monitor.run.alert import raise_alerts
from monitor.run.collect import collect_metrics
from monitor.run.context import MonitorContext
from monitor.run.detect import detect_anomalies
from monitor.run.record import RunEntry, recorded_run
from monitor.run.state import RunResult, RunState
from monitor.run.validate import validate_suites
from monitor.store import RunRecord, SqlMetricStore, run_key
from monitor.timeutil import as_utc, not_in_future, utcnow

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from monitor.run.spool import Spool

log = logging.getLogger(__name__)

Step = Callable[[MonitorContext, RunState], None]

#: The steps of a run, in order. Each may queue writes; the writes of the steps that
#: succeeded commit together (a later step failing makes the run ``partial``).
STEPS: tuple[Step, ...] = (collect_metrics, validate_suites, detect_anomalies,
                          raise_alerts)  # alerts last


def _error_kind(error: BaseException) -> str:
    return type(error).__name__


def _commit(store: SqlMetricStore, state: RunState, run: RunEntry, *,
            spooled: bool = False, status: str = "success", error: str | None = None,
            error_kind: str | None = None) -> int:
    """Write every queued result and the run's status in one transaction."""
    def write(conn: Connection) -> int:
        written = store.replace_points(conn, state.run_id, state.points)
        for writer in state.writers_for(spooled=spooled):
            writer(conn)
        return written

    run.retries = state.retries
    return run.commit(write, status=status, row_count=state.row_count, error=error,
                      error_kind=error_kind, store=store) or 0


def _kind(error: BaseException) -> str:
    return _error_kind(error) + (" (transient)" if is_transient(error) else "")


def _steps(ctx: MonitorContext, state: RunState, steps: Sequence[Step],
           policy: RetryPolicy) -> list[tuple[str, MonitorError]]:
    """Run the steps in order; the errors of steps after the profile, as values.

    The first step (the profile) failing, or any step failing before there are
    points to keep, raises: there is nothing to commit. A later step's error
    (after its retries) is returned and the remaining steps still run.
    """
    failed: list[tuple[str, MonitorError]] = []
    for index, step in enumerate(steps):
        name = getattr(step, "__name__", "step")
        try:
            _, retries = call_with_retry(lambda s=step: _attempt(s, ctx, state), policy,
                                         what=f"{name} of table {state.table.name!r}")
        except MonitorError as error:
            if index == 0 or not state.points:
                raise
            state.retries += getattr(error, "retries", 0)
            log.warning("step %s of run %s failed; the run keeps its profile: %s",
                        name, state.run_id, redact(str(error)))
            failed.append((name, error))
            continue
        state.retries += retries
    return failed


def _keep(spool: Spool, state: RunState, run: RunEntry,
          finish: Callable[[SqlMetricStore], int]) -> tuple[str, int]:
    """Write the run to the spool: ("spooled", n), or ("lost", 0), said loudly."""
    def write(store: SqlMetricStore) -> int:
        run.start(store)
        return finish(store)

    try:
        return "spooled", spool.keep(state.run_id, write)
    except StoreError as error:
        log.error("run %s LOST: the metric store is down and the spool failed: %s",
                  state.run_id, error, extra={"dq": {"event": "lost", "run_id": state.run_id}})
        now = utcnow()
        spool.lose(RunRecord(run_id=state.run_id, table=state.table.name, kind="profile",
                             as_of=state.as_of, status="lost", started_at=now, finished_at=now,
                             error=f"metric store down and spool failed: {error}",
                             error_kind=type(error).__name__, retries=state.retries,
                             trigger=state.trigger, scheduled_at=run.scheduled_at))
        run.lost()
        return "lost", 0


def _attempt(step: Step, ctx: MonitorContext, state: RunState) -> None:
    """One attempt of a step; a failed attempt leaves no queued points or writes behind."""
    points, writers, found = len(state.points), len(state.writers), len(state.found)
    after = len(state.after_commit)
    try:
        step(ctx, state)
    except Exception:
        del state.points[points:]
        del state.writers[writers:]
        for index in [i for i in state.spool_writers if i >= writers]:
            del state.spool_writers[index]
        del state.found[found:]
        del state.after_commit[after:]
        raise


def run_table(ctx: MonitorContext, table: TableConfig, *, as_of: dt.datetime | None = None,
              trigger: str = "cli", scheduled_at: dt.datetime | None = None,
              steps: Sequence[Step] | None = None,
              policy: RetryPolicy | None = None, spool: Spool | None = None,
              once: bool = False) -> RunResult:
    """Run every step for one table and store the results; failures come back as values.

    Transient errors (connection dropped, timeout) are retried with backoff;
    terminal ones (missing table, bad SQL) fail the run at once. Store
    failures while recording are raised (StoreError): there is nowhere to
    record them, unless a ``spool`` keeps the run (status ``spooled``, or
    ``lost`` if even that fails). ``once``: skip (status ``skipped``) when
    this key already ran or is running.
    """
    explicit = as_of is not None
    if as_of is not None:
        not_in_future(as_of, ctx.now(), what=f"run of {table.name!r}: as-of time")
    as_of = as_utc(as_of or scheduled_at or ctx.now()).replace(microsecond=0)
    run_id = run_key(table.name, as_of)
    policy = policy or RetryPolicy(attempts=ctx.config.profiling.max_retries + 1)
    with recorded_run(lambda: ctx.store, run_id, table.name, kind="profile", as_of=as_of,
                      trigger=trigger, scheduled_at=scheduled_at, claim=once,
                      store_may_be_down=spool is not None,
                      lineage=ctx.lineage_run(table, "profile", nominal=as_of)) as run:
        if not run.claimed:
            log.info("run %s skipped: this key already ran or is running", run_id)
            return RunResult(table=table.name, run_id=run_id, status="skipped", as_of=as_of,
                             duration_seconds=0.0)
        state = RunState(table=table, run_id=run_id, as_of=as_of, trigger=trigger,
                         explicit_as_of=explicit)
        try:
            return _run(ctx, state, run, steps or STEPS, policy, spool)
        except StoreError as error:
            if spool is None or not is_transient(error):
                raise
            state.retries += getattr(error, "retries", 0)
            return _failed(ctx, state, run, error, spool)
        except MonitorError as error:
            state.retries += getattr(error, "retries", 0)
            return _failed(ctx, state, run, error, spool)


def _run(ctx: MonitorContext, state: RunState, run: RunEntry, steps: Sequence[Step],
         policy: RetryPolicy, spool: Spool | None) -> RunResult:
    """The steps, the commit (or the spool), then the after-commit actions."""
    error: str | None = None
    kind: str | None = None
    failed = _steps(ctx, state, steps, policy)
    if run.lineage is not None:
        run.lineage.update(lambda lineage: describe_run(lineage.inputs[0], state))
    status = "partial" if failed else "success"
    if failed:
        error = redact("; ".join(f"{name} failed: {e}" for name, e in failed))
        kind = _kind(failed[0][1])
    try:
        written = _commit(ctx.store, state, run, status=status, error=error, error_kind=kind)
    except StoreUnavailable:
        if spool is None:
            raise
        stored = status
        status, written = _keep(spool, state, run,
                                lambda store: _commit(store, state, run, spooled=True,
                                                      status=stored, error=error,
                                                      error_kind=kind))
    for action in state.after_commit if status in ("success", "partial") else ():
        try:
            action()
        except Exception:  # delivery problems are retried from the outbox later
            log.exception("after-commit action of run %s failed", state.run_id)
    result = RunResult(table=state.table.name, run_id=state.run_id, status=status,
                       as_of=state.as_of, duration_seconds=run.seconds(),
                       row_count=state.row_count, error=error, error_kind=kind,
                       retries=state.retries, points_written=written,
                       findings=dict(state.findings), found=tuple(state.found),
                       problems=tuple(state.problems))
    _log(result)
    return result


def _failed(ctx: MonitorContext, state: RunState, run: RunEntry, error: MonitorError,
            spool: Spool | None = None) -> RunResult:
    message = redact(str(error))
    kind = _kind(error)
    run.retries = state.retries

    def finish(store: SqlMetricStore) -> int:
        run.fail(error, error_kind=kind, store=store)
        return 0

    status, problems = "failed", list(state.problems)
    try:
        finish(ctx.store)
    except StoreUnavailable:
        if spool is None:
            raise
        kept, _ = _keep(spool, state, run, finish)
        status = "failed" if kept == "spooled" else "lost"
        problems.append("the failure is recorded in the local spool until the store is back"
                        if kept == "spooled" else "the failure could not be recorded")
    result = RunResult(table=state.table.name, run_id=state.run_id, status=status,
                       as_of=state.as_of, duration_seconds=run.seconds(), error=message,
                       error_kind=kind, retries=state.retries, problems=tuple(problems))
    _log(result)
    return result


def _log(result: RunResult) -> None:
    level = logging.INFO if result.ok else logging.ERROR
    log.log(level, "run table=%s status=%s duration=%.2fs rows=%s retries=%d%s",
            result.table, result.status, result.duration_seconds,
            "-" if result.row_count is None else result.row_count, result.retries,
            f" error={result.error}" if result.error else "",
            extra={"dq": {"event": "run", "table": result.table, "status": result.status,
                          "duration_seconds": round(result.duration_seconds, 3),
                          "row_count": result.row_count, "retries": result.retries,
                          "run_id": result.run_id, "error": result.error}})


def run_tables(ctx: MonitorContext, tables: Iterable[TableConfig], *,
               as_of: dt.datetime | None = None, trigger: str = "cli",
               progress: Callable[[RunResult], None] | None = None) -> list[RunResult]:
    """Run several tables; one failing table never stops the others."""
    results = []
    for table in tables:
        try:
            result = run_table(ctx, table, as_of=as_of, trigger=trigger)
        except StoreError as error:
            # The store itself failed: report it as this table's result and go on.
            stamp = as_utc(as_of or ctx.now()).replace(microsecond=0)
            result = RunResult(table=table.name, run_id=run_key(table.name, stamp),
                               status="lost", as_of=stamp, duration_seconds=0.0,
                               error=redact(str(error)), error_kind=type(error).__name__)
            _log(result)
        results.append(result)
        if progress:
            progress(result)
    return results
