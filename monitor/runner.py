"""One run of one table: profile -> (validate -> detect -> alert) -> one commit.

The same code path serves ``dq-monitor run`` and the scheduler. A run has a
key (table + as-of time); running the same key again replaces its results.

>>> # doctest: +SKIP
>>> result = run_table(ctx, ctx.config.table("orders"))
>>> result.status, result.row_count
('success', 1200)
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence

from monitor.alerts.step import raise_alerts
from monitor.collect import collect_metrics
from monitor.config import TableConfig
from monitor.context import MonitorContext
from monitor.errors import MonitorError, StoreError, is_transient
from monitor.retry import RetryPolicy, call_with_retry
from monitor.run_state import RunResult, RunState
from monitor.secrets import redact
from monitor.store import run_key
from monitor.timeutil import as_utc
from monitor.validate_step import validate_suites

log = logging.getLogger(__name__)

Step = Callable[[MonitorContext, RunState], None]

#: The steps of a run, in order. Each may queue writes; all commit together.
STEPS: tuple[Step, ...] = (collect_metrics, validate_suites, raise_alerts)  # raise_alerts last


def _error_kind(error: BaseException) -> str:
    return type(error).__name__


def _commit(ctx: MonitorContext, state: RunState, started: float) -> int:
    """Write every queued result and the run's status in one transaction."""
    written = 0
    with ctx.store.transaction() as conn:
        written = ctx.store.replace_points(conn, state.run_id, state.points)
        for writer in state.writers:
            writer(conn)
        ctx.store.finish_run(conn, state.run_id, status="success", row_count=state.row_count,
                             retries=state.retries,
                             duration_seconds=time.perf_counter() - started)
    return written


def _attempt(step: Step, ctx: MonitorContext, state: RunState) -> None:
    """One attempt of a step; a failed attempt leaves no queued points or writes behind."""
    points, writers, found = len(state.points), len(state.writers), len(state.found)
    after = len(state.after_commit)
    try:
        step(ctx, state)
    except Exception:
        del state.points[points:]
        del state.writers[writers:]
        del state.found[found:]
        del state.after_commit[after:]
        raise


def run_table(ctx: MonitorContext, table: TableConfig, *, as_of: dt.datetime | None = None,
              trigger: str = "cli", scheduled_at: dt.datetime | None = None,
              steps: Sequence[Step] | None = None,
              policy: RetryPolicy | None = None) -> RunResult:
    """Run every step for one table and store the results; failures come back as values.

    Transient errors (connection dropped, timeout) are retried with backoff;
    terminal ones (missing table, bad SQL) fail the run at once. Store
    failures while recording are raised (StoreError): there is nowhere to
    record them.
    """
    explicit = as_of is not None
    as_of = as_utc(as_of or scheduled_at or ctx.now()).replace(microsecond=0)
    run_id = run_key(table.name, as_of)
    policy = policy or RetryPolicy(attempts=ctx.config.profiling.max_retries + 1)
    started = time.perf_counter()
    ctx.store.start_run(run_id, table.name, kind="profile", as_of=as_of, trigger=trigger,
                        scheduled_at=scheduled_at)
    state = RunState(table=table, run_id=run_id, as_of=as_of, trigger=trigger,
                     explicit_as_of=explicit)
    try:
        for step in steps or STEPS:
            name = getattr(step, "__name__", "step")
            _, retries = call_with_retry(lambda s=step: _attempt(s, ctx, state), policy,
                                         what=f"{name} of table {table.name!r}")
            state.retries += retries
        written = _commit(ctx, state, started)
        for action in state.after_commit:
            try:
                action()
            except Exception:  # delivery problems are retried from the outbox later
                log.exception("after-commit action of run %s failed", run_id)
    except StoreError:
        raise
    except MonitorError as error:
        state.retries += getattr(error, "retries", 0)
        return _failed(ctx, state, error, started)
    duration = time.perf_counter() - started
    result = RunResult(table=table.name, run_id=run_id, status="success", as_of=as_of,
                       duration_seconds=duration, row_count=state.row_count,
                       retries=state.retries, points_written=written,
                       findings=dict(state.findings), found=tuple(state.found),
                       problems=tuple(state.problems))
    _log(result)
    return result


def _failed(ctx: MonitorContext, state: RunState, error: MonitorError,
            started: float) -> RunResult:
    message = redact(str(error))
    kind = _error_kind(error) + (" (transient)" if is_transient(error) else "")
    duration = time.perf_counter() - started
    with ctx.store.transaction() as conn:
        ctx.store.finish_run(conn, state.run_id, status="failed", error=message,
                             error_kind=kind, retries=state.retries, duration_seconds=duration)
    result = RunResult(table=state.table.name, run_id=state.run_id, status="failed",
                       as_of=state.as_of, duration_seconds=duration, error=message,
                       error_kind=kind, retries=state.retries, problems=tuple(state.problems))
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
