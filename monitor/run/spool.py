"""A local spool for run results the metric store could not take.

When the metric store is down at the end of a run, the run's single
transaction is written instead to a small SQLite file with the store's own
schema (one file per run, made visible by an atomic rename). When the store
is back, ``replay`` copies each file into it in one transaction and deletes the
file. Replays are idempotent: a row replaces the stored row with the same key
unless the stored one is newer (written later by another run), so replaying a
file twice, or after a crash between commit and delete, changes nothing.

Writes in tables keyed by an auto-increment number cannot be replayed
safely, so a run whose checks raise alerts keeps its findings instead
(``dq_pending_findings``); the replay decides incidents and queues the alerts
against the real store, in the transaction that copies the run. Any other
such write is refused (``SpoolError``) and the caller records the run as lost.

>>> import tempfile
>>> spool = Spool(tempfile.mkdtemp())
>>> spool.pending()
[]
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa

from monitor.config.models import MonitorConfig
from monitor.errors import MonitorError, StoreError
from monitor.store import SqlMetricStore
from monitor.store.copy import merge_rows, numbered_table_with_rows, read_store_rows
from monitor.store.sql_store import RunRecord

log = logging.getLogger(__name__)
T = TypeVar("T")

SUFFIX = ".spool.db"


class SpoolError(StoreError):
    """A run's results could not be kept in the spool (disk, permissions, unsupported write)."""


@dataclass
class ReplayReport:
    """What one replay did."""

    replayed: list[str] = field(default_factory=list)  # run ids now in the store
    failed: list[str] = field(default_factory=list)  # files left for the next replay
    lost_recorded: int = 0

    def __bool__(self) -> bool:
        return bool(self.replayed or self.failed or self.lost_recorded)


def default_spool_dir(config: MonitorConfig) -> Path:
    """``scheduler.spool_dir`` (relative to the config file), else ``.dq-monitor/spool`` there."""
    base = Path(config.base_dir)
    chosen = config.scheduler.spool_dir
    if chosen:
        path = Path(chosen)
        return path if path.is_absolute() else base / path
    return base / ".dq-monitor" / "spool"


class Spool:
    """Run results waiting for the metric store, one SQLite file per run."""

    def __init__(self, directory: Path | str, config: MonitorConfig | None = None) -> None:
        self.directory = Path(directory)
        self.config = config  # needed to replay runs whose findings raise alerts
        self.lost: list[RunRecord] = []  # runs that could not even be spooled
        self._lock = threading.Lock()

    @classmethod
    def for_config(cls, config: MonitorConfig) -> Spool:
        return cls(default_spool_dir(config), config)

    def pending(self) -> list[Path]:
        """Spooled runs not yet in the store, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(SUFFIX))

    # -- keeping ---------------------------------------------------------------------
    def keep(self, run_id: str, write: Callable[[SqlMetricStore], T]) -> T:
        """Run ``write`` against a fresh spool file for ``run_id``; SpoolError if impossible."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        digest = hashlib.sha1(run_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
        final = self.directory / f"{stamp}-{digest}{SUFFIX}"
        temporary = self.directory / f".{final.name}.tmp"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            store = SqlMetricStore(f"sqlite:///{temporary}")
            try:
                store.ensure_schema()
                value = write(store)
                _refuse_unreplayable(store, run_id)
            finally:
                store.dispose()
            os.replace(temporary, final)
            _fsync_dir(self.directory)
        except (OSError, MonitorError, sa.exc.SQLAlchemyError) as error:
            with contextlib.suppress(OSError):
                temporary.unlink()
            if isinstance(error, SpoolError):
                raise
            raise SpoolError(f"spool {self.directory}: cannot keep run {run_id!r}: "
                             f"{error}") from None
        log.warning("run %s kept in the spool (%s) until the metric store is back", run_id,
                    final.name, extra={"dq": {"event": "spooled", "run_id": run_id}})
        return value

    def lose(self, record: RunRecord) -> None:
        """Remember a run that could not be stored nor spooled; recorded as lost later."""
        with self._lock:
            self.lost.append(record)

    # -- replaying -------------------------------------------------------------------
    def replay(self, store: SqlMetricStore) -> ReplayReport:
        """Copy every spooled run into ``store`` (one transaction each), oldest first.

        Only one process replays a spool directory at a time; a second caller
        returns an empty report at once.
        """
        report = ReplayReport()
        if not self.pending() and not self.lost:
            return report
        with self._exclusive() as mine:
            if not mine:
                return report
            self._record_lost(store, report)
            for path in self.pending():
                try:
                    report.replayed += replay_file(path, store, self.config)
                except (StoreError, sa.exc.SQLAlchemyError) as error:
                    log.warning("spool replay of %s failed (%s); will try again", path.name,
                                str(error).splitlines()[0])
                    report.failed.append(path.name)
                    break  # the store is probably down again; keep the order
                path.unlink(missing_ok=True)
        if report.replayed:
            log.info("replayed %d spooled run(s) into the metric store: %s",
                     len(report.replayed), ", ".join(report.replayed),
                     extra={"dq": {"event": "spool_replayed", "runs": report.replayed}})
        return report

    def _record_lost(self, store: SqlMetricStore, report: ReplayReport) -> None:
        with self._lock:
            waiting, self.lost = self.lost, []
        for i, record in enumerate(waiting):
            try:
                store.record_run(record)
                report.lost_recorded += 1
            except StoreError:
                with self._lock:
                    self.lost[:0] = waiting[i:]
                return

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[bool]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".replay.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def replay_file(path: Path, store: SqlMetricStore,
                config: MonitorConfig | None = None) -> list[str]:
    """Merge one spool file into ``store`` in one transaction; the run ids it held.

    Findings kept in the file (``dq_pending_findings``) are turned into incidents and
    alerts against the real store in the same transaction, which is what makes the
    replay of a run with failing checks safe: nothing numbered by the spool is copied.
    """
    source = SqlMetricStore(f"sqlite:///{path}")
    try:
        rows = read_store_rows(source)
    finally:
        source.dispose()
    if rows.pending_findings and config is None:
        raise SpoolError(f"{path.name} holds findings to alert on; replay it with the config")
    with store.transaction() as conn:
        merge_rows(conn, rows)
        if rows.pending_findings:
            from monitor.run.alert import apply_pending_findings

            assert config is not None
            apply_pending_findings(conn, config, rows.pending_findings)
    return rows.run_ids


def _refuse_unreplayable(store: SqlMetricStore, run_id: str) -> None:
    table = numbered_table_with_rows(store)
    if table is not None:
        raise SpoolError(f"run {run_id!r} wrote to {table}, whose rows are "
                         f"numbered by the store; it cannot be replayed from a spool")


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
