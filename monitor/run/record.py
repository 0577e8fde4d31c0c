"""Run bookkeeping, written once: a run is started, then finished or failed exactly once.

Every kind of run (``profile``, ``backfill``, ``validate``, ``gate``, ``ingest``) is a
row in ``dq_runs``: ``running`` when it starts, then ``success``, ``partial`` or
``failed`` with its duration, retries and (masked) error. ``recorded_run`` does that:

>>> with recorded_run(store, "r1", "orders", kind="validate", as_of=now) as run:
...     done = run.commit(lambda conn: 3, status="success", row_count=3)
>>> store.run("r1").status, store.run("r1").row_count, done
('success', 3, 3)

An exception inside marks the run ``failed`` with its error (secrets masked, as
``monitor.config.secrets.redact`` masks them) and goes on up:

>>> with recorded_run(store, "r2", "orders", kind="validate", as_of=now):
...     raise ValueError("warehouse refused")
Traceback (most recent call last):
ValueError: warehouse refused
>>> store.run("r2").status, store.run("r2").error, store.run("r2").error_kind
('failed', 'warehouse refused', 'ValueError')

A run commits its results and its status in one transaction (``commit(write)``),
so a run that finished shows its results, and one whose commit failed is marked
failed instead. Leaving the block without finishing a claimed run is a bug
(``RunBookkeepingError``; the run is marked failed).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from monitor.config.secrets import redact
from monitor.errors import MonitorError, StoreUnavailable

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from monitor.lineage.emitter import LineageRun
    from monitor.store import SqlMetricStore

__all__ = ["RunBookkeepingError", "RunEntry", "recorded_run"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class RunBookkeepingError(RuntimeError):
    """A bug: a run finished twice, or a claimed run left unfinished (exit code 3)."""


class RunEntry:
    """One run's entry in ``dq_runs``, from ``running`` to its one final status."""

    def __init__(self, store: SqlMetricStore | Callable[[], SqlMetricStore], run_id: str | None,
                 table: str, *, kind: str, as_of: dt.datetime, trigger: str = "cli",
                 scheduled_at: dt.datetime | None = None) -> None:
        self._store, self.run_id, self.table, self.kind = store, run_id, table, kind
        self.as_of, self.trigger, self.scheduled_at = as_of, trigger, scheduled_at
        self.started = time.perf_counter()
        #: False when another trigger holds the key (``claim``): nothing to record.
        self.claimed = run_id is not None
        #: False when the store was down at the start (the caller keeps the run elsewhere).
        self.in_store = run_id is not None
        self.retries = 0
        self.status: str | None = None
        #: The run's OpenLineage events (``recorded_run(lineage=...)``), None without.
        self.lineage: LineageRun | None = None

    @property
    def store(self) -> SqlMetricStore:
        """The run's store (opened now if it was given as a function that opens it)."""
        if callable(self._store):
            self._store = self._store()
        return self._store

    @property
    def recording(self) -> bool:
        """Whether this run is written anywhere (False for ``record=False`` or unclaimed)."""
        return self.run_id is not None and self.claimed

    @property
    def finished(self) -> bool:
        return self.status is not None

    def seconds(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    def start(self, store: SqlMetricStore | None = None, *, claim: bool = False) -> bool:
        """Record the run as ``running`` in ``store`` (default: the run's store)."""
        assert self.run_id is not None
        return (store or self.store).start_run(
            self.run_id, self.table, kind=self.kind, as_of=self.as_of, trigger=self.trigger,
            scheduled_at=self.scheduled_at, claim=claim)

    def commit(self, write: Callable[[Connection], T] | None = None, *, status: str = "success",
               row_count: int | None = None, error: str | None = None,
               error_kind: str | None = None,
               store: SqlMetricStore | None = None) -> T | None:
        """Run ``write`` and finish the run with ``status``, in one transaction.

        Returns what ``write`` returned. Not recording: writes nothing, returns None.
        """
        if not self.recording:
            return None
        self._refuse_second_finish(status)
        target = store or self.store
        assert self.run_id is not None
        with target.transaction() as conn:
            value = write(conn) if write is not None else None
            target.finish_run(conn, self.run_id, status=status, row_count=row_count,
                              error=redact(error) if error else None, error_kind=error_kind,
                              retries=self.retries, duration_seconds=self.seconds())
        self.status = status
        if self.lineage is not None:
            self.lineage.finish(status, error)
        return value

    def fail(self, error: BaseException, *, write: Callable[[Connection], object] | None = None,
             error_kind: str | None = None, store: SqlMetricStore | None = None) -> None:
        """Finish the run ``failed`` with the masked error (and ``write``, same commit)."""
        self.commit(write, status="failed", error=str(error),
                    error_kind=error_kind or type(error).__name__, store=store)

    def lost(self) -> None:
        """Neither the store nor the spool kept the run: nothing more can be written.

        Also after a commit to a spool file that was then thrown away.
        """
        self.status = "lost"
        if self.lineage is not None:
            self.lineage.finish("lost")

    def _refuse_second_finish(self, status: str) -> None:
        if self.finished:
            raise RunBookkeepingError(f"run {self.run_id!r} finished twice "
                                      f"({self.status}, then {status})")


@contextmanager
def recorded_run(store: SqlMetricStore | Callable[[], SqlMetricStore], run_id: str | None,
                 table: str, *, kind: str,
                 as_of: dt.datetime, trigger: str = "cli",
                 scheduled_at: dt.datetime | None = None, claim: bool = False,
                 store_may_be_down: bool = False,
                 on_failure: Callable[[Connection, BaseException], object] | None = None,
                 lineage: LineageRun | None = None) -> Iterator[RunEntry]:
    """Start a run (``run_id`` None: record nothing), yield it, fail it on an exception.

    ``store`` may be a function that opens it (``lambda: ctx.store``): a store that
    cannot be opened is then a store down at the start. ``claim``: take the key only if
    it is free (``run.claimed`` False otherwise).
    ``store_may_be_down``: a store that is down at the start does not raise
    (``run.in_store`` False; the caller spools the run). ``on_failure(conn, error)``
    writes what a failed run leaves besides its row, in the same commit. When
    recording the failure fails too, the original exception is the one raised.
    ``lineage``: its START is sent once the run is claimed, COMPLETE/FAIL when it
    finishes (``monitor.lineage``; a failed send never fails the run).
    """
    run = RunEntry(store, run_id, table, kind=kind, as_of=as_of, trigger=trigger,
                      scheduled_at=scheduled_at)
    if run_id is not None:
        try:
            run.claimed = run.start(claim=claim)
        except StoreUnavailable as error:
            if not store_may_be_down:
                raise
            log.warning("run %s starts without the metric store (%s); its result will be "
                        "spooled", run_id, error)
            run.in_store = False
    if lineage is not None and run.claimed:
        run.lineage = lineage
        lineage.start()
    try:
        yield run
    except Exception as error:
        if run.recording and not run.finished and not isinstance(error, StoreUnavailable):
            write = ((lambda conn, e=error: on_failure(conn, e)) if on_failure is not None
                     else None)
            try:
                run.fail(error, write=write)
            except MonitorError as failure:  # the store is down: the error says what happened
                log.warning("run %s: could not record its failure: %s", run_id,
                            redact(str(failure)))
        if run.lineage is not None:
            run.lineage.finish("failed", str(error))
        raise
    if run.recording and not run.finished:
        bug = RunBookkeepingError(f"run {run_id!r} ended without being finished")
        run.fail(bug)
        raise bug
