"""The serve loop on real databases: in-process services and ``python -m monitor serve``."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.config.models import load_config, parse_config
from monitor.run.context import MonitorContext
from monitor.run.runner import run_table
from monitor.serve.scheduling import next_run_times, trigger_for
from monitor.serve.service import Service, recover_orphans
from monitor.store import SqlMetricStore, open_store, schema
from monitor.timeutil import to_naive_utc, utcnow
from tests.helpers.postgres import temporary_database
from tests.helpers.serve import (
    BackendKiller,
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

UTC = dt.UTC


def config_dict(store_url: str, wh: WarehouseUnderTest, tables: list[dict], *,
                query_timeout: float = 30, **top: Any) -> dict:
    return {"store": store_url,
            "warehouses": {"wh": {"url": wh.url, "query_timeout": query_timeout}},
            "tables": tables, **top}


def runs_of(store: SqlMetricStore, table: str) -> list[Any]:
    return sorted(store.runs(table, limit=1000), key=lambda r: r.started_at)


def points_per_run(store: SqlMetricStore) -> dict[str, int]:
    m = schema.metrics
    with store.connect() as conn:
        return dict(conn.execute(sa.select(m.c.run_id, sa.func.count()).group_by(m.c.run_id))
                    .all())


def reference_point_count(wh: WarehouseUnderTest, entry: dict, tmp: Path) -> int:
    """Points of one complete run of the table, made in a store of its own."""
    name = entry["name"]
    config = parse_config(config_dict(f"sqlite:///{tmp / f'ref-{name}.db'}", wh, [entry]),
                          base_dir=tmp)
    ctx = MonitorContext(config)
    result = run_table(ctx, config.table(entry["name"]))
    ctx.store.dispose()
    assert result.ok, result.error
    return result.points_written


@pytest.fixture
def services() -> Iterator[list[Service]]:
    made: list[Service] = []
    yield made
    for service in made:
        service.stop(grace=10)
        service.store.dispose()


class TestRecoverOrphans:
    def test_marks_only_runs_of_dead_processes_of_this_host(self,
                                                            sqlite_store: SqlMetricStore) -> None:
        # Arrange: runs "owned" by a dead pid, a live pid, this process, another host
        host = socket.gethostname()
        finished = subprocess.Popen(["true"])
        finished.wait()
        alive = subprocess.Popen(["sleep", "30"])
        owners = {"dead": f"{host}:{finished.pid}", "alive": f"{host}:{alive.pid}",
                  "mine": f"{host}:{os.getpid()}", "elsewhere": "other-host:1"}
        for name, owner in owners.items():
            run_id = f"{name}@2026-01-01T00:00:00"
            sqlite_store.start_run(run_id, name, kind="profile", as_of=dt.datetime(2026, 1, 1))
            with sqlite_store.transaction() as conn:
                conn.execute(schema.runs.update().where(schema.runs.c.run_id == run_id)
                             .values(host=owner))
        try:
            # Act
            marked = recover_orphans(sqlite_store,
                                     started_before=utcnow() + dt.timedelta(seconds=1))
        finally:
            alive.kill()
            alive.wait()
        # Assert
        status = {r.table: r.status for r in sqlite_store.runs()}
        assert marked == 2
        assert status == {"dead": "interrupted", "mine": "interrupted", "alive": "running",
                          "elsewhere": "running"}


class TestService:
    def test_runs_every_table_on_schedule_once_per_run_time(
            self, tmp_path: Path, services: list[Service]) -> None:
        # Arrange
        wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'wh.db'}")
        make_table(wh, "a")
        make_table(wh, "b", rows=7)
        entries = [table_entry(wh, "a", "every 1s"), table_entry(wh, "b", "every 2s")]
        config = parse_config(config_dict(f"sqlite:///{tmp_path / 'm.db'}", wh, entries),
                              base_dir=tmp_path)
        expected = {e["name"]: reference_point_count(wh, e, tmp_path) for e in entries}
        service = Service(config)
        services.append(service)
        # Act
        service.start()
        wait_for(lambda: len(service.store.runs("a", status="success")) >= 3
                 and len(service.store.runs("b", status="success")) >= 2, timeout=10,
                 what="scheduled runs")
        service.stop(grace=10)
        # Assert
        per_run = points_per_run(service.store)
        for name, interval in (("a", 1), ("b", 2)):
            runs = runs_of(service.store, name)
            stamps = [r.scheduled_at for r in runs]
            assert {r.trigger for r in runs} == {"schedule"}
            assert {r.status for r in runs} == {"success"}
            assert {(b - a).total_seconds() for a, b in itertools.pairwise(stamps)} \
                == {float(interval)}
            assert {per_run[r.run_id] for r in runs} == {expected[name]}

    def test_a_run_time_past_the_misfire_grace_is_counted_missed(
            self, tmp_path: Path, services: list[Service]) -> None:
        wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'wh.db'}")
        make_table(wh, "a")
        config = parse_config(config_dict(f"sqlite:///{tmp_path / 'm.db'}", wh,
                                          [table_entry(wh, "a", "every 1h")],
                                          scheduler={"misfire_grace": "1s"}),
                              base_dir=tmp_path)
        service = Service(config)
        services.append(service)
        service.start()
        assert service.scheduler is not None
        # Act: the job's next run time is 10 s ago, past the 1 s grace
        service.scheduler.modify_job("table:a", next_run_time=dt.datetime.now(UTC)
                                     - dt.timedelta(seconds=10))
        missed = wait_for(lambda: service.metrics.registry.get_sample_value(
            "dq_monitor_runs_total", {"table": "a", "status": "missed"}), timeout=10,
            what="the missed run time to be counted")
        # Assert
        assert missed == 1
        assert service.store.runs("a") == []

    def test_reload_syncs_jobs_and_keeps_the_old_config_when_the_new_is_bad(
            self, tmp_path: Path, services: list[Service]) -> None:
        # Arrange
        wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'wh.db'}")
        path = tmp_path / "monitor.yaml"
        store_url = f"sqlite:///{tmp_path / 'm.db'}"
        write_config(path, config_dict(store_url, wh, [table_entry(wh, "a", "every 1h"),
                                                       table_entry(wh, "b", "every 1h")]))
        service = Service(load_config(path), load=lambda: load_config(path))
        services.append(service)
        service.start()
        # Act
        write_config(path, config_dict(store_url, wh, [table_entry(wh, "a", "every 2h"),
                                                       table_entry(wh, "c", "every 1h")]))
        report = service.reload()
        path.write_text("tables: [unclosed", encoding="utf-8")
        bad = service.reload()
        # Assert
        assert report is not None
        assert (report.added, report.removed, report.rescheduled) == (["c"], ["b"], ["a"])
        assert bad is None
        assert sorted(next_run_times(service.store.engine)) == ["a", "c"]
        assert [t.name for t in service.config.tables] == ["a", "c"]


@pytest.mark.postgres
class TestServiceOnPostgres:
    def test_two_triggers_for_the_same_table_and_time_run_once(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path,
            services: list[Service]) -> None:
        # Arrange: a run takes 0.6s; two triggers for the same run time start together
        make_slow_view(pg_warehouse, "t", 0.6)
        with temporary_database("dq_store") as url:
            config = parse_config(config_dict(url, pg_warehouse,
                                              [table_entry(pg_warehouse, "t", "every 1h")]),
                                  base_dir=tmp_path)
            service = Service(config)
            services.append(service)
            when = dt.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
            barrier = threading.Barrier(2)
            results: list[Any] = []

            def trigger() -> None:
                barrier.wait()
                results.append(service._run_job("t", when))

            # Act
            threads = [threading.Thread(target=trigger) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            # Assert
            statuses = sorted(r.status for r in results)
            runs = service.store.runs("t")
            per_run = points_per_run(service.store)
            written = next(r.points_written for r in results if r.status == "success")
            service.stop()
            service.store.dispose()
            services.clear()
        assert statuses == ["skipped", "success"]
        assert [(r.status, r.attempts) for r in runs] == [("success", 1)]
        assert per_run == {runs[0].run_id: written}

    def test_killed_warehouse_connection_is_retried_and_the_run_succeeds(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path,
            services: list[Service]) -> None:
        # Arrange: the scan sleeps 1.5s; another connection terminates it once
        make_slow_view(pg_warehouse, "slow", 1.5)
        config = parse_config(config_dict(f"sqlite:///{tmp_path / 'm.db'}", pg_warehouse,
                                          [table_entry(pg_warehouse, "slow", "every 1h")]),
                              base_dir=tmp_path)
        service = Service(config)
        services.append(service)
        killer = BackendKiller(f"{pg_warehouse.schema}.slow")
        killer.start()
        # Act
        result = service._run_job("slow", dt.datetime(2026, 5, 1, tzinfo=UTC))
        killer.join()
        # Assert
        stored = service.store.run(result.run_id)
        assert killer.killed is not None
        assert result.status == "success"
        assert result.retries == 1
        assert stored is not None
        assert (stored.status, stored.retries) == ("success", 1)

    def test_query_past_the_statement_timeout_fails_while_others_keep_running(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path,
            services: list[Service]) -> None:
        # Arrange: "hung" scans for 5s under a 1s statement timeout (one retry)
        make_slow_view(pg_warehouse, "hung", 5)
        make_table(pg_warehouse, "quick")
        entries = [table_entry(pg_warehouse, "hung", "every 1h"),
                   table_entry(pg_warehouse, "quick", "every 1s")]
        config = parse_config(config_dict(f"sqlite:///{tmp_path / 'm.db'}", pg_warehouse,
                                          entries, query_timeout=1,
                                          profiling={"max_retries": 1}), base_dir=tmp_path)
        service = Service(config)
        services.append(service)
        service.start()
        assert service.scheduler is not None
        # Act
        service.scheduler.modify_job("table:hung", next_run_time=dt.datetime.now(UTC))
        failed = wait_for(lambda: service.store.runs("hung", status="failed"), timeout=15,
                          what="the hung table to fail")[0]
        service.stop(grace=5)
        # Assert
        during = [r for r in service.store.runs("quick", status="success")
                  if failed.started_at <= r.started_at <= failed.finished_at]
        assert failed.error_kind == "QueryTimeout (transient)"
        assert "statement timeout" in (failed.error or "")
        assert failed.retries == 1
        assert failed.duration_seconds is not None
        assert failed.duration_seconds < 4.5  # two 1s attempts and a backoff, not 5s scans
        assert len(during) >= 1


@pytest.mark.postgres
class TestServiceLeadership:
    def test_a_second_service_stands_by_and_takes_over_when_the_first_stops(
            self, tmp_path: Path, services: list[Service]) -> None:
        # Arrange: two services on one PostgreSQL store, one table every second
        wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'wh.db'}")
        make_table(wh, "a")
        with temporary_database("dq_store") as url:
            config = parse_config(config_dict(url, wh, [table_entry(wh, "a", "every 1s")]),
                                  base_dir=tmp_path)
            first, second = Service(config), Service(config, load=lambda: config)
            services.extend([first, second])
            first.start()
            # Act 1: the second starts while the first leads
            report = second.start()
            standby = (second.leading, second.readiness(), second.reload())
            wait_for(lambda: first.store.runs("a", status="success"), timeout=10,
                     what="a run of the leader")
            # Act 2: the first stops; the second's next election takes the lead
            first.stop(grace=10)
            stopped_at = utcnow()
            second.elect()
            wait_for(lambda: [r for r in second.store.runs("a", status="success")
                              if r.started_at > to_naive_utc(stopped_at)], timeout=10,
                     what="a run of the new leader")
            leading = (second.leading, second.metrics.registry.get_sample_value(
                "dq_monitor_leader"), second.readiness().details["scheduler"])
            second.stop(grace=10)
            runs = second.store.runs("a", limit=1000)
            for service in services:
                service.store.dispose()
            services.clear()
        assert (report.added, report.unchanged) == ([], [])
        assert standby[0] is False
        assert standby[1].ok
        assert standby[1].details == {"store": "ok", "scheduler": "standby", "leader": False}
        assert standby[2] is not None  # a standby reloads its config, the leader syncs jobs
        assert leading == (True, 1.0, "running")
        assert {r.attempts for r in runs} == {1}
        assert len({r.scheduled_at for r in runs}) == len(runs)

    def test_the_leader_steps_down_when_its_lock_connection_breaks_and_comes_back(
            self, tmp_path: Path, services: list[Service]) -> None:
        wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'wh.db'}")
        make_table(wh, "a")
        with temporary_database("dq_store") as url:
            config = parse_config(config_dict(url, wh, [table_entry(wh, "a", "every 1h")]),
                                  base_dir=tmp_path)
            service = Service(config, leader_poll=0)
            services.append(service)
            service.start()
            name = sa.engine.make_url(url).database
            engine = sa.create_engine(sa.engine.make_url(url).set(database="postgres"))
            with engine.connect() as conn:
                lock_pid = conn.execute(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = :d "
                    "AND application_name LIKE 'dq-monitor serve %'"), {"d": name}).scalar()
            engine.dispose()
            # Act
            assert terminate_backend(lock_pid)
            service.elect()
            after_loss = service.leading
            service.elect()
            after_retry = service.leading
            service.stop(grace=1)
            service.store.dispose()
            services.clear()
        assert after_loss is False
        assert after_retry is True


@pytest.mark.postgres
@pytest.mark.slow
class TestServeProcess:
    def test_sigkill_mid_run_then_restart_recovers_cleanly(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: "slow" scans for 2s, "fast" is quick; both every second
        make_slow_view(pg_warehouse, "slow", 2)
        make_table(pg_warehouse, "fast")
        make_table(pg_warehouse, "extra", rows=5)
        slow, fast, extra = (table_entry(pg_warehouse, n, "every 1s")
                             for n in ("slow", "fast", "extra"))
        expected = {e["name"]: reference_point_count(pg_warehouse, e, tmp_path)
                    for e in (slow, fast, extra)}
        path = tmp_path / "monitor.yaml"
        with temporary_database("dq_store") as url:
            write_config(path, config_dict(url, pg_warehouse, [slow, fast],
                                           scheduler={"shutdown_grace": "10s"}))
            store = open_store(url)
            try:
                # Act 1: kill the service while "slow" runs
                with ServeProcess(path, tmp_path / "serve1.log") as first:
                    wait_for(lambda: store.runs("slow", status="running")
                             and store.runs("fast", status="success"), timeout=20,
                             what="a running slow run and a finished fast run")
                    first.kill()
                killed_at = utcnow()
                jobs_after_kill = next_run_times(store.engine)
                time.sleep(2.5)  # run times pass while no service runs
                # Act 2: restart; then reload a changed config; then stop cleanly
                with ServeProcess(path, tmp_path / "serve2.log") as second:
                    restarted = wait_for(
                        lambda: [r for r in store.runs("slow", status="success")
                                 if r.started_at > to_naive_utc(killed_at)],
                        timeout=20, what="a slow run after the restart")
                    write_config(path, config_dict(url, pg_warehouse, [slow, extra],
                                                   scheduler={"shutdown_grace": "10s"}))
                    second.signal(signal.SIGHUP)
                    wait_for(lambda: store.runs("extra", status="success"), timeout=10,
                             what="the table added by SIGHUP to run")
                    jobs_after_reload = next_run_times(store.engine)
                    second.signal(signal.SIGTERM)
                    code = second.wait(20)
                log = second.log()
                # Assert
                runs = store.runs(limit=1000)
                per_run = points_per_run(store)
            finally:
                store.dispose()
        interrupted = [r for r in runs if r.status == "interrupted"]
        assert code == 0, log[-3000:]
        assert sorted(jobs_after_kill) == ["fast", "slow"]
        assert sorted(jobs_after_reload) == ["extra", "slow"]
        assert [r.table for r in interrupted] == ["slow"]
        assert interrupted[0].started_at < to_naive_utc(killed_at)
        assert not [r for r in runs if r.status == "running"]
        # Missed run times while down (>= 2 per table) ran at most once per table
        for name in ("slow", "fast"):
            first_after = min(r.started_at for r in runs if r.table == name
                              and r.started_at > to_naive_utc(killed_at))
            window_end = first_after - dt.timedelta(seconds=1)
            missed = _fire_times(name, to_naive_utc(killed_at), window_end)
            ran = [r for r in runs if r.table == name and r.scheduled_at is not None
                   and to_naive_utc(killed_at) < r.scheduled_at < window_end]
            assert len(missed) >= 2
            assert len(ran) <= 1
        # Every stored point belongs to a successful run, each with a complete set
        status = {r.run_id: (r.table, r.status) for r in runs}
        assert {status[run_id][1] for run_id in per_run} == {"success"}
        for run_id, count in per_run.items():
            assert count == expected[status[run_id][0]]
        assert interrupted[0].run_id not in per_run
        assert restarted

    def test_sigterm_marks_a_run_that_cannot_finish_interrupted(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: a 10s scan, and half a second of grace at shutdown
        make_slow_view(pg_warehouse, "slow", 10)
        path = write_config(tmp_path / "monitor.yaml", config_dict(
            f"sqlite:///{tmp_path / 'm.db'}", pg_warehouse,
            [table_entry(pg_warehouse, "slow", "every 1s")],
            scheduler={"shutdown_grace": "0.5s"}))
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
        with ServeProcess(path, tmp_path / "serve.log") as serve:
            wait_for(lambda: store.runs("slow", status="running"), timeout=20,
                     what="a running run")
            # Act
            began = time.monotonic()
            serve.signal(signal.SIGTERM)
            code = serve.wait(15)
            took = time.monotonic() - began
        for pid in backends_running(f"{pg_warehouse.schema}.slow"):
            terminate_backend(pid)  # the server would sleep on for the dead client
        # Assert
        runs = store.runs("slow")
        assert code == 0, serve.log()[-3000:]
        assert took < 5
        assert [r.status for r in runs] == ["interrupted"]
        assert points_per_run(store) == {}
        assert "1 run(s) unfinished" in serve.log()
        store.dispose()


def _fire_times(table: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    from monitor.config.durations import parse_schedule

    trigger = trigger_for(parse_schedule("every 1s"), table)
    out, moment = [], start.replace(tzinfo=UTC)
    while True:
        moment = trigger.get_next_fire_time(None, moment + dt.timedelta(microseconds=1))
        if moment.replace(tzinfo=None) >= end:
            return out
        out.append(moment)


class TestDeliverAlerts:
    def test_a_pending_alert_is_delivered_without_waiting_for_a_run(self, tmp_path: Path
                                                                     ) -> None:
        import sqlalchemy as sa

        from monitor.alerts.outbox import OutboxMessage, enqueue
        from monitor.config.models import parse_config
        from monitor.store.schema import outbox

        config = parse_config({"store": f"sqlite:///{tmp_path / 'm.db'}", "warehouses": {}},
                              base_dir=tmp_path)
        service = Service(config)
        with service.store.transaction() as conn:
            enqueue(conn, OutboxMessage(message_id="m1", table="orders", event="opened",
                                        text="orders: rows 0, usually 900"),
                    now=dt.datetime.now(dt.UTC))

        service.deliver_alerts()
        assert service._delivery is not None
        service._delivery.join(10)

        with service.store.connect() as conn:
            status = conn.execute(sa.select(outbox.c.status)).scalar()
        assert status == "delivered"
