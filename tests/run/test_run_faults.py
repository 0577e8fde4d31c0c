"""Faults around runs, with real processes on real stores (issue 17, items 4 and 5).

- Two ``python -m monitor run`` processes on the same as-of key of a PostgreSQL
  store, released at the same instant, both succeed and leave one set of points.
- A long writer holds the SQLite store's write lock: ``status``, ``history`` and
  the dashboard's reader still answer.
- A ``run`` SIGKILLed mid-run is ``interrupted`` for the next command and shown
  so by ``status``.

Runs are held at a "starting gate": the warehouse table is a PostgreSQL view
that takes a shared advisory lock, which the test holds exclusively until it
lets the runs go (or kills them there).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.cli import main
from monitor.dashboard.source import check_store, reader
from monitor.store import SqlMetricStore, open_store, run_key, schema
from tests.helpers.postgres import base_url, temporary_database
from tests.helpers.serve import ROOT, wait_for, write_config
from tests.helpers.warehouses import WarehouseUnderTest, sqlite_warehouse

pytestmark = pytest.mark.slow

GATE = 177_004  # the advisory lock key of the starting gate
START = dt.datetime(2026, 3, 1)
ROWS = [{"id": i, "amount": i * 1.5, "created_at": START + dt.timedelta(hours=7 * i)}
        for i in range(48)]


def gated_table(wh: WarehouseUnderTest, name: str) -> None:
    """``name``: a view of 48 rows over 14 days whose every scan waits at the gate."""
    wh.create_table(f"{name}_base", {"id": sa.Integer(), "amount": sa.Double(),
                                     "created_at": sa.DateTime()}, ROWS)
    wh.execute(f'CREATE VIEW "{wh.schema}"."{name}" AS SELECT b.* FROM '
               f'"{wh.schema}"."{name}_base" b CROSS JOIN '
               f"(SELECT pg_advisory_xact_lock_shared({GATE})) g")


@contextlib.contextmanager
def gate_closed() -> Iterator[sa.Connection]:
    """Hold the gate shut; the runs wait at their first scan until the block ends."""
    engine = sa.create_engine(base_url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"SELECT pg_advisory_lock({GATE})"))
            try:
                yield conn
            finally:
                conn.execute(sa.text(f"SELECT pg_advisory_unlock({GATE})"))
    finally:
        engine.dispose()


def waiting_at_gate(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k "
        "AND NOT granted"), {"k": GATE}).scalar() or 0)


def config_file(tmp_path: Path, store_url: str, wh: WarehouseUnderTest, **table: object
                ) -> Path:
    entry = {"name": "orders", "warehouse": "wh", "table": "orders",
             "timestamp_column": "created_at", "bucket": "day", **table}
    if wh.schema:
        entry["schema"] = wh.schema
    return write_config(tmp_path / "monitor.yaml", {
        "store": store_url, "warehouses": {"wh": wh.url}, "tables": [entry]})


def monitor(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "monitor", "--config", str(config), *args],
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class TestConcurrentRunsOfOneKey:
    ROUNDS = 4
    PROCESSES = 3

    def test_every_run_succeeds_and_one_set_of_points_remains(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange
        gated_table(pg_warehouse, "orders")
        with temporary_database("dq_race") as url:
            # Its rows are days old: every run finds it stale (an incident and an alert)
            path = config_file(tmp_path, url, pg_warehouse, thresholds={"freshness_sla": "1h"})
            outcomes = []
            # Act: each round, three runs of one key leave the gate at the same instant
            for round_ in range(self.ROUNDS):
                as_of = f"2026-03-20T0{round_}:00:00"
                with gate_closed() as gate:
                    procs = [monitor(path, "run", "--as-of", as_of, "--format", "json")
                             for _ in range(self.PROCESSES)]
                    wait_for(lambda g=gate: waiting_at_gate(g) >= self.PROCESSES,
                             timeout=60, what="every run at the gate")
                outcomes += [(p.wait(60), *p.communicate()) for p in procs]
            store = open_store(url)
            try:
                runs = {r.run_id: r for r in store.runs("orders", limit=100)}
                points = store.points("orders")
                with store.connect() as conn:
                    incidents = conn.execute(sa.select(schema.incidents.c.check_key,
                                                       schema.incidents.c.status)).all()
                    opened = conn.execute(sa.select(sa.func.count()).select_from(
                        schema.outbox).where(schema.outbox.c.event == "opened")).scalar()
            finally:
                store.dispose()
        # Assert: no run lost; each key ran three times and holds one profile
        statuses = [json.loads(out)["results"][0]["status"] if out else err[-500:]
                    for _, out, err in outcomes]
        # Every run completes; each exits 1 for the stale table's critical freshness finding.
        assert [code for code, _, _ in outcomes] == [1] * len(outcomes), [
            (out[-1500:], err[-1500:]) for code, out, err in outcomes if code]
        assert set(statuses) == {"success"}
        keys = [run_key("orders", dt.datetime(2026, 3, 20, r)) for r in range(self.ROUNDS)]
        assert sorted(runs) == keys
        assert {(r.status, r.attempts) for r in runs.values()} == {("success", 3)}
        assert incidents == [("freshness", "open")]  # one incident, not one per process
        assert opened == 1
        snapshots = [p for p in points if p.granularity == "snapshot" and p.metric ==
                     "row_count"]
        assert [(p.ts, p.value) for p in snapshots] == [
            (dt.datetime(2026, 3, 20, r), 48.0) for r in range(self.ROUNDS)]
        frame = pd.DataFrame(ROWS)
        per_day = frame.groupby(frame["created_at"].dt.floor("D")).size()
        days = {p.ts: p.value for p in points if p.granularity == "day"
                and p.metric == "row_count"}
        assert {ts: n for ts, n in days.items() if n} == {
            ts.to_pydatetime(): float(n) for ts, n in per_day.items()}
        assert min(days) == START
        assert max(days) == dt.datetime(2026, 3, 19)  # days without rows count 0


class TestReadsBehindALongSqliteWriter:
    def test_status_history_and_the_dashboard_answer_while_the_lock_is_held(
            self, tmp_path: Path) -> None:
        # Arrange: one stored run, then a process that holds the write lock until told
        wh = sqlite_warehouse(tmp_path)
        wh.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                   "created_at": sa.DateTime()}, ROWS)
        wh.dispose()
        db = tmp_path / "metrics.db"
        path = config_file(tmp_path, f"sqlite:///{db}", wh, schedule="every 1d")
        assert main(["--config", str(path), "run", "--fail-on", "never"]) == 0
        writer = subprocess.Popen(
            [sys.executable, "-c",
             "import sqlite3, sys\n"
             f"c = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
             "c.execute('BEGIN IMMEDIATE')\n"
             "c.execute(\"UPDATE dq_runs SET trigger = 'cli'\")\n"
             "print('locked', flush=True)\n"
             "sys.stdin.read()\n"
             "c.execute('COMMIT')\n"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "locked"
            # Act (the store's lock timeout is 10s)
            began = time.monotonic()
            status = monitor(path, "status", "--format", "json")
            history = monitor(path, "history", "orders", "--metric", "row_count", "--column", "",
                              "--granularity", "snapshot",
                              "--format", "json")
            results = [(p.wait(30), *p.communicate()) for p in (status, history)]
            took = time.monotonic() - began
            dashboard = check_store(reader(f"sqlite:///{db}"))
        finally:
            writer.communicate("", timeout=30)
        # Assert
        (status_code, status_out, status_err), (history_code, history_out, history_err) = results
        assert status_code == 0, status_err[-800:]
        assert history_code == 0, history_err[-800:]
        assert json.loads(status_out)["tables"][0]["last_status"] == "success"
        assert {p["value"] for p in json.loads(history_out)} == {48.0}
        assert dashboard.state == "ready"
        assert took < 8


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'metrics.db'}"
    else:
        with temporary_database("dq_kill") as url:
            yield url


class TestKilledRun:
    def test_a_sigkilled_run_is_interrupted_and_status_says_so(
            self, pg_warehouse: WarehouseUnderTest, store_url: str, tmp_path: Path,
            capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: a run waits at the gate, in the middle of its profiling scan
        gated_table(pg_warehouse, "orders")
        path = config_file(tmp_path, store_url, pg_warehouse, schedule="every 1d")
        observer = open_store(store_url)
        try:
            with gate_closed() as gate:
                run = monitor(path, "run", "--as-of", "2026-03-20T06:00:00")
                wait_for(lambda: waiting_at_gate(gate) >= 1
                         and observer.runs("orders", status="running"), timeout=60,
                         what="a running run at the gate")
                # Act: SIGKILL, no chance to clean up
                run.send_signal(signal.SIGKILL)
                run.wait(10)
                run.communicate()
            code = main(["--config", str(path), "status", "--format", "json"])
            out = json.loads(capsys.readouterr().out)
            stored = observer.run(run_key("orders", dt.datetime(2026, 3, 20, 6)))
            points = observer.points("orders")
        finally:
            observer.dispose()
        # Assert
        table = out["tables"][0]
        assert code == 1
        assert (table["state"], table["last_status"]) == ("interrupted", "interrupted")
        assert f"its process {stored.host} is gone" in table["last_error"]  # type: ignore[union-attr]
        assert [r["run_id"] for r in out["interrupted_runs"]] == [stored.run_id]  # type: ignore[union-attr]
        assert stored is not None
        assert stored.status == "interrupted"
        assert stored.host is not None
        assert stored.host.endswith(f":{run.pid}")
        assert points == []


class TestKilledIngest:
    def test_a_sigkilled_ingest_is_listed_interrupted_by_status(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path,
            capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: the ingest waits for a lock the test holds on its target table
        pg_warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                             "created_at": sa.DateTime()}, ROWS)
        batch = tmp_path / "batch.csv"
        pd.DataFrame(ROWS).assign(id=lambda f: f["id"] + 1000).to_csv(batch, index=False)
        store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
        path = config_file(tmp_path, store_url, pg_warehouse, schedule="every 1d")
        observer = open_store(store_url)
        locker = sa.create_engine(base_url())
        try:
            with locker.connect() as lock:
                lock.execute(sa.text(f'LOCK TABLE "{pg_warehouse.schema}"."orders" '
                                     "IN ACCESS EXCLUSIVE MODE"))
                ingest = monitor(path, "ingest", str(batch), "--into", "orders")
                wait_for(lambda: observer.runs("orders", kind="ingest", status="running")
                         and lock.execute(sa.text(
                             "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' "
                             "AND NOT granted")).scalar(),
                         timeout=60, what="an ingest waiting for the table lock")
                # Act
                ingest.send_signal(signal.SIGKILL)
                ingest.wait(10)
                ingest.communicate()
                lock.rollback()
            code = main(["--config", str(path), "status", "--format", "json"])
            out = json.loads(capsys.readouterr().out)
            [stored] = observer.runs("orders", kind="ingest")
            published = pg_warehouse.execute(
                f'SELECT count(*) FROM "{pg_warehouse.schema}"."orders"')[0][0]
        finally:
            observer.dispose()
            locker.dispose()
        # Assert
        assert stored.status == "interrupted"
        assert [r["run_id"] for r in out["interrupted_runs"]] == [stored.run_id]
        assert out["interrupted_runs"][0]["kind"] == "ingest"
        assert "is gone" in out["interrupted_runs"][0]["error"]
        assert code == 0  # listed; the exit code follows the tables' own (profile) runs
        assert published == len(ROWS)  # nothing of the killed batch was published


class TestHeartbeatOfARealRun:
    def test_a_slow_run_keeps_its_heartbeat_fresh(self, pg_warehouse: WarehouseUnderTest,
                                                  tmp_path: Path) -> None:
        # Arrange: a heartbeat every 0.2s for the run process
        gated_table(pg_warehouse, "orders")
        store_url = f"sqlite:///{tmp_path / 'metrics.db'}"
        path = config_file(tmp_path, store_url, pg_warehouse)
        observer: SqlMetricStore = open_store(store_url)
        env_script = ("import sys, monitor.store.liveness as l; l.HEARTBEAT_INTERVAL = 0.2; "
                      "from monitor.cli import main; sys.exit(main(sys.argv[1:]))")
        try:
            with gate_closed() as gate:
                run = subprocess.Popen([sys.executable, "-c", env_script, "--config",
                                        str(path), "run", "--fail-on", "never"], cwd=ROOT)
                first = wait_for(lambda: waiting_at_gate(gate) >= 1 and observer.runs(
                    "orders", status="running"), timeout=60, what="a running run")[0]
                # Act: while it waits, the heartbeat moves on
                later = wait_for(lambda: [r for r in observer.runs("orders", status="running")
                                          if r.heartbeat_at > first.heartbeat_at],
                                 timeout=10, what="a newer heartbeat")[0]
            code = run.wait(60)
            final = observer.run(first.run_id)
        finally:
            observer.dispose()
        # Assert
        assert code == 0
        assert later.heartbeat_at > first.heartbeat_at
        assert final is not None
        assert final.status == "success"
