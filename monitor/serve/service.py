"""``dq-monitor serve``: the long-running monitor.

One ``Service`` owns the scheduler (``monitor.serve.scheduling``), the spool
(``monitor.run.spool``) and the process's signals:

- on start, runs left ``running`` by a process that died (its pid is gone,
  or its heartbeat stopped) are marked ``interrupted``; spooled results are
  replayed; jobs are brought in line with the config (added, rescheduled,
  removed);
- SIGHUP reloads the config file and syncs the jobs again (a bad file is
  logged and the running config kept);
- SIGTERM/SIGINT stop new runs, let running ones finish for
  ``scheduler.shutdown_grace`` and mark the rest ``interrupted``; a second
  signal stops waiting;
- with ``scheduler.metrics_port``, Prometheus metrics and the ``/healthz`` and
  ``/readyz`` probes are served on that port (``monitor.serve.metrics``,
  ``monitor.serve.health``);
- replicas on one PostgreSQL store elect one leader that schedules; the others
  stand by and take over when it dies (``monitor.serve.leader``). A second
  process on a SQLite store refuses to start.

>>> from monitor.config.models import load_config
>>> service = Service(load_config(sample_config))
>>> [table.name for table in service.ctx.config.tables]
['orders', 'events', 'customers']
>>> service.run()  # until SIGTERM  # doctest: +SKIP
0
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.triggers.base import BaseTrigger

from monitor.alerts.outbox import flush_outbox
from monitor.config.models import MonitorConfig
from monitor.errors import ConfigError, MonitorError, StoreError
from monitor.run.context import MonitorContext
from monitor.run.runner import run_table
from monitor.run.spool import Spool
from monitor.run.state import RunResult
from monitor.serve import leader
from monitor.serve.health import HealthServer, Probe
from monitor.serve.leader import Leadership, leadership_for
from monitor.serve.metrics import ServiceMetrics, read_snapshot
from monitor.serve.scheduling import (
    JOB_PREFIX,
    MonitorScheduler,
    SyncReport,
    build_scheduler,
    period_seconds,
    sync_jobs,
    triggers_for,
)
from monitor.store import SqlMetricStore, run_key
from monitor.store.liveness import process_owner
from monitor.timeutil import utcnow

log = logging.getLogger(__name__)


def recover_orphans(store: SqlMetricStore, *, started_before: dt.datetime | None = None) -> int:
    """Mark ``interrupted`` the runs left ``running`` by processes that died.

    The rules are the store's (``monitor.store.liveness``): the owner process
    of this host is gone, or no heartbeat for the lease, whatever the host.
    Runs of this very process started before ``started_before`` (the service's
    start) are orphans too: a restarted container gets the same pid.
    """
    return store.mark_stale_runs(mine_started_before=started_before)


#: Seconds between two background passes over the alert outbox.
DELIVERY_INTERVAL = 30.0
#: Seconds between two searches of the leader for runs orphaned by a dead replica.
RECOVERY_INTERVAL = 60.0
#: /healthz fails when the serve loop has not turned for this long (it hangs).
LOOP_STALL = 60.0


class Service:
    """The scheduler service of one config; see the module docstring."""

    def __init__(self, config: MonitorConfig, *,
                 load: Callable[[], MonitorConfig] | None = None,
                 spool: Spool | None = None, replay_interval: float = 10.0,
                 store_retry_interval: float = 10.0, poll: float = 0.25,
                 metrics_port: int | None = None, leader_poll: float = leader.POLL) -> None:
        self.ctx = MonitorContext(config)
        self.spool = spool or Spool.for_config(config)
        self.scheduler: MonitorScheduler | None = None
        self._load = load
        self._replay_interval = replay_interval
        self._store_retry_interval = store_retry_interval
        self._poll = poll
        self._active: dict[str, float] = {}  # run key -> monotonic start
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._signals: list[int] = []
        self._reload_requested = False
        self._replay_due = 0.0
        self._deliver_due = 0.0
        self._delivery: threading.Thread | None = None
        self.started_at: dt.datetime | None = None
        self.metrics = ServiceMetrics()
        self.metrics.attach_store(lambda: read_snapshot(self.store),
                                  lambda: [t.name for t in self.config.tables],
                                  lambda: len(self.spool.pending()))
        self.metrics.attach_lineage(self._lineage_counts)
        self._metrics_port = (config.scheduler.metrics_port if metrics_port is None
                              else metrics_port)
        self.http: HealthServer | None = None
        self.leadership: Leadership | None = None
        self._leader_poll = leader_poll
        self._election_due = 0.0
        self._recovery_due = 0.0
        self._last_tick: float | None = None  # monotonic; None until the loop turns

    def _lineage_counts(self) -> tuple[int, int] | None:
        emitter = self.ctx.lineage
        return None if emitter is None else (emitter.sent, emitter.failures)

    @property
    def config(self) -> MonitorConfig:
        return self.ctx.config

    @property
    def store(self) -> SqlMetricStore:
        return self.ctx.store

    @property
    def leading(self) -> bool:
        """True while this process runs the schedule (False: standing by, or stopped)."""
        return self.scheduler is not None

    @property
    def active_runs(self) -> list[str]:
        """Run keys executing right now."""
        with self._lock:
            return sorted(self._active)

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> SyncReport:
        """Open the store, take the lead (or stand by), serve the metrics, start the jobs.

        The leader recovers orphans, replays the spool and starts the jobs; a
        standby replica only serves its probes until it takes over (in ``run``).
        ``AnotherServeRunning`` when the store allows one serve and another has it.
        """
        self.started_at = utcnow()
        triggers = triggers_for(self.config)  # a bad schedule stops us before anything changes
        store = self.store  # creates or upgrades the store tables
        self.leadership = leadership_for(store.engine, process_owner())
        leads = self.leadership.try_acquire()  # raises where a second serve must not start
        try:
            self._serve_http()
            self._set_intervals(triggers)
            if leads:
                return self._lead()
        except BaseException:
            self._release()
            raise
        log.info("standing by: %s runs the schedule on this store; trying to take over "
                 "every %.1fs", self.leadership.holder() or "another serve", self._leader_poll,
                 extra={"dq": {"event": "standby"}})
        return SyncReport()

    def _lead(self) -> SyncReport:
        """Recover orphans, replay the spool and start the jobs (this process leads)."""
        store = self.store
        recover_orphans(store, started_before=self.started_at)
        self._recovery_due = time.monotonic() + RECOVERY_INTERVAL
        self.replay_spool()
        scheduler = build_scheduler(self.config, store.engine, self._run_job,
                                    retry_interval=self._store_retry_interval)
        scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        scheduler.start(paused=True)
        try:
            report = sync_jobs(scheduler, self.config)
        except BaseException:
            scheduler.shutdown(wait=False)
            raise
        self.scheduler = scheduler
        scheduler.resume()
        self.metrics.leader.set(1)
        log.info("serving %d table(s) with %d worker(s): %s", len(self.config.tables),
                 self.config.scheduler.workers, report,
                 extra={"dq": {"event": "serve_started", "tables": len(self.config.tables)}})
        return report

    def _on_missed(self, event: JobExecutionEvent) -> None:
        self.metrics.observe_missed(event.job_id.removeprefix(JOB_PREFIX))

    def _step_down(self) -> None:
        """Stop scheduling (runs in progress finish in their threads)."""
        if self.scheduler is not None:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            self.scheduler = None
        self.metrics.leader.set(0)

    def elect(self) -> None:
        """Check the lead every ``leader_poll`` seconds: keep it, lose it, or take it over."""
        if self.leadership is None or time.monotonic() < self._election_due:
            return
        self._election_due = time.monotonic() + self._leader_poll
        if self.leading:
            if not self.leadership.still_held():
                log.error("lost the lead (the lock connection to the store broke): the "
                          "schedule pauses until this process gets it back",
                          extra={"dq": {"event": "lead_lost"}})
                self._step_down()
            return
        if self._stopping.is_set() or not self.leadership.try_acquire():
            return
        log.info("taking over the schedule", extra={"dq": {"event": "lead_taken"}})
        try:
            self._lead()
        except (MonitorError, sa.exc.SQLAlchemyError, OSError) as error:
            log.error("could not start the schedule after taking the lead (%s); giving the "
                      "lead up and trying again", error)
            self._step_down()
            self.leadership.release()

    def _serve_http(self) -> None:
        if self._metrics_port is None or self.http is not None:
            return
        server = HealthServer(self.metrics.registry, live=self.liveness, ready=self.readiness,
                              port=self._metrics_port, host=self.config.scheduler.metrics_host)
        try:
            server.start()
        except OSError as error:
            raise ConfigError(
                f"{self.config.source}: cannot serve metrics on "
                f"{self.config.scheduler.metrics_host}:{self._metrics_port} "
                f"(scheduler.metrics_port / --metrics-port): {error}") from None
        self.http = server

    def _set_intervals(self, triggers: dict[str, BaseTrigger]) -> None:
        now = utcnow()
        periods = {name: period_seconds(trigger, now) for name, trigger in triggers.items()}
        self.metrics.set_intervals({k: v for k, v in periods.items() if v is not None})

    def _release(self) -> None:
        if self.leadership is not None:
            self.leadership.release()
        if self.http is not None:
            self.http.stop()
            self.http = None

    # -- probes ------------------------------------------------------------------------
    def liveness(self) -> Probe:
        """``/healthz``: the process answers and its serve loop turns."""
        stalled = (self._last_tick is not None
                   and time.monotonic() - self._last_tick > LOOP_STALL)
        return Probe(not stalled, {"pid": os.getpid(), "host": socket.gethostname(),
                                   "leader": self.leading})

    def readiness(self) -> Probe:
        """``/readyz``: the store answers, and the scheduler runs (or this replica stands by)."""
        try:
            with self.store.connect() as conn:
                conn.execute(sa.select(1))
            store = "ok"
        except (MonitorError, sa.exc.SQLAlchemyError) as error:
            store = f"unreachable: {str(error).splitlines()[0] if str(error) else error!r}"
        if self._stopping.is_set():
            scheduler = "stopping"
        elif self.scheduler is not None:
            thread = getattr(self.scheduler, "_thread", None)
            alive = self.scheduler.running and (thread is None or thread.is_alive())
            scheduler = "running" if alive else "stopped"
        elif self.leadership is not None and self.leadership.standby:
            scheduler = "standby"
        else:
            scheduler = "not started"
        ok = store == "ok" and scheduler in ("running", "standby")
        return Probe(ok, {"store": store, "scheduler": scheduler, "leader": self.leading})

    def reload(self) -> SyncReport | None:
        """Re-read the config and sync the jobs; None (and the old config kept) on error."""
        if self._load is None or self.started_at is None:
            return None
        try:
            config = self._load()
            triggers_for(config)
        except ConfigError as error:
            log.error("config reload failed, still running the previous config: %s", error)
            return None
        if config.resolve_url(config.store) != self.config.resolve_url(self.config.store):
            log.error("config reload: the metric store URL changed; restart the service to "
                      "use the new store (still running the previous config)")
            return None
        if config.scheduler.workers != self.config.scheduler.workers:
            log.warning("config reload: scheduler.workers changes on the next restart")
        self.ctx = MonitorContext(config, store=self.store)
        self._set_intervals(triggers_for(config))
        if self.scheduler is None:  # standing by: the leader syncs the jobs
            log.info("config reloaded (standing by)")
            return SyncReport()
        try:
            report = sync_jobs(self.scheduler, config)
        except Exception as error:  # noqa: BLE001  (job store down: keep serving)
            log.error("config reload: could not update the jobs: %s", error)
            return None
        log.info("config reloaded: %s", report,
                 extra={"dq": {"event": "reloaded", "added": report.added,
                               "removed": report.removed, "rescheduled": report.rescheduled}})
        return report

    def stop(self, *, grace: float | None = None) -> int:
        """Stop new runs, wait up to ``grace`` seconds, mark unfinished runs interrupted.

        Returns how many runs were marked interrupted.
        """
        self._stopping.set()
        grace = self.config.scheduler.shutdown_grace if grace is None else grace
        self._step_down()
        deadline = time.monotonic() + grace
        while self.active_runs and time.monotonic() < deadline and len(self._signals) < 2:
            time.sleep(0.05)
        marked = 0
        left = self.active_runs
        if left:
            log.warning("stopping with %d run(s) unfinished: %s", len(left), ", ".join(left))
            try:
                marked = self.store.mark_interrupted(host=process_owner())
            except StoreError as error:
                log.error("could not mark unfinished runs interrupted (%s); the next start "
                          "will", error)
        self._release()  # after the wait: never two runs of one table at once
        log.info("service stopped", extra={"dq": {"event": "serve_stopped",
                                                  "interrupted": marked}})
        return marked

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> int:
        """Start, serve until SIGTERM/SIGINT, stop; the exit code (0 clean)."""
        self.start()
        previous = self._install_signals()
        code = 0
        try:
            while not self._signals:
                time.sleep(self._poll)
                self._last_tick = time.monotonic()
                if self._reload_requested:
                    self._reload_requested = False
                    self.reload()
                self.elect()
                if time.monotonic() >= self._replay_due:
                    self.replay_spool()
                if not self.leading:
                    continue
                if time.monotonic() >= self._deliver_due:
                    self.deliver_alerts()
                if time.monotonic() >= self._recovery_due:
                    self._recover()
                thread = getattr(self.scheduler, "_thread", None)
                if thread is not None and not thread.is_alive():
                    log.critical("the scheduler thread died; exiting so a supervisor restarts us")
                    code = 3
                    break
            if self._signals:
                log.info("received %s: stopping (running jobs get %.0fs to finish)",
                         signal.Signals(self._signals[0]).name,
                         self.config.scheduler.shutdown_grace)
            self.stop()
        finally:
            self._restore_signals(previous)
        return code

    def _install_signals(self) -> dict[int, object]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous: dict[int, object] = {}
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, self._on_stop_signal)
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._on_reload_signal)
        return previous

    @staticmethod
    def _restore_signals(previous: dict[int, object]) -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)
        self._stopping.set()

    def _on_reload_signal(self, signum: int, frame: FrameType | None) -> None:
        self._reload_requested = True

    def _recover(self) -> None:
        """Runs a dead replica left ``running`` become ``interrupted`` (once a minute)."""
        self._recovery_due = time.monotonic() + RECOVERY_INTERVAL
        try:
            recover_orphans(self.store, started_before=self.started_at)
        except (MonitorError, sa.exc.SQLAlchemyError) as error:
            log.warning("orphan recovery failed: %s", error)

    def deliver_alerts(self) -> None:
        """Retry due alerts from the outbox in the background (Slack may have been down).

        Runs also deliver after their commit; this pass makes sure a retry does not
        wait for the next run of the table.
        """
        self._deliver_due = time.monotonic() + DELIVERY_INTERVAL
        if self._delivery is not None and self._delivery.is_alive():
            return

        def deliver() -> None:
            try:
                flush_outbox(self.ctx)
            except (MonitorError, OSError) as error:
                log.warning("alert delivery pass failed: %s", error)

        self._delivery = threading.Thread(target=deliver, name="dq-alert-delivery",
                                          daemon=True)
        self._delivery.start()

    def replay_spool(self) -> None:
        """Write spooled results to the store if it is back (logged, never raised)."""
        self._replay_due = time.monotonic() + self._replay_interval
        try:
            self.spool.replay(self.store)
        except (MonitorError, OSError) as error:
            log.warning("spool replay failed: %s", error)

    # -- one scheduled run ---------------------------------------------------------------
    def _run_job(self, table_name: str, scheduled_at: dt.datetime) -> RunResult | None:
        """What the pool runs for one table and run time."""
        if self._stopping.is_set():
            return None
        ctx = self.ctx
        try:
            table = ctx.config.table(table_name)
        except ConfigError:
            log.warning("skipping run of %s: no longer in the config", table_name)
            return None
        key = run_key(table_name, scheduled_at)
        self.metrics.observe_lag((utcnow() - scheduled_at).total_seconds())
        with self._lock:
            self._active[key] = time.monotonic()
            self.metrics.active.set(len(self._active))
        try:
            result = run_table(ctx, table, scheduled_at=scheduled_at, trigger="schedule",
                               spool=self.spool, once=True)
        except BaseException:
            self.metrics.observe_error(table_name)
            raise
        finally:
            with self._lock:
                self._active.pop(key, None)
                self.metrics.active.set(len(self._active))
            # A run that raised before finishing stops beating, so it is found orphaned.
            ctx.store.heartbeat.discard(key)
        self.metrics.observe_run(result)
        if result.status in ("success", "partial") and self.spool.pending():
            self._replay_due = 0.0  # the store answers again: replay soon
        return result

