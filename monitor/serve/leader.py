"""Which ``serve`` process runs the schedule when several share one metric store.

- PostgreSQL store (``Capabilities.session_lock == "advisory"``): every replica
  tries ``pg_try_advisory_lock`` on a connection of its own; the one that gets
  it leads, the others try again every ``poll`` seconds. The lock belongs to
  the session, so it is freed the moment the leader's connection ends: SIGKILL,
  OOM and a crash close the socket and the server ends the session at once; a
  leader host that vanishes without closing it is found by the server's TCP
  keepalive (set on that session: 5 s idle, 3 probes 2 s apart). The key is
  derived from the store's database and schema, so stores in other schemas of
  the same database elect apart.
- SQLite (or DuckDB) store file: one ``serve`` per file. The second process
  finds an exclusive lock on ``<file>.serve.lock`` and refuses to start
  (``AnotherServeRunning``, exit code 2), naming the owner.
- Any other store (an in-memory database, a dialect without a session lock):
  no election; run one ``serve``.

>>> import tempfile, pathlib
>>> db = pathlib.Path(tempfile.mkdtemp()) / "m.db"
>>> first, second = FileLock(db, "host:1"), FileLock(db, "host:2")
>>> first.try_acquire()
True
>>> second.try_acquire()
Traceback (most recent call last):
...
monitor.serve.leader.AnotherServeRunning: another dq-monitor serve (host:1) already uses ...
>>> first.release()
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import zlib
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from monitor.dialects import capabilities_of
from monitor.errors import MonitorError

log = logging.getLogger(__name__)

#: Seconds between two attempts of a standby replica to take the lead.
POLL = 1.0
#: libpq keepalives of the lock connection: the leader learns within ~11 s that the
#: server is gone, and the server (same settings on its side) that the leader is.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
             "keepalives_count": 3}
APPLICATION = "dq-monitor serve"


class AnotherServeRunning(MonitorError):
    """A second ``serve`` on a store that allows one."""


class Leadership(Protocol):
    """How one process learns whether it leads."""

    #: False: a process that does not get the lead must not start at all.
    standby: bool

    def try_acquire(self) -> bool:
        """Take the lead if free; True if this process leads now."""

    def still_held(self) -> bool:
        """While leading: is the lead still ours (False after the lock connection broke)?"""

    def holder(self) -> str | None:
        """Who leads (``host:pid``), if that can be told."""

    def release(self) -> None:
        """Give the lead up (at shutdown)."""


def lock_key(database: str, schema: str) -> int:
    """The advisory lock key of a store: stable, positive, below 2**31."""
    return zlib.crc32(f"{APPLICATION}:{database}:{schema}".encode()) & 0x7FFFFFFF


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock held on a dedicated connection."""

    standby = True

    def __init__(self, engine: Engine, owner: str) -> None:
        self.owner = owner
        self._engine = sa.create_engine(
            engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
            connect_args={"application_name": f"{APPLICATION} {owner}"[:63],
                          "connect_timeout": 5, **KEEPALIVE})
        self._conn: Connection | None = None
        self._key: int | None = None
        self._held = False

    def _connect(self) -> Connection:
        if self._conn is None:
            conn = self._engine.connect()
            try:
                conn.execute(sa.text("SET tcp_keepalives_idle = 5"))
                conn.execute(sa.text("SET tcp_keepalives_interval = 2"))
                conn.execute(sa.text("SET tcp_keepalives_count = 3"))
                database, schema = conn.execute(sa.text(
                    "SELECT current_database(), current_schema()")).one()
            except BaseException:
                conn.close()
                raise
            self._key = lock_key(database, schema or "")
            self._conn = conn
        return self._conn

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._conn.close()
            self._conn = None

    def try_acquire(self) -> bool:
        if self._held:
            return self.still_held()
        try:
            conn = self._connect()
            self._held = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                           {"k": self._key}).scalar())
        except sa.exc.SQLAlchemyError as error:
            log.warning("leader election: the store did not answer (%s)",
                        str(error).splitlines()[0])
            self._drop()
            return False
        return self._held

    def still_held(self) -> bool:
        if not self._held or self._conn is None:
            return False
        try:
            held = self._conn.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND classid = 0 AND objid::bigint = :k"),
                {"k": self._key}).scalar()
        except sa.exc.SQLAlchemyError as error:
            log.error("leader election: lost the lock connection (%s)",
                      str(error).splitlines()[0])
            self._drop()
            return False
        if not held:
            self._drop()
        return bool(held)

    def holder(self) -> str | None:
        try:
            conn = self._connect()
            name = conn.execute(sa.text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = 0 AND l.objid::bigint = :k"), {"k": self._key}).scalar()
        except sa.exc.SQLAlchemyError:
            self._drop()
            return None
        if not name:
            return None
        return str(name).removeprefix(APPLICATION).strip() or str(name)

    def release(self) -> None:
        if self._held and self._conn is not None:
            # If this fails, the session ends below and the server frees the lock anyway.
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        self._drop()
        self._engine.dispose()


class FileLock:
    """An exclusive ``flock`` on ``<database file>.serve.lock``: one serve per file."""

    standby = False

    def __init__(self, database: Path, owner: str) -> None:
        self.owner = owner
        self.database = database
        self.path = database.with_name(database.name + ".serve.lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise AnotherServeRunning(
                f"another dq-monitor serve ({holder}) already uses the SQLite store "
                f"{self.database}; a store file serves one process (its lock: {self.path}). "
                f"Stop it first, or put the store on PostgreSQL to run replicas",
                details={"store": str(self.database), "holder": holder}) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, self.owner.encode(), 0)
        self._fd = fd
        return True

    def still_held(self) -> bool:
        return self._fd is not None

    def holder(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


class NoElection:
    """A store without a way to elect: this process leads (run one serve)."""

    standby = False

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def try_acquire(self) -> bool:
        return True

    def still_held(self) -> bool:
        return True

    def holder(self) -> str | None:
        return self.owner

    def release(self) -> None:
        return None


def leadership_for(engine: Engine, owner: str) -> Leadership:
    """How replicas on the store behind ``engine`` elect (see the module docstring)."""
    caps = capabilities_of(engine)
    if caps.session_lock == "advisory":
        return AdvisoryLock(engine, owner)
    database = caps.database_file(engine.url)
    if database is not None:
        return FileLock(database.resolve(), owner)
    log.info("leader election: not available on this %s store; run one serve",
             caps.title or caps.name)
    return NoElection(owner)
