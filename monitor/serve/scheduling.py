"""APScheduler 3 wiring: one job per monitored table, persisted in the metric store.

Jobs live in a SQLAlchemy job store (table ``dq_scheduler_jobs``) in the metric
store database, so a restarted service keeps its schedules and knows which run
times it missed. Every job coalesces missed run times into one, never runs
twice at once (``max_instances=1``), and gives up on a run time that is later
than the misfire grace. Runs execute in a bounded thread pool.

Schedules are in UTC. Cron expressions have the usual crontab meaning
(0 or 7 is Sunday; a day-of-month and a day-of-week both given means either).
Interval schedules get a fixed phase per table, so restarts keep the run times
and a hundred tables with the same interval do not all start in the same second.

>>> from monitor.config.durations import parse_schedule
>>> trigger = trigger_for(parse_schedule("every 15m"), "orders")
>>> trigger.interval.total_seconds()
900.0
>>> str(trigger_for(parse_schedule("0 6 * * 1-5"), "orders"))
"cron[month='*', day_of_week='mon,tue,wed,thu,fri', hour='6', minute='0']"
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import sys
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from monitor.config.durations import Schedule
from monitor.config.models import MonitorConfig
from monitor.errors import ConfigError

log = logging.getLogger(__name__)

UTC = dt.UTC
JOBS_TABLE = "dq_scheduler_jobs"
JOB_PREFIX = "table:"
#: Interval schedules count from here (plus a per-table phase), not from "now".
ANCHOR = dt.datetime(2000, 1, 1, tzinfo=UTC)

#: Called by the pool for one run time of one table's job.
Handler = Callable[[str, dt.datetime], Any]

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def job_id(table: str) -> str:
    """The scheduler job id of a monitored table."""
    return JOB_PREFIX + table


def scheduled_table_run(table: str) -> None:
    """What a job names as its function; ``TableRunExecutor`` runs the service's handler."""
    raise RuntimeError(f"the job of table {table!r} needs dq-monitor's TableRunExecutor")


# -- triggers ---------------------------------------------------------------------
def _cron_numbers(field_text: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """Expand one crontab field (``*``, ``1-5``, ``*/2``, ``mon,wed``) into numbers."""
    out: set[int] = set()
    for part in field_text.lower().split(","):
        step, stepped = 1, "/" in part
        if stepped:
            part, step_text = part.split("/", 1)
            step = int(step_text)
            if step <= 0:
                raise ValueError(f"step must be positive in {field_text!r}")
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = int(names.get(a, a)), int(names.get(b, b))
        else:
            start = int(names.get(part, part))
            end = high if stepped else start
        if not low <= start <= high or not low <= end <= high or start > end:
            raise ValueError(f"{field_text!r} is outside {low}-{high}")
        out.update(range(start, end + 1, step))
    return out


def _cron_day_of_week(field_text: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler 3 names (0 = Monday)."""
    names = {name: i for i, name in enumerate(_DAY_NAMES)}
    days = {d % 7 for d in _cron_numbers(field_text, 0, 7, names)}
    order = (1, 2, 3, 4, 5, 6, 0)  # APScheduler lists weeks from Monday
    return ",".join(_DAY_NAMES[d] for d in order if d in days)


def _cron_trigger(expression: str) -> BaseTrigger:
    minute, hour, day, month, weekday = expression.split()
    restricted_day = day not in ("*", "?")
    restricted_weekday = weekday not in ("*", "?")
    common = {"minute": minute, "hour": hour, "month": month, "timezone": UTC}
    if restricted_day and restricted_weekday:
        # crontab runs when either field matches; APScheduler would require both.
        return OrTrigger([CronTrigger(day=day, **common),
                          CronTrigger(day_of_week=_cron_day_of_week(weekday), **common)])
    if restricted_weekday:
        return CronTrigger(day_of_week=_cron_day_of_week(weekday), **common)
    return CronTrigger(day=day.replace("?", "*"), **common)


def phase_seconds(table: str, interval: float) -> int:
    """A stable offset in [0, interval) whole seconds for a table's interval schedule."""
    return zlib.crc32(table.encode("utf-8")) % max(1, int(interval))


def trigger_for(schedule: Schedule, table: str) -> BaseTrigger:
    """The APScheduler trigger of a table's schedule (ValueError if it cannot fire)."""
    if schedule.kind == "interval":
        seconds = float(schedule.interval_seconds or 0)
        if seconds < 1:
            raise ValueError(f"an interval schedule must be at least 1s, got {schedule}")
        start = ANCHOR + dt.timedelta(seconds=phase_seconds(table, seconds))
        return IntervalTrigger(seconds=seconds, start_date=start, timezone=UTC)
    return _cron_trigger(str(schedule.cron))


def triggers_for(config: MonitorConfig) -> dict[str, BaseTrigger]:
    """Every table's trigger; ConfigError names each schedule that cannot fire."""
    problems, out = [], {}
    for i, table in enumerate(config.tables):
        schedule = config.schedule_for(table)
        where = (f"tables[{i}].schedule (table {table.name!r})" if table.schedule
                 else f"default_schedule (used by table {table.name!r})")
        try:
            out[table.name] = trigger_for(schedule, table.name)
        except (ValueError, TypeError) as error:
            problems.append(f"{where}: {schedule}: {error}")
    if problems:
        raise ConfigError(f"{config.source}: " + "; ".join(problems),
                          details={"problems": problems})
    return out


def next_fire_after(trigger: BaseTrigger, moment: dt.datetime) -> dt.datetime | None:
    """The first run time strictly after ``moment`` (aware UTC)."""
    after = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return trigger.get_next_fire_time(None, after + dt.timedelta(microseconds=1))


def period_seconds(trigger: BaseTrigger, moment: dt.datetime) -> float | None:
    """Seconds between the next two run times after ``moment`` (None: fewer than two)."""
    first = next_fire_after(trigger, moment)
    second = next_fire_after(trigger, first) if first is not None else None
    return (second - first).total_seconds() if second is not None and first else None


# -- execution ----------------------------------------------------------------------
class TableRunExecutor(ThreadPoolExecutor):
    """A bounded thread pool that hands each run time to ``handler(table, scheduled_at)``.

    APScheduler 3 does not tell a job its scheduled time; runs need it for
    their key, so this executor passes it on. Misfire handling and events are
    APScheduler's own.
    """

    def __init__(self, handler: Handler, max_workers: int) -> None:
        super().__init__(max_workers, pool_kwargs={"thread_name_prefix": "dq-run"})
        self._handler = handler

    def _do_submit_job(self, job: Job, run_times: list[dt.datetime]) -> None:
        def done(future: concurrent.futures.Future[list[JobExecutionEvent]]) -> None:
            if future.cancelled():  # dropped from the queue at shutdown
                self._run_job_success(job.id, [])
            elif future.exception() is not None:
                error = future.exception()
                self._run_job_error(job.id, error, getattr(error, "__traceback__", None))
            else:
                self._run_job_success(job.id, future.result())

        self._pool.submit(self._execute, job, run_times).add_done_callback(done)

    def _execute(self, job: Job, run_times: list[dt.datetime]) -> list[JobExecutionEvent]:
        events = []
        table = job.args[0]
        for run_time in run_times:
            late = dt.datetime.now(UTC) - run_time
            if job.misfire_grace_time is not None and late.total_seconds() > job.misfire_grace_time:
                log.warning("table %s: run time %s missed by %s (misfire grace %ss)", table,
                            run_time.isoformat(), late, job.misfire_grace_time,
                            extra={"dq": {"event": "missed", "table": table}})
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, job._jobstore_alias,
                                                run_time))
                continue
            try:
                value = self._handler(table, run_time)
            except BaseException:
                error, tb = sys.exc_info()[1:]
                log.exception("scheduled run of table %s at %s raised", table, run_time)
                events.append(JobExecutionEvent(
                    EVENT_JOB_ERROR, job.id, job._jobstore_alias, run_time, exception=error,
                    traceback="".join(traceback.format_tb(tb))))
            else:
                events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, job._jobstore_alias,
                                                run_time, retval=value))
        return events

    def shutdown(self, wait: bool = True) -> None:
        # Runs still waiting in the queue must not start once shutdown begins.
        self._pool.shutdown(wait=wait, cancel_futures=True)


class MonitorScheduler(BackgroundScheduler):
    """A background scheduler whose loop survives job store failures (metric store down)."""

    def _process_jobs(self) -> float | None:
        try:
            return super()._process_jobs()
        except Exception as error:  # noqa: BLE001  (the loop thread must not die)
            log.warning("scheduler: job store unavailable (%s); retrying in %.0fs",
                        str(error).splitlines()[0], self.jobstore_retry_interval)
            return self.jobstore_retry_interval


def build_scheduler(config: MonitorConfig, engine: Engine, handler: Handler, *,
                    retry_interval: float = 10.0) -> MonitorScheduler:
    """A scheduler on ``engine``'s database with a pool of ``scheduler.workers`` threads."""
    grace = grace_seconds(config)
    return MonitorScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        executors={"default": TableRunExecutor(handler, config.scheduler.workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        timezone=UTC, jobstore_retry_interval=retry_interval, daemon=True)


def grace_seconds(config: MonitorConfig) -> int:
    """``scheduler.misfire_grace`` as APScheduler wants it (whole seconds, at least 1)."""
    return max(1, round(config.scheduler.misfire_grace))


# -- keeping jobs in line with the config ------------------------------------------
@dataclass
class SyncReport:
    """What ``sync_jobs`` changed, by table name."""

    added: list[str] = field(default_factory=list)
    rescheduled: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [f"{len(v)} {k}" for k, v in vars(self).items() if v]
        return ", ".join(parts) or "no jobs"


def _job_name(table: str, schedule: Schedule) -> str:
    return f"{table} [{schedule}]"


def sync_jobs(scheduler: BackgroundScheduler, config: MonitorConfig) -> SyncReport:
    """Add, reschedule, update and remove jobs so the started scheduler matches the config.

    A job whose schedule did not change keeps its next run time, so run times
    missed while the service was down are still known (and coalesced).
    """
    triggers = triggers_for(config)
    grace = grace_seconds(config)
    report = SyncReport()
    existing = {job.id: job for job in scheduler.get_jobs() if job.id.startswith(JOB_PREFIX)}
    for table in config.tables:
        name = _job_name(table.name, config.schedule_for(table))
        jid = job_id(table.name)
        job = existing.pop(jid, None)
        if job is None:
            scheduler.add_job(scheduled_table_run, triggers[table.name], args=[table.name],
                              id=jid, name=name, coalesce=True, max_instances=1,
                              misfire_grace_time=grace, replace_existing=True)
            report.added.append(table.name)
        elif job.name != name:
            scheduler.modify_job(jid, name=name, misfire_grace_time=grace, coalesce=True,
                                 max_instances=1)
            scheduler.reschedule_job(jid, trigger=triggers[table.name])
            report.rescheduled.append(table.name)
        elif (job.misfire_grace_time, job.coalesce, job.max_instances) != (grace, True, 1):
            scheduler.modify_job(jid, misfire_grace_time=grace, coalesce=True, max_instances=1)
            report.updated.append(table.name)
        else:
            report.unchanged.append(table.name)
    for jid in existing:
        scheduler.remove_job(jid)
        report.removed.append(jid[len(JOB_PREFIX):])
    return report


def next_run_times(engine: Engine) -> dict[str, dt.datetime | None]:
    """Next run time of each table's job, read from the job store without unpickling."""
    if not sa.inspect(engine).has_table(JOBS_TABLE):
        return {}
    jobs = sa.Table(JOBS_TABLE, sa.MetaData(), sa.Column("id", sa.Unicode(191)),
                    sa.Column("next_run_time", sa.Float(25)))
    with engine.connect() as conn:
        rows = conn.execute(sa.select(jobs.c.id, jobs.c.next_run_time)
                            .where(jobs.c.id.startswith(JOB_PREFIX))).all()
    return {jid[len(JOB_PREFIX):]: (dt.datetime.fromtimestamp(ts, UTC) if ts is not None
                                    else None) for jid, ts in rows}
