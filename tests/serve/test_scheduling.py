"""Triggers, job sync and the table executor, with a real APScheduler on real databases."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config.durations import parse_schedule
from monitor.config.models import parse_config
from monitor.errors import ConfigError
from monitor.serve.scheduling import (
    build_scheduler,
    next_run_times,
    phase_seconds,
    sync_jobs,
    trigger_for,
    triggers_for,
)
from monitor.store import open_store
from tests.helpers.postgres import temporary_database
from tests.helpers.serve import database_down, wait_for

UTC = dt.UTC


def config_for(tmp: Path, tables: dict[str, str], **top: Any) -> Any:
    raw = {"store": f"sqlite:///{tmp / 'metrics.db'}", "warehouses": {"w": "sqlite:///:memory:"},
           "tables": [{"name": n, "warehouse": "w", "table": n, "schedule": s}
                      for n, s in tables.items()], **top}
    return parse_config(raw)


# -- an independent crontab oracle: check each day against the fields by hand ------
def _expand(field: str, low: int, high: int) -> set[int]:
    names = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
    out: set[int] = set()
    for part in field.split(","):
        rng, _, step = part.partition("/")
        if rng == "*":
            a, b = low, high
        elif "-" in rng:
            a, b = (int(names.get(x, x)) for x in rng.split("-"))
        else:
            a = int(names.get(rng, rng))
            b = high if step else a
        out |= set(range(a, b + 1, int(step or 1)))
    return out


def cron_days(dom: str, dow: str, start: dt.date, count: int) -> list[dt.date]:
    """Days on which crontab fires ``0 0 dom * dow``, per the crontab(5) manual."""
    days = _expand(dom, 1, 31) if dom != "*" else None
    weekdays = {d % 7 for d in _expand(dow, 0, 7)} if dow != "*" else None
    out, day = [], start
    while len(out) < count:
        in_dom = days is None or day.day in days
        in_dow = weekdays is None or (day.isoweekday() % 7) in weekdays
        if (days is not None and weekdays is not None and (in_dom or in_dow)) or (
                (days is None or weekdays is None) and in_dom and in_dow):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def trigger_days(trigger: Any, start: dt.date, count: int) -> list[dt.date]:
    out, moment = [], dt.datetime.combine(start, dt.time(), UTC) - dt.timedelta(seconds=1)
    while len(out) < count:
        moment = trigger.get_next_fire_time(None, moment + dt.timedelta(seconds=1))
        out.append(moment.date())
    return out


dow_part = st.one_of(
    st.integers(0, 7).map(str),
    st.sampled_from(["mon", "tue", "sun", "sat", "fri"]),
    st.tuples(st.integers(0, 6), st.integers(0, 6)).map(
        lambda ab: f"{min(ab)}-{max(ab)}"),
    st.tuples(st.sampled_from(["*", "1-5", "0-6"]), st.integers(1, 3)).map(
        lambda x: f"{x[0]}/{x[1]}"),
)
dow_field = st.lists(dow_part, min_size=1, max_size=3).map(",".join)


class TestTriggerFor:
    def test_interval_fires_at_a_stable_phase_every_interval(self) -> None:
        # Arrange
        schedule = parse_schedule("every 15m")
        now = dt.datetime(2026, 3, 4, 10, 7, 3, tzinfo=UTC)
        # Act
        first = trigger_for(schedule, "orders").get_next_fire_time(None, now)
        again = trigger_for(schedule, "orders").get_next_fire_time(None, now)
        later = trigger_for(schedule, "orders").get_next_fire_time(
            None, first + dt.timedelta(seconds=1))
        # Assert: phase = seconds past each quarter hour, the same after a "restart"
        offset = phase_seconds("orders", 900)
        assert first == again
        assert (first - dt.datetime(2026, 3, 4, tzinfo=UTC)).total_seconds() % 900 == offset
        assert first >= now
        assert later - first == dt.timedelta(minutes=15)

    def test_tables_with_the_same_interval_get_different_phases(self) -> None:
        phases = {phase_seconds(f"table_{i}", 3600) for i in range(50)}
        assert len(phases) > 40

    def test_sub_second_interval_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="at least 1s"):
            trigger_for(parse_schedule("every 0.5s"), "t")

    def test_crontab_sunday_is_zero_and_seven(self) -> None:
        start = dt.date(2026, 3, 2)  # a Monday
        for dow in ("0", "7", "sun"):
            days = trigger_days(trigger_for(parse_schedule(f"0 0 * * {dow}"), "t"), start, 3)
            assert [d.isoweekday() for d in days] == [7, 7, 7]

    def test_day_of_month_or_day_of_week_as_in_crontab(self) -> None:
        # "the 1st, or any Monday": March 2026 starts on a Sunday
        trigger = trigger_for(parse_schedule("0 0 1 * 1"), "t")
        days = trigger_days(trigger, dt.date(2026, 3, 1), 4)
        assert days == [dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 9),
                        dt.date(2026, 3, 16)]

    @settings(max_examples=60, deadline=None)
    @given(dow=dow_field, dom=st.sampled_from(["*", "1", "13", "1-7", "*/10"]))
    def test_cron_days_match_crontab(self, dow: str, dom: str) -> None:
        start = dt.date(2026, 1, 1)
        trigger = trigger_for(parse_schedule(f"0 0 {dom} * {dow}"), "t")
        assert trigger_days(trigger, start, 12) == cron_days(dom, dow, start, 12)

    def test_hour_and_minute_fields(self) -> None:
        trigger = trigger_for(parse_schedule("30 6 * * *"), "t")
        fire = trigger.get_next_fire_time(None, dt.datetime(2026, 3, 4, 7, 0, tzinfo=UTC))
        assert fire == dt.datetime(2026, 3, 5, 6, 30, tzinfo=UTC)


class TestTriggersFor:
    def test_every_bad_schedule_is_named_when_the_config_loads(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as error:
            config_for(tmp_path, {"a": "99 * * * *", "b": "every 1h", "c": "0 0 * * 9"})
        message = str(error.value)
        assert "tables[0].schedule (table 'a')" in message
        assert "tables[2].schedule (table 'c')" in message
        assert "'b'" not in message

    def test_default_schedule_is_named_when_the_config_loads(self) -> None:
        raw = {"store": "sqlite:///:memory:", "warehouses": {"w": "sqlite:///:memory:"},
               "default_schedule": "0 25 * * *",
               "tables": [{"name": "a", "warehouse": "w", "table": "a"}]}
        with pytest.raises(ConfigError, match=r"default_schedule: '0 25 \* \* \*'"):
            parse_config(raw)

    def test_every_table_of_a_valid_config_gets_a_trigger(self, tmp_path: Path) -> None:
        config = config_for(tmp_path, {"a": "0 6 * * 1-5", "b": "every 1h"})
        assert set(triggers_for(config)) == {"a", "b"}


def _noop(table: str, scheduled_at: dt.datetime) -> None:
    return None


@pytest.fixture
def started() -> Iterator[list[Any]]:
    """Schedulers a test starts, shut down afterwards."""
    schedulers: list[Any] = []
    yield schedulers
    for scheduler in schedulers:
        if scheduler.running:
            scheduler.shutdown(wait=True)


def start(config: Any, store: Any, handler: Any, started: list[Any], **kw: Any) -> Any:
    scheduler = build_scheduler(config, store.engine, handler, **kw)
    scheduler.start(paused=True)
    started.append(scheduler)
    return scheduler


class TestSyncJobs:
    def test_adds_keeps_reschedules_updates_and_removes(self, tmp_path: Path,
                                                        started: list[Any]) -> None:
        # Arrange: a first service run creates the jobs
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        first = config_for(tmp_path, {"a": "every 1h", "b": "0 * * * *", "c": "every 5m"})
        scheduler = start(first, store, _noop, started)
        added = sync_jobs(scheduler, first)
        before = {j.id: j.next_run_time for j in scheduler.get_jobs()}
        scheduler.shutdown()
        # Act: a restart with a changed config
        second = config_for(tmp_path, {"a": "every 1h", "b": "every 10m", "d": "every 1m"},
                            scheduler={"misfire_grace": "2m"})
        again = start(second, store, _noop, started)
        report = sync_jobs(again, second)
        jobs = {j.id: j for j in again.get_jobs()}
        # Assert
        assert added.added == ["a", "b", "c"]
        assert report.added == ["d"]
        assert report.rescheduled == ["b"]
        assert report.removed == ["c"]
        assert report.updated == ["a"]  # only the grace changed: run time kept
        assert jobs["table:a"].next_run_time == before["table:a"]
        assert jobs["table:a"].misfire_grace_time == 120
        assert str(jobs["table:b"].trigger) == "interval[0:10:00]"
        assert set(jobs) == {"table:a", "table:b", "table:d"}
        assert all(j.coalesce and j.max_instances == 1 for j in jobs.values())
        store.dispose()

    def test_unchanged_config_changes_nothing(self, tmp_path: Path, started: list[Any]) -> None:
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        config = config_for(tmp_path, {"a": "every 1h"})
        scheduler = start(config, store, _noop, started)
        sync_jobs(scheduler, config)
        report = sync_jobs(scheduler, config)
        assert report.unchanged == ["a"]
        assert report.added == report.removed == report.rescheduled == report.updated == []
        store.dispose()


class TestNextRunTimes:
    def test_reads_the_job_store_without_a_scheduler(self, tmp_path: Path,
                                                     started: list[Any]) -> None:
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        assert next_run_times(store.engine) == {}
        config = config_for(tmp_path, {"a": "every 1h", "b": "0 6 * * *"})
        scheduler = start(config, store, _noop, started)
        sync_jobs(scheduler, config)
        expected = {j.id.removeprefix("table:"): j.next_run_time for j in scheduler.get_jobs()}
        times = next_run_times(store.engine)
        assert times == expected
        store.dispose()


class Recorder:
    """A handler that records each run: table, scheduled time, start and end."""

    def __init__(self, sleep: dict[str, float] | None = None) -> None:
        self.sleep = sleep or {}
        self.runs: list[tuple[str, dt.datetime, float, float]] = []
        self.lock = threading.Lock()

    def __call__(self, table: str, scheduled_at: dt.datetime) -> None:
        began = time.monotonic()
        time.sleep(self.sleep.get(table, 0.0))
        with self.lock:
            self.runs.append((table, scheduled_at, began, time.monotonic()))

    def of(self, table: str) -> list[tuple[str, dt.datetime, float, float]]:
        with self.lock:
            return [r for r in self.runs if r[0] == table]


class TestTableRunExecutor:
    def test_jobs_fire_on_schedule_with_their_scheduled_time(self, tmp_path: Path,
                                                              started: list[Any]) -> None:
        # Arrange
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        config = config_for(tmp_path, {"a": "every 1s", "b": "every 2s"})
        recorder = Recorder()
        scheduler = start(config, store, recorder, started)
        sync_jobs(scheduler, config)
        # Act
        scheduler.resume()
        wait_for(lambda: len(recorder.of("a")) >= 3 and len(recorder.of("b")) >= 2,
                 timeout=8, what="runs of a and b")
        scheduler.shutdown()
        # Assert: whole-second run times, one interval apart, run right on time
        for table, interval in (("a", 1), ("b", 2)):
            stamps = [r[1] for r in recorder.of(table)]
            assert all(s.microsecond == 0 for s in stamps)
            gaps = {(b - a).total_seconds() for a, b in itertools.pairwise(stamps)}
            assert gaps == {float(interval)}
        store.dispose()

    def test_overlapping_triggers_of_one_table_never_run_together(
            self, tmp_path: Path, started: list[Any]) -> None:
        # Arrange: runs of "slow" take 1.6s on a 1s schedule
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        config = config_for(tmp_path, {"slow": "every 1s"}, scheduler={"workers": 2})
        recorder = Recorder({"slow": 1.6})
        skipped: list[Any] = []
        scheduler = start(config, store, recorder, started)
        scheduler.add_listener(skipped.append, EVENT_JOB_MAX_INSTANCES)
        sync_jobs(scheduler, config)
        # Act
        scheduler.resume()
        wait_for(lambda: len(recorder.of("slow")) >= 2, timeout=10, what="two slow runs")
        runs = sorted(recorder.of("slow"), key=lambda r: r[2])
        scheduler.shutdown(wait=False)
        # Assert: no two runs overlap although a worker was free; triggers were skipped
        for earlier, later in itertools.pairwise(runs):
            assert later[2] >= earlier[3]
        assert len(skipped) >= 1
        store.dispose()

    def test_a_run_time_later_than_the_grace_is_missed(self, tmp_path: Path,
                                                       started: list[Any]) -> None:
        # Arrange: one worker, busy for 2.5s with "hog"; "late" waits in the queue
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        config = config_for(tmp_path, {"hog": "every 1h", "late": "every 1h"},
                            scheduler={"workers": 1, "misfire_grace": 1})
        recorder = Recorder({"hog": 2.5})
        missed: list[Any] = []
        scheduler = start(config, store, recorder, started)
        scheduler.add_listener(missed.append, EVENT_JOB_MISSED)
        sync_jobs(scheduler, config)
        now = dt.datetime.now(UTC)
        scheduler.modify_job("table:hog", next_run_time=now)
        scheduler.modify_job("table:late", next_run_time=now + dt.timedelta(milliseconds=200))
        # Act
        scheduler.resume()
        wait_for(lambda: missed, timeout=8, what="a missed run")
        scheduler.shutdown()
        # Assert
        assert [e.job_id for e in missed] == ["table:late"]
        assert [r[0] for r in recorder.runs] == ["hog"]
        store.dispose()


class TestMonitorScheduler:
    def test_keeps_firing_after_the_store_was_down(self, started: list[Any]) -> None:
        # Arrange: jobs in a PostgreSQL store that goes away for a second
        with temporary_database("dq_sched") as url:
            store = open_store(url)
            raw = {"store": url, "warehouses": {"w": "sqlite:///:memory:"},
                   "tables": [{"name": "a", "warehouse": "w", "table": "a",
                               "schedule": "every 1s"}]}
            config = parse_config(raw)
            recorder = Recorder()
            scheduler = start(config, store, recorder, started, retry_interval=0.5)
            sync_jobs(scheduler, config)
            scheduler.resume()
            wait_for(lambda: recorder.of("a"), timeout=5, what="a first run")
            # Act
            with database_down(url):
                time.sleep(1.0)
            count = len(recorder.of("a"))
            wait_for(lambda: len(recorder.of("a")) >= count + 2, timeout=8,
                     what="runs after the outage")
            # Assert
            assert scheduler._thread.is_alive()
            scheduler.shutdown()
            store.dispose()

    def test_survives_a_job_store_that_fails_while_updating_jobs(
            self, tmp_path: Path, started: list[Any], caplog: pytest.LogCaptureFixture) -> None:
        # Arrange: the job store database refuses updates of the jobs table for a while
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        config = config_for(tmp_path, {"a": "every 1s"})
        recorder = Recorder()
        scheduler = start(config, store, recorder, started, retry_interval=0.3)
        sync_jobs(scheduler, config)
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE UPDATE ON dq_scheduler_jobs "
                "BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END")
        # Act
        scheduler.resume()
        wait_for(lambda: "job store unavailable" in caplog.text, timeout=5,
                 what="the failure to be logged")
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse")
        count = len(recorder.of("a"))
        wait_for(lambda: len(recorder.of("a")) >= count + 2, timeout=6,
                 what="runs after the job store recovered")
        # Assert
        assert scheduler._thread.is_alive()
        scheduler.shutdown()
        store.dispose()
