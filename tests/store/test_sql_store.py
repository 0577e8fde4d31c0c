"""The metric store on SQLite and PostgreSQL: idempotent writes, queries, versioning."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.errors import StoreError, StoreUnavailable
from monitor.metrics.points import MetricPoint
from monitor.store import SqlMetricStore, open_store, run_key, schema
from monitor.store.sql_store import RunRecord
from monitor.timeutil import utcnow

T0 = dt.datetime(2026, 2, 1)


def points(ts: dt.datetime, rows: float, table: str = "orders") -> list[MetricPoint]:
    return [MetricPoint(table, "", "row_count", "day", ts, rows),
            MetricPoint(table, "amount", "null_rate", "day", ts, 0.1),
            MetricPoint(table, "created", "max", "day", ts, 1.0, "2026-02-01T00:00:00")]


def write(store: SqlMetricStore, run_id: str, pts: list[MetricPoint]) -> None:
    with store.transaction() as conn:
        store.replace_points(conn, run_id, pts)


class TestRunKey:
    def test_key_is_table_and_as_of(self) -> None:
        as_of = dt.datetime(2026, 2, 1, 6, 0, 0, 123, tzinfo=dt.UTC)

        assert run_key("orders", as_of) == "orders@2026-02-01T06:00:00"
        assert run_key("orders", as_of, kind="gate") == "orders@2026-02-01T06:00:00#gate"


class TestSqlMetricStore:
    def test_schema_is_created_once_and_versioned(self, store: SqlMetricStore) -> None:
        store.ensure_schema()
        store.ensure_schema()

        assert store.schema_version() == schema.SCHEMA_VERSION
        tables = set(sa.inspect(store.engine).get_table_names())
        assert {"dq_runs", "dq_metrics", "dq_schemas", "dq_detections", "dq_outbox"} <= tables

    def test_replacing_points_is_idempotent(self, store: SqlMetricStore) -> None:
        write(store, "r1", points(T0, 10))
        write(store, "r2", points(T0, 12))

        stored = store.points("orders", granularity="day")

        assert len(stored) == 3
        assert [p.value for p in stored if p.metric == "row_count"] == [12]

    def test_points_filters_and_order(self, store: SqlMetricStore) -> None:
        for day in range(5):
            write(store, f"r{day}", points(T0 + dt.timedelta(days=day), day))
        write(store, "other", points(T0, 99, table="events"))

        rows = store.points("orders", metric="row_count", column="",
                            since=T0 + dt.timedelta(days=1), until=T0 + dt.timedelta(days=3))

        assert [(p.ts.day, p.value) for p in rows] == [(2, 1), (3, 2), (4, 3)]
        assert store.latest_bucket("orders", "day") == T0 + dt.timedelta(days=4)
        assert store.aggregate("orders", "row_count", "day", "sum") == 10
        assert store.aggregate("orders", "row_count", "day", "sum",
                               before=T0 + dt.timedelta(days=2)) == 1
        assert store.tables() == ["events", "orders"]

    def test_run_lifecycle(self, store: SqlMetricStore) -> None:
        as_of = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
        store.start_run("orders@x", "orders", kind="profile", as_of=as_of)
        store.start_run("orders@x", "orders", kind="profile", as_of=as_of)
        with store.transaction() as conn:
            store.finish_run(conn, "orders@x", status="failed", error="boom", retries=2,
                             duration_seconds=1.5)

        run = store.run("orders@x")

        assert run is not None
        assert (run.status, run.error, run.retries, run.attempts) == ("failed", "boom", 2, 2)
        assert store.latest_runs()["orders"].run_id == "orders@x"
        assert store.runs(status="failed")[0].duration_seconds == 1.5

    def test_interrupted_runs_are_marked(self, store: SqlMetricStore) -> None:
        store.start_run("a@1", "a", kind="profile", as_of=T0)
        store.start_run("b@1", "b", kind="profile", as_of=T0)

        marked = store.mark_interrupted(table="a")

        assert marked == 1
        assert store.run("a@1").status == "interrupted"  # type: ignore[union-attr]
        assert store.run("b@1").status == "running"  # type: ignore[union-attr]

    def test_record_run_replaces(self, store: SqlMetricStore) -> None:
        record = RunRecord(run_id="t@1", table="t", kind="profile", as_of=T0, status="success",
                           started_at=T0, finished_at=T0 + dt.timedelta(seconds=3), row_count=5)

        store.record_run(record)
        store.record_run(record)

        assert len(store.runs("t")) == 1

    def test_schema_snapshots_newest_first(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            store.replace_schema(conn, "r1", "t", T0, [("a", "INT"), ("b", "TEXT")])
            store.replace_schema(conn, "r2", "t", T0 + dt.timedelta(days=1), [("a", "BIGINT")])

        snaps = store.schema_snapshots("t")

        assert snaps[0][1] == [("a", "BIGINT")]
        assert snaps[1][1] == [("a", "INT"), ("b", "TEXT")]

    def test_a_failed_transaction_leaves_nothing(self, store: SqlMetricStore) -> None:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            store.replace_points(conn, "r1", points(T0, 10))
            raise RuntimeError("crash halfway")

        assert store.points("orders") == []


class TestSeries:
    def test_each_stored_column_and_metric_once(self, store: SqlMetricStore) -> None:
        for day in range(3):
            write(store, f"r{day}", points(T0 + dt.timedelta(days=day), day))
        write(store, "other", [MetricPoint("events", "", "freshness", "day", T0, 1.0)])

        assert store.series("orders") == [("", "row_count"), ("amount", "null_rate"),
                                          ("created", "max")]
        assert store.series("nope") == []


class TestReplacePoints:
    def test_two_transactions_writing_the_same_points_both_commit(
            self, store: SqlMetricStore) -> None:
        # Arrange: the first writer holds its uncommitted points while the second writes
        first_wrote, second_done = threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def second() -> None:
            try:
                write(store, "orders@b", points(T0, 12))
            except BaseException as error:  # noqa: BLE001  (reported by the assertion)
                errors.append(error)
            finally:
                second_done.set()

        # Act
        with store.transaction() as conn:
            store.replace_points(conn, "orders@a", points(T0, 10))
            first_wrote.set()
            thread = threading.Thread(target=second)
            thread.start()
            second_done.wait(0.5)  # PostgreSQL: it waits for this commit; SQLite: the lock
        thread.join(30)

        # Assert: the later transaction replaced the first one's points, whole
        stored = store.points("orders", granularity="day")
        assert errors == []
        assert len(stored) == 3
        assert [p.value for p in stored if p.metric == "row_count"] == [12]
        assert {p.metric for p in stored} == {"row_count", "null_rate", "max"}


    def test_points_the_new_set_lacks_are_removed_at_its_times_only(
            self, store: SqlMetricStore) -> None:
        write(store, "r1", points(T0, 10) + points(T0 + dt.timedelta(days=1), 11))

        write(store, "r2", points(T0, 12)[:2])  # "max" of the created column is gone

        stored = {(p.ts.day, p.metric): p.value for p in store.points("orders")}
        assert stored == {(1, "row_count"): 12, (1, "null_rate"): 0.1,
                          (2, "row_count"): 11, (2, "null_rate"): 0.1, (2, "max"): 1.0}

    def test_a_schema_snapshot_is_replaced_whole(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            store.replace_schema(conn, "r1", "t", T0, [("a", "INT"), ("b", "TEXT")])
        with store.transaction() as conn:
            store.replace_schema(conn, "r2", "t", T0, [("b", "TEXT"), ("c", "REAL")])

        assert store.schema_snapshots("t") == [(T0, [("b", "TEXT"), ("c", "REAL")])]


class TestMarkStaleRuns:
    def test_marks_runs_of_dead_owners_and_expired_leases(self,
                                                          store: SqlMetricStore) -> None:
        # Arrange: owners a dead pid of this host, another host with an old and a fresh
        # heartbeat, and this process (which runs its own run)
        host = socket.gethostname()
        finished = subprocess.Popen(["true"])
        finished.wait()
        now = dt.datetime(2026, 3, 1, 12, 0)
        owners = {"dead": (f"{host}:{finished.pid}", now),
                  "expired": ("other-host:7", now - dt.timedelta(minutes=6)),
                  "fresh": ("other-host:8", now - dt.timedelta(minutes=4)),
                  "mine": (f"{host}:{os.getpid()}", now - dt.timedelta(seconds=1))}
        for name, (owner, beat) in owners.items():
            store.start_run(f"{name}@1", name, kind="ingest", as_of=T0)
            with store.transaction() as conn:
                conn.execute(schema.runs.update().where(schema.runs.c.run_id == f"{name}@1")
                             .values(host=owner, heartbeat_at=beat,
                                     started_at=now - dt.timedelta(minutes=10)))

        # Act
        marked = store.mark_stale_runs(now=now, lease=300)
        again = store.mark_stale_runs(now=now, lease=300)

        # Assert
        runs = {r.table: r for r in store.runs()}
        assert (marked, again) == (2, 0)
        assert {t: r.status for t, r in runs.items()} == {
            "dead": "interrupted", "expired": "interrupted", "fresh": "running",
            "mine": "running"}
        assert f"its process {host}:{finished.pid} is gone" in (runs["dead"].error or "")
        assert "no heartbeat from other-host:7 since 2026-03-01 11:54:00" in (
            runs["expired"].error or "")
        assert runs["dead"].duration_seconds == 600.0
        assert runs["dead"].finished_at == now

    def test_a_run_of_this_process_it_does_not_run_is_an_orphan(
            self, store: SqlMetricStore) -> None:
        # Arrange: a run row of this pid that this process does not run (a restarted
        # container gets the same pid)
        store.start_run("old@1", "old", kind="profile", as_of=T0)
        store.heartbeat.discard("old@1")

        # Act
        marked = store.mark_stale_runs()

        # Assert
        assert marked == 1
        assert store.run("old@1").status == "interrupted"  # type: ignore[union-attr]

    def test_a_finished_run_is_never_marked(self, store: SqlMetricStore) -> None:
        store.start_run("done@1", "done", kind="profile", as_of=T0)
        with store.transaction() as conn:
            store.finish_run(conn, "done@1", status="success")

        marked = store.mark_stale_runs(now=utcnow() + dt.timedelta(days=1))

        assert marked == 0
        assert store.run("done@1").status == "success"  # type: ignore[union-attr]


class TestOpenStore:
    def test_read_only_store_cannot_write(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'm.db'}"
        open_store(url).dispose()
        reader = open_store(url, read_only=True)

        with pytest.raises(StoreError):
            write(reader, "r", points(T0, 1))

    def test_newer_schema_is_refused(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'm.db'}"
        store = open_store(url)
        with store.transaction() as conn:
            conn.execute(schema.meta.update().values(value="999"))

        with pytest.raises(StoreError, match="schema version 999, newer"):
            open_store(url)

    def test_migrations_run_from_an_older_version(self, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        url = f"sqlite:///{tmp_path / 'm.db'}"
        open_store(url).dispose()
        monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
        monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION, [
            lambda conn: conn.execute(sa.text("ALTER TABLE dq_runs ADD COLUMN note TEXT"))])

        store = open_store(url)

        assert store.schema_version() == schema.SCHEMA_VERSION
        assert "note" in {c["name"] for c in sa.inspect(store.engine).get_columns("dq_runs")}

    def test_a_version_1_store_is_upgraded_in_place(self, store: SqlMetricStore) -> None:
        # Arrange: the layout of version 1 (no heartbeat_at), with a finished run in it
        store.start_run("orders@1", "orders", kind="profile", as_of=T0)
        with store.transaction() as conn:
            store.finish_run(conn, "orders@1", status="success", row_count=7)
            conn.execute(sa.text("ALTER TABLE dq_runs DROP COLUMN heartbeat_at"))
            conn.execute(schema.meta.update().values(value="1"))

        # Act
        upgraded = open_store(store.url)

        # Assert
        columns = {c["name"] for c in sa.inspect(upgraded.engine).get_columns("dq_runs")}
        run = upgraded.run("orders@1")
        assert upgraded.schema_version() == schema.SCHEMA_VERSION
        assert "heartbeat_at" in columns
        assert run is not None
        assert (run.status, run.row_count) == ("success", 7)
        upgraded.dispose()

    def test_migration_steps_can_run_twice(self, store: SqlMetricStore) -> None:
        # Two processes upgrading at once must not fail on a column the other added.
        with store.transaction() as conn:
            for migration in schema.MIGRATIONS[2]:
                migration(conn)
                migration(conn)

        columns = [c["name"] for c in sa.inspect(store.engine).get_columns("dq_runs")]
        assert columns.count("heartbeat_at") == 1

    def test_opening_a_current_store_writes_nothing(self, tmp_path: Path) -> None:
        # Arrange: another process holds the SQLite write lock (a long run committing)
        path = tmp_path / "m.db"
        open_store(f"sqlite:///{path}").dispose()
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE dq_meta SET value = value")
        try:
            # Act: it would wait for the lock (and fail after the timeout) if it wrote
            began = time.monotonic()
            reader = open_store(f"sqlite:///{path}", timeout=2)
            took = time.monotonic() - began
            runs = reader.runs()
        finally:
            writer.execute("COMMIT")
            writer.close()

        # Assert
        assert runs == []
        assert took < 1.5
        reader.dispose()

    def test_unreachable_store_is_transient(self) -> None:
        store = SqlMetricStore("postgresql+psycopg://nobody@127.0.0.1:1/none", timeout=2)

        with pytest.raises(StoreUnavailable, match="metric store"):
            store.ensure_schema()
