"""Is a ``running`` run still running? Heartbeats, and the rules that find orphans.

A run records its owner (``host:pid``) when it starts, and while it runs a
background thread of its process refreshes ``dq_runs.heartbeat_at`` every
``HEARTBEAT_INTERVAL`` seconds. A run left ``running`` is an orphan (its
process died: SIGKILL, OOM, power loss) when

- its owner is a process of this host that no longer exists, or this very
  process, which is not running it (a restarted container gets the same pid);
- or its last heartbeat is older than ``LEASE`` (any host: the owner stopped
  beating, whatever the reason).

>>> now = dt.datetime(2026, 3, 1, 12, 0)
>>> orphan_reason("run", "other-host:1", now - dt.timedelta(minutes=20), now, now=now)
'no heartbeat from other-host:1 since 2026-03-01 11:40:00 UTC (lease 5m)'
>>> orphan_reason("run", "other-host:1", now - dt.timedelta(seconds=10), now, now=now) is None
True
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections import Counter

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from monitor import formatting
from monitor.store import schema
from monitor.timeutil import to_naive_utc, utcnow

log = logging.getLogger(__name__)

#: Seconds between two heartbeats of a running run.
HEARTBEAT_INTERVAL = 30.0
#: Seconds without a heartbeat after which a run counts as dead (ten missed beats).
LEASE = 300.0

#: Run ids this process is running now (on any store), counted.
_live: Counter[str] = Counter()
_live_lock = threading.Lock()


def process_owner() -> str:
    """``host:pid`` of this process, recorded on the runs it starts (to find orphans later)."""
    return f"{socket.gethostname()[:180]}:{os.getpid()}"


def running_here(run_id: str) -> bool:
    """Whether this process is running ``run_id`` right now."""
    with _live_lock:
        return _live[run_id] > 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def orphan_reason(run_id: str, owner: str | None, heartbeat_at: dt.datetime | None,
                  started_at: dt.datetime, *, now: dt.datetime | None = None,
                  lease: float = LEASE, mine_started_before: dt.datetime | None = None
                  ) -> str | None:
    """Why a ``running`` run is an orphan, or None while it may be alive (see module doc).

    ``mine_started_before``: runs of this very process started before that time
    are orphans even if registered here (``serve`` passes its start time).
    """
    now = to_naive_utc(now or utcnow())
    name, _, pid_text = (owner or "").rpartition(":")
    if name == socket.gethostname()[:180] and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            if not running_here(run_id) or (
                    mine_started_before is not None
                    and started_at < to_naive_utc(mine_started_before)):
                return f"this process ({owner}) is not running it: it was restarted"
        elif not _alive(pid):
            return f"its process {owner} is gone"
    last = to_naive_utc(heartbeat_at or started_at)
    if (now - last).total_seconds() > lease:
        return (f"no heartbeat from {owner or 'its process'} since "
                f"{last:%Y-%m-%d %H:%M:%S} UTC (lease {formatting.duration(lease)})")
    return None


class Heartbeat:
    """Refreshes ``heartbeat_at`` of the runs this process is running on one store.

    The thread starts with the first run and ends when no run is left.
    """

    def __init__(self, engine: Engine, interval: float | None = None) -> None:
        self.engine = engine
        self.interval = HEARTBEAT_INTERVAL if interval is None else interval
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def run_ids(self) -> set[str]:
        with self._lock:
            return set(self._ids)

    def add(self, run_id: str) -> None:
        with self._lock:
            if run_id not in self._ids:
                self._ids.add(run_id)
                with _live_lock:
                    _live[run_id] += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="dq-run-heartbeat")
                self._thread.start()

    def discard(self, run_id: str) -> None:
        with self._lock:
            if run_id in self._ids:
                self._ids.discard(run_id)
                with _live_lock:
                    _live[run_id] -= 1
                    if _live[run_id] <= 0:
                        del _live[run_id]
            if not self._ids:
                self._stop.set()

    def stop(self) -> None:
        for run_id in self.run_ids:
            self.discard(run_id)
        self._stop.set()

    def beat(self) -> int:
        """Refresh the heartbeat of every registered run now; how many rows it touched."""
        ids = sorted(self.run_ids)
        if not ids:
            return 0
        r = schema.runs
        with self.engine.begin() as conn:
            return conn.execute(r.update().where(r.c.run_id.in_(ids), r.c.status == "running")
                                .values(heartbeat_at=to_naive_utc(utcnow()))).rowcount

    def _loop(self) -> None:
        while True:
            self._stop.wait(self.interval)
            with self._lock:
                if not self._ids:
                    self._thread = None  # under the lock: add() starts a new one
                    return
                self._stop.clear()
            try:
                self.beat()
            except sa.exc.SQLAlchemyError as error:  # the store is down: the lease decides
                log.debug("heartbeat failed: %s", error)
