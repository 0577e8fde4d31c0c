"""The monitor-of-the-monitor report, checked against times worked out by hand."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.config.models import parse_config
from monitor.run.spool import Spool
from monitor.run.status import collect_status
from monitor.serve.scheduling import JOBS_TABLE
from monitor.store import RunRecord, SqlMetricStore, open_store

UTC = dt.UTC
NOW = dt.datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def at(hour: int, minute: int = 0, day: int = 4) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute)


def record(store: SqlMetricStore, table: str, start: dt.datetime, status: str = "success",
           *, retries: int = 0, scheduled: bool = True, error: str | None = None) -> None:
    store.record_run(RunRecord(
        run_id=f"{table}@{start.isoformat()}", table=table, kind="profile", as_of=start,
        status=status, started_at=start,
        finished_at=None if status == "running" else start + dt.timedelta(seconds=3),
        duration_seconds=None if status == "running" else 3.0, retries=retries, error=error,
        trigger="schedule" if scheduled else "cli", scheduled_at=start if scheduled else None))


def add_job(store: SqlMetricStore, table: str, next_run: dt.datetime) -> None:
    jobs = sa.Table(JOBS_TABLE, sa.MetaData(), sa.Column("id", sa.Unicode(191), primary_key=True),
                    sa.Column("next_run_time", sa.Float(25)),
                    sa.Column("job_state", sa.LargeBinary, nullable=False))
    with store.engine.begin() as conn:
        jobs.create(conn, checkfirst=True)
        conn.execute(jobs.insert().values(id=f"table:{table}",
                                          next_run_time=next_run.timestamp(), job_state=b"x"))


@pytest.fixture
def config(tmp_path: Path) -> Any:
    tables = {"hourly": "0 * * * *", "daily": "0 6 * * *", "every10": "every 10m",
              "failing": "*/10 * * * *", "never": "every 1h", "waiting": "every 1h"}
    return parse_config({
        "store": "sqlite:///:memory:", "warehouses": {"w": "sqlite:///:memory:"},
        "scheduler": {"misfire_grace": "5m"},
        "tables": [{"name": n, "warehouse": "w", "table": n, "schedule": s}
                   for n, s in tables.items()]}, base_dir=tmp_path)


@pytest.fixture
def report(config: Any, sqlite_store: SqlMetricStore, tmp_path: Path) -> Any:
    record(sqlite_store, "hourly", at(10))  # due 11:00, +5m grace: 55m late at noon
    record(sqlite_store, "hourly", at(9, day=1), "failed")  # outside the 24h window
    record(sqlite_store, "daily", at(6))  # next due tomorrow
    record(sqlite_store, "every10", at(11), scheduled=False)  # a manual run at 11:00
    record(sqlite_store, "failing", at(11, 30), retries=1)
    record(sqlite_store, "failing", at(11, 40), "failed", retries=2, error="boom")
    record(sqlite_store, "failing", at(11, 50), "failed", retries=2, error="boom again")
    add_job(sqlite_store, "waiting", NOW - dt.timedelta(hours=1))  # due 11:00, never ran
    spool = Spool(tmp_path / "spool")
    spool.keep("x@1", lambda store: None)
    return collect_status(config, sqlite_store, now=NOW, spool=spool)


def by_table(report: Any) -> dict[str, Any]:
    return {t.table: t for t in report.tables}


class TestCollectStatus:
    def test_overdue_tables_and_by_how_much(self, report: Any) -> None:
        tables = by_table(report)
        assert tables["hourly"].overdue_seconds == 55 * 60
        assert tables["hourly"].state == "overdue"
        assert tables["waiting"].overdue_seconds == 55 * 60
        assert not tables["daily"].overdue
        assert tables["daily"].expected_by == dt.datetime(2026, 3, 5, 6, 5, tzinfo=UTC)
        # An interval schedule is due within 10 minutes after 11:00 (its phase), +5m grace
        assert 45 * 60 <= tables["every10"].overdue_seconds <= 55 * 60

    def test_failures_retries_and_streaks_in_the_window(self, report: Any) -> None:
        failing = by_table(report)["failing"]
        assert failing.state == "failing"
        assert not failing.overdue  # due at 12:00, grace until 12:05
        assert (failing.runs, failing.failures, failing.retries) == (3, 2, 5)
        assert failing.consecutive_failures == 2
        assert failing.last_error == "boom again"
        assert failing.last_retries == 2
        assert by_table(report)["hourly"].failures == 0  # the old failure is outside 24h

    def test_never_run_without_a_job_is_not_a_problem(self, report: Any) -> None:
        never = by_table(report)["never"]
        assert (never.state, never.problem, never.last_run_at) == ("never run", False, None)

    def test_problems_and_spool(self, report: Any) -> None:
        assert sorted(t.table for t in report.problems) == ["every10", "failing", "hourly",
                                                            "waiting"]
        assert report.spooled_runs == 1

    def test_json_shape(self, report: Any) -> None:
        out = report.to_dict()
        hourly = next(t for t in out["tables"] if t["table"] == "hourly")
        assert out["overdue"] == ["hourly", "every10", "waiting"]
        assert out["failing"] == ["failing"]
        assert hourly["last_run_at"] == "2026-03-04T10:00:00+00:00"
        assert hourly["expected_by"] == "2026-03-04T11:05:00+00:00"
        assert hourly["overdue"] is True
        assert hourly["schedule"] == "0 * * * *"

    def test_a_running_run_is_reported_running(self, config: Any,
                                               sqlite_store: SqlMetricStore) -> None:
        record(sqlite_store, "hourly", at(11, 59), "running")
        status = by_table(collect_status(config, sqlite_store, now=NOW))["hourly"]
        assert (status.state, status.last_status, status.problem) == ("running", "running",
                                                                      False)

    def test_a_partial_last_run_is_failing(self, config: Any,
                                           sqlite_store: SqlMetricStore) -> None:
        record(sqlite_store, "hourly", at(11, 59), "partial")
        status = by_table(collect_status(config, sqlite_store, now=NOW))["hourly"]
        assert (status.last_status, status.problem) == ("partial", True)


class TestRunsWhoseProcessDied:
    def test_a_running_run_of_a_dead_process_counts_interrupted_without_a_write(
            self, config: Any, tmp_path: Path) -> None:
        # Arrange: the last run of "hourly" is "running", owned by a pid that is gone;
        # an ingest run was interrupted earlier; the report reads through a read-only handle
        url = f"sqlite:///{tmp_path / 'm.db'}"
        writer = open_store(url)
        finished = subprocess.Popen(["true"])
        finished.wait()
        owner = f"{socket.gethostname()}:{finished.pid}"
        writer.record_run(RunRecord(
            run_id="hourly@x", table="hourly", kind="profile", as_of=at(11, 58),
            status="running", started_at=at(11, 58), host=owner, heartbeat_at=at(11, 59)))
        writer.record_run(RunRecord(
            run_id="daily@x#ingest", table="daily", kind="ingest", as_of=at(9),
            status="interrupted", started_at=at(9), finished_at=at(9, 5), host="h:1",
            error="the process running it stopped before it finished: its process h:1 is gone"))
        writer.dispose()
        reader = SqlMetricStore(url, read_only=True)

        # Act
        report = collect_status(config, reader, now=NOW)

        # Assert
        hourly = by_table(report)["hourly"]
        assert (hourly.state, hourly.last_status, hourly.problem) == (
            "interrupted", "interrupted", True)
        assert hourly.last_error == (f"the process running it stopped before it finished: "
                                     f"its process {owner} is gone")
        assert [r.run_id for r in report.interrupted] == ["hourly@x", "daily@x#ingest"]
        assert [r["kind"] for r in report.to_dict()["interrupted_runs"]] == ["profile",
                                                                             "ingest"]
        assert reader.run("hourly@x").status == "running"  # type: ignore[union-attr]
        reader.dispose()

    def test_a_run_with_a_fresh_heartbeat_elsewhere_is_running(
            self, config: Any, sqlite_store: SqlMetricStore) -> None:
        sqlite_store.record_run(RunRecord(
            run_id="hourly@x", table="hourly", kind="profile", as_of=at(11, 1),
            status="running", started_at=at(11, 1), host="elsewhere:5", heartbeat_at=at(11, 58)))

        report = collect_status(config, sqlite_store, now=NOW)

        assert by_table(report)["hourly"].state == "running"
        assert report.interrupted == []

    def test_an_expired_lease_elsewhere_is_interrupted(
            self, config: Any, sqlite_store: SqlMetricStore) -> None:
        sqlite_store.record_run(RunRecord(
            run_id="hourly@x", table="hourly", kind="profile", as_of=at(11, 1),
            status="running", started_at=at(11, 1), host="elsewhere:5", heartbeat_at=at(11, 50)))

        report = collect_status(config, sqlite_store, now=NOW)

        hourly = by_table(report)["hourly"]
        assert hourly.state == "interrupted"
        assert "no heartbeat from elsewhere:5 since 2026-03-04 11:50:00 UTC" in (
            hourly.last_error or "")
