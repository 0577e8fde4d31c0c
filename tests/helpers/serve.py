"""Helpers for the service tests: slow PostgreSQL tables, outages, a serve subprocess."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
import yaml

from tests.helpers.postgres import base_url
from tests.helpers.warehouses import WarehouseUnderTest

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], T], timeout: float = 15.0, every: float = 0.1,
             what: str = "condition") -> T:
    """Poll until ``predicate()`` is truthy; its value, or AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def make_table(wh: WarehouseUnderTest, name: str, rows: int = 20) -> None:
    """A small table with an id, an amount (every 5th null) and a label."""
    wh.create_table(name, {"id": sa.BigInteger(), "amount": sa.Double(),
                           "label": sa.String(20)},
                    [{"id": i, "amount": None if i % 5 == 0 else i * 1.5, "label": f"l{i % 3}"}
                     for i in range(rows)])


def make_slow_view(wh: WarehouseUnderTest, name: str, seconds: float) -> None:
    """A view whose every scan sleeps ``seconds`` on the server (pg_sleep)."""
    base = f"{name}_base"
    make_table(wh, base)
    schema = wh.schema
    wh.execute(f'CREATE VIEW "{schema}"."{name}" AS SELECT b.* FROM "{schema}"."{base}" b '
               f"CROSS JOIN (SELECT pg_sleep({float(seconds)})) s")


def backends_running(pattern: str) -> list[int]:
    """pids of server backends whose current query contains ``pattern``."""
    engine = sa.create_engine(base_url())
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT pid FROM pg_stat_activity WHERE state = 'active' "
                "AND pid <> pg_backend_pid() AND query LIKE :p"), {"p": f"%{pattern}%"}
            ).scalars())
    finally:
        engine.dispose()


def terminate_backend(pid: int) -> bool:
    engine = sa.create_engine(base_url())
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                                     {"pid": pid}).scalar())
    finally:
        engine.dispose()


class BackendKiller(threading.Thread):
    """Terminates, once, the first server backend that runs a query matching ``pattern``."""

    def __init__(self, pattern: str, timeout: float = 20.0) -> None:
        super().__init__(daemon=True)
        self.pattern = pattern
        self.timeout = timeout
        self.killed: int | None = None

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            pids = backends_running(self.pattern)
            if pids:
                time.sleep(0.2)  # well inside the query
                if terminate_backend(pids[0]):
                    self.killed = pids[0]
                return
            time.sleep(0.05)


@contextlib.contextmanager
def database_down(url: str) -> Iterator[Callable[[], None]]:
    """Make a PostgreSQL database refuse connections (and drop the open ones).

    Yields a function that brings it back early; it is back at the end anyway.
    """
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(base_url(), isolation_level="AUTOCOMMIT")
    up = [False]

    def bring_back() -> None:
        if not up[0]:
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            up[0] = True

    with admin.connect() as conn:
        conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
    try:
        yield bring_back
    finally:
        bring_back()
        admin.dispose()


def table_entry(wh: WarehouseUnderTest, name: str, schedule: str | None = None) -> dict:
    """A config entry for table ``name`` of ``wh``, in its schema, on ``schedule``."""
    entry: dict[str, Any] = {"name": name, "warehouse": "wh", "table": name}
    if wh.schema:
        entry["schema"] = wh.schema
    if schedule:
        entry["schedule"] = schedule
    return entry


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


class ServeProcess:
    """``python -m monitor --config X serve`` in a subprocess, its log in a file."""

    def __init__(self, config: Path, log: Path, args: Sequence[str] = ()) -> None:
        self.log_path = log
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._log = open(log, "ab")  # noqa: SIM115  (closed in wait())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "--log-level",
             "DEBUG", "serve", *args], cwd=ROOT, env=env, stdout=self._log,
            stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.wait()

    def wait(self, timeout: float = 30.0) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is not None:
                self._log.close()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.kill()
        self._log.close()
