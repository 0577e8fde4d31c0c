"""Leader election on real stores: file locks, PostgreSQL advisory locks, two real serves."""

from __future__ import annotations

import collections
import itertools
import signal
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.serve.leader import (
    AdvisoryLock,
    AnotherServeRunning,
    FileLock,
    NoElection,
    leadership_for,
    lock_key,
)
from monitor.store import open_store
from monitor.timeutil import to_naive_utc, utcnow
from tests.helpers.postgres import base_url, temporary_database, temporary_schema
from tests.helpers.serve import (
    ServeProcess,
    backends_running,
    make_slow_view,
    make_table,
    table_entry,
    terminate_backend,
    wait_for,
    write_config,
)
from tests.helpers.warehouses import WarehouseUnderTest

HOST = socket.gethostname()
#: What docs/service.md promises: a standby takes over within this after the leader dies.
TAKEOVER_BOUND = 5.0


def lock_pids(key: int) -> list[int]:
    """Server backends holding the advisory lock ``key`` (read by hand from pg_locks)."""
    engine = sa.create_engine(base_url())
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND objid::bigint = :k"), {"k": key}).scalars())
    finally:
        engine.dispose()


def key_of(lock: AdvisoryLock) -> int:
    assert lock._key is not None
    return lock._key


class TestLockKey:
    def test_is_stable_positive_and_apart_per_schema(self) -> None:
        keys = {lock_key("db", s) for s in ("public", "other", "")}

        assert lock_key("db", "public") == lock_key("db", "public")
        assert len(keys) == 3
        assert all(0 <= k < 2**31 for k in keys)


class TestFileLock:
    def test_a_second_holder_is_refused_with_the_owner_named(self, tmp_path: Path) -> None:
        db = tmp_path / "m.db"
        first, second = FileLock(db, f"{HOST}:1"), FileLock(db, f"{HOST}:2")

        assert first.try_acquire()
        with pytest.raises(AnotherServeRunning, match=f"another dq-monitor serve \\({HOST}:1\\)"):
            second.try_acquire()
        assert first.still_held()
        assert second.holder() == f"{HOST}:1"

    def test_released_lock_can_be_taken(self, tmp_path: Path) -> None:
        db = tmp_path / "m.db"
        first, second = FileLock(db, "a:1"), FileLock(db, "b:2")
        first.try_acquire()

        first.release()

        assert second.try_acquire()
        assert not first.still_held()
        assert second.holder() == "b:2"
        second.release()


class TestLeadershipFor:
    def test_sqlite_file_gets_a_file_lock_and_memory_no_election(self, tmp_path: Path) -> None:
        file_store = sa.create_engine(f"sqlite:///{tmp_path / 'm.db'}")
        memory = sa.create_engine("sqlite://")

        file_lock = leadership_for(file_store, "h:1")
        none = leadership_for(memory, "h:1")

        assert isinstance(file_lock, FileLock)
        assert file_lock.path == (tmp_path / "m.db.serve.lock").resolve()
        assert isinstance(none, NoElection)
        assert none.try_acquire()
        assert none.still_held()
        assert not none.standby

    @pytest.mark.postgres
    def test_postgresql_gets_an_advisory_lock(self) -> None:
        with temporary_database("dq_store") as url:
            engine = sa.create_engine(url)
            lock = leadership_for(engine, "h:1")
            engine.dispose()

        assert isinstance(lock, AdvisoryLock)
        assert lock.standby


@pytest.mark.postgres
class TestAdvisoryLock:
    def test_one_of_two_leads_and_the_other_takes_over_when_its_session_ends(self) -> None:
        with temporary_database("dq_store") as url:
            engine = sa.create_engine(url)
            first, second = AdvisoryLock(engine, f"{HOST}:101"), AdvisoryLock(engine, "b:202")
            try:
                # Act 1: both try
                got = (first.try_acquire(), second.try_acquire())
                holders = lock_pids(key_of(first))
                named = second.holder()
                # Act 2: the server ends the leader's session (as when its process dies)
                assert terminate_backend(holders[0])
                lost = first.still_held()
                took = wait_for(second.try_acquire, timeout=5, what="the takeover")
                after = second.holder()
            finally:
                first.release()
                second.release()
                engine.dispose()
        assert got == (True, False)
        assert len(holders) == 1
        assert named == f"{HOST}:101"
        assert lost is False
        assert took is True
        assert after == "b:202"

    def test_locks_of_stores_in_two_schemas_are_apart(self) -> None:
        with temporary_schema("dq_a") as a, temporary_schema("dq_b") as b:
            # a store in a schema: libpq's options in the URL (the lock connection keeps them)
            engines = [sa.create_engine(sa.engine.make_url(base_url()).update_query_dict(
                {"options": f"-csearch_path={s}"})) for s in (a, b)]
            locks = [AdvisoryLock(e, f"h:{i}") for i, e in enumerate(engines)]
            try:
                got = [lock.try_acquire() for lock in locks]
                keys = {key_of(lock) for lock in locks}
            finally:
                for lock, engine in zip(locks, engines, strict=True):
                    lock.release()
                    engine.dispose()
        assert got == [True, True]
        assert len(keys) == 2

    def test_released_lock_is_free_and_a_store_that_is_down_is_no_lead(self) -> None:
        with temporary_database("dq_store") as url:
            engine = sa.create_engine(url)
            lock = AdvisoryLock(engine, "h:1")
            lock.try_acquire()
            key = key_of(lock)
            lock.release()
            free = lock_pids(key)
        # the database is dropped now: nobody can lead on it
        down = AdvisoryLock(engine, "h:2").try_acquire()
        engine.dispose()
        assert free == []
        assert down is False


def owner(process: ServeProcess) -> str:
    return f"{HOST}:{process.pid}"


@pytest.mark.postgres
@pytest.mark.slow
class TestTwoReplicas:
    def test_sigkill_of_the_leader_mid_run_hands_the_schedule_over_once(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: "slow" scans for 1.5s every 2s, "fast" runs every second
        make_slow_view(pg_warehouse, "slow", 1.5)
        make_table(pg_warehouse, "fast")
        intervals = {"slow": 2.0, "fast": 1.0}
        with temporary_database("dq_store") as url:
            path = write_config(tmp_path / "monitor.yaml", {
                "store": url, "warehouses": {"wh": {"url": pg_warehouse.url}},
                "tables": [table_entry(pg_warehouse, "slow", "every 2s"),
                           table_entry(pg_warehouse, "fast", "every 1s")],
                "scheduler": {"shutdown_grace": "10s"}})
            store = open_store(url)
            try:
                with ServeProcess(path, tmp_path / "a.log") as a, \
                        ServeProcess(path, tmp_path / "b.log") as b:
                    by_owner = {owner(a): a, owner(b): b}
                    running = wait_for(lambda: [r for r in store.runs("slow", status="running")
                                                if store.runs("fast", status="success")],
                                       timeout=30, what="the leader running slow")[0]
                    leader = by_owner[running.host]
                    standby = a if leader is b else b
                    # Act: SIGKILL the leader while "slow" runs
                    leader.kill()
                    killed_at = to_naive_utc(utcnow())
                    wait_for(lambda: all(
                        len([r for r in store.runs(t, status="success")
                             if r.host == owner(standby)]) >= 2 for t in intervals),
                        timeout=20, what="the standby to run both tables twice")
                    standby.signal(signal.SIGTERM)
                    code = standby.wait(20)
                runs = store.runs(limit=1000)
            finally:
                store.dispose()
        for pid in backends_running(f"{pg_warehouse.schema}.slow"):
            terminate_backend(pid)
        # Assert: both ran; the standby waited, then took over
        assert code == 0, standby.log()[-3000:]
        assert "standing by" in standby.log()
        assert "taking over the schedule" in standby.log()
        hosts = {r.host for r in runs}
        assert hosts == {owner(leader), owner(standby)}
        # one run per (table, scheduled time), each run once (a rerun counts an attempt)
        per_time = collections.Counter((r.table, r.scheduled_at) for r in runs)
        assert set(per_time.values()) == {1}
        assert {r.attempts for r in runs} == {1}
        # the leader's runs all started before the kill, the standby's all after it
        assert max(r.started_at for r in runs if r.host == owner(leader)) < killed_at
        assert min(r.started_at for r in runs if r.host == owner(standby)) > killed_at
        # the run cut by the kill was found and marked interrupted by the new leader
        cut = [r for r in runs if r.status == "interrupted"]
        assert running.run_id in {r.run_id for r in cut}
        assert {r.host for r in cut} == {owner(leader)}
        assert not [r for r in runs if r.status == "running"]
        # takeover: the standby's first run started within the bound of the kill
        takeover = (min(r.started_at for r in runs if r.host == owner(standby))
                    - killed_at).total_seconds()
        assert takeover < TAKEOVER_BOUND
        # no gap between run times longer than the interval plus the takeover bound
        gaps = {table: max((y - x).total_seconds() for x, y in itertools.pairwise(
            sorted(r.scheduled_at for r in runs if r.table == table))) for table in intervals}
        assert all(gaps[t] <= intervals[t] + TAKEOVER_BOUND for t in intervals), gaps
        print(f"takeover {takeover:.2f}s, largest gap between run times {gaps}")


class TestSqliteSecondServe:
    def test_refuses_to_start_with_exit_code_2(self, tmp_path: Path) -> None:
        # Arrange: one serve on a SQLite store
        store = tmp_path / "m.db"
        path = write_config(tmp_path / "monitor.yaml", {
            "store": f"sqlite:///{store}",
            "warehouses": {"wh": {"url": f"sqlite:///{tmp_path / 'wh.db'}"}}, "tables": []})
        with ServeProcess(path, tmp_path / "first.log") as first:
            wait_for(lambda: "serving 0 table(s)" in first.log(), timeout=20,
                     what="the first serve to start")
            # Act
            with ServeProcess(path, tmp_path / "second.log") as second:
                code = second.wait(20)
            first.signal(signal.SIGTERM)
            first_code = first.wait(20)
        # Assert
        assert code == 2, second.log()[-2000:]
        assert f"another dq-monitor serve ({HOST}:{first.pid}) already uses the SQLite " \
               f"store {store.resolve()}" in second.log()
        assert "PostgreSQL" in second.log()
        assert first_code == 0
