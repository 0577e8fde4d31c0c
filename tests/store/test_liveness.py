"""Heartbeats on real stores, and the rules that tell a dead run from a running one."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess

from hypothesis import given
from hypothesis import strategies as st

from monitor.store import SqlMetricStore
from monitor.store.liveness import Heartbeat, orphan_reason, process_owner, running_here
from tests.helpers.serve import wait_for

NOW = dt.datetime(2026, 3, 1, 12, 0)
HOST = socket.gethostname()


def dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


class TestOrphanReason:
    def test_a_dead_process_of_this_host(self) -> None:
        owner = f"{HOST}:{dead_pid()}"

        reason = orphan_reason("r", owner, NOW, NOW, now=NOW)

        assert reason == f"its process {owner} is gone"

    def test_a_live_process_of_this_host_with_a_fresh_heartbeat(self) -> None:
        assert orphan_reason("r", f"{HOST}:1", NOW, NOW, now=NOW) is None  # pid 1 lives

    def test_this_process_but_not_running_it(self) -> None:
        reason = orphan_reason("not-mine", process_owner(), NOW, NOW, now=NOW)

        assert reason == f"this process ({process_owner()}) is not running it: it was restarted"

    def test_this_process_running_it_unless_it_started_before_a_restart(
            self, sqlite_store: SqlMetricStore) -> None:
        sqlite_store.start_run("mine@1", "mine", kind="profile", as_of=NOW)

        alive = orphan_reason("mine@1", process_owner(), NOW, NOW, now=NOW)
        before = orphan_reason("mine@1", process_owner(), NOW, NOW, now=NOW,
                               mine_started_before=NOW + dt.timedelta(seconds=1))

        assert alive is None
        assert before is not None

    @given(age=st.floats(min_value=0, max_value=10 * 86400, allow_nan=False),
           lease=st.floats(min_value=1, max_value=86400, allow_nan=False),
           beat=st.booleans())
    def test_another_host_is_dead_exactly_when_its_lease_expired(
            self, age: float, lease: float, beat: bool) -> None:
        last = NOW - dt.timedelta(seconds=age)
        started = last if not beat else NOW - dt.timedelta(days=30)

        reason = orphan_reason("r", "elsewhere:12", last if beat else None, started, now=NOW,
                               lease=lease)

        # timedelta keeps microseconds: compare as the rule does
        expired = (NOW - last).total_seconds() > lease
        assert (reason is not None) == expired
        if expired:
            assert reason.startswith("no heartbeat from elsewhere:12 since ")


class TestHeartbeat:
    def test_refreshes_the_runs_it_beats_for_and_stops_without_runs(
            self, store: SqlMetricStore) -> None:
        # Arrange
        heartbeat = Heartbeat(store.engine, interval=0.05)
        store.start_run("a@1", "a", kind="ingest", as_of=NOW)
        store.start_run("b@1", "b", kind="ingest", as_of=NOW)
        first = {r.run_id: r.heartbeat_at for r in store.runs()}
        store.heartbeat.discard("a@1")
        store.heartbeat.discard("b@1")

        # Act
        heartbeat.add("a@1")
        newer = wait_for(lambda: (r := store.run("a@1")) and r.heartbeat_at > first["a@1"] and r,
                         timeout=10, what="a newer heartbeat")
        heartbeat.discard("a@1")

        # Assert
        assert newer.heartbeat_at > first["a@1"]
        assert store.run("b@1").heartbeat_at == first["b@1"]  # type: ignore[union-attr]
        wait_for(lambda: heartbeat._thread is None, timeout=5, what="the thread to end")
        assert not running_here("a@1")

    def test_does_not_revive_a_finished_run(self, store: SqlMetricStore) -> None:
        store.start_run("a@1", "a", kind="profile", as_of=NOW)
        with store.transaction() as conn:
            store.finish_run(conn, "a@1", status="success")
        heartbeat = Heartbeat(store.engine)
        heartbeat.add("a@1")

        touched = heartbeat.beat()
        heartbeat.stop()

        assert touched == 0
        assert store.run("a@1").status == "success"  # type: ignore[union-attr]

    def test_a_run_registers_while_it_runs(self, sqlite_store: SqlMetricStore) -> None:
        sqlite_store.start_run("r@1", "r", kind="profile", as_of=NOW)
        during = running_here("r@1")
        with sqlite_store.transaction() as conn:
            sqlite_store.finish_run(conn, "r@1", status="success")

        assert during
        assert not running_here("r@1")
        assert sqlite_store.run("r@1").host == process_owner()  # type: ignore[union-attr]
        assert os.getpid() == int(process_owner().rsplit(":", 1)[1])

