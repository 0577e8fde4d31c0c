"""Prometheus metrics of one ``serve`` process, in a registry of its own.

Two kinds of numbers:

- what this process did, counted as it happens: runs by table and status, run
  durations, rows scanned, how late runs started (scheduler lag), whether it
  leads;
- what the metric store and the spool hold, read at each scrape through the
  store's functions: outbox depth, dead letters, open incidents by severity,
  each table's last successful run, spooled runs. Every replica reports the
  same store values, so alert rules take ``max by (table)``.

A scrape never fails because the store is down: the store's gauges are left
out and ``dq_monitor_store_up`` is 0.

>>> metrics = ServiceMetrics()
>>> metrics.observe_lag(2.5)
>>> metrics.registry.get_sample_value("dq_monitor_schedule_lag_seconds_count")
1.0
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.errors import MonitorError
from monitor.run.state import RunResult
from monitor.store import SqlMetricStore
from monitor.store.incidents import open_count_by_severity
from monitor.store.outbox import count_by_status
from monitor.store.run_counts import last_success_times

log = logging.getLogger(__name__)

PREFIX = "dq_monitor_"
#: Run durations from a second to an hour.
DURATION_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
#: Start delays: on time is under a second; minutes late means the pool is too small.
LAG_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


@dataclass(frozen=True)
class StoreSnapshot:
    """What the store and the spool hold at one scrape."""

    outbox: dict[str, int] = field(default_factory=dict)  # messages per status
    open_incidents: dict[str, int] = field(default_factory=dict)  # per severity
    last_success: dict[str, dt.datetime] = field(default_factory=dict)  # naive UTC

    @property
    def outbox_depth(self) -> int:
        return self.outbox.get("pending", 0)

    @property
    def dead_letters(self) -> int:
        return self.outbox.get("dead", 0)


def read_snapshot(store: SqlMetricStore) -> StoreSnapshot:
    """Read the store's counts (StoreError when it does not answer)."""
    return StoreSnapshot(outbox=count_by_status(store),
                         open_incidents=open_count_by_severity(store),
                         last_success=last_success_times(store))


def _epoch(naive_utc: dt.datetime) -> float:
    return naive_utc.replace(tzinfo=dt.UTC).timestamp()


class StoreCollector(Collector):
    """Gauges read from the store at each scrape, for the tables ``tables()`` names."""

    def __init__(self, read: Callable[[], StoreSnapshot], tables: Callable[[], list[str]],
                 spool_depth: Callable[[], int]) -> None:
        self._read = read
        self._tables = tables
        self._spool_depth = spool_depth

    def describe(self) -> list[Metric]:
        return []  # values come from the store: nothing to read at registration

    def collect(self) -> Iterator[Metric]:
        spool = GaugeMetricFamily(PREFIX + "spool_depth",
                                  "Runs kept in the local spool until the store answers.")
        spool.add_metric([], self._spool_depth())
        yield spool
        up = GaugeMetricFamily(PREFIX + "store_up", "1 if the metric store answered this scrape.")
        try:
            snapshot = self._read()
        except (MonitorError, sa.exc.SQLAlchemyError, OSError) as error:
            log.warning("metrics: the metric store did not answer: %s",
                        str(error).splitlines()[0] if str(error) else type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily(PREFIX + "outbox_depth",
                                  "Alert messages waiting in the outbox to be delivered.")
        depth.add_metric([], snapshot.outbox_depth)
        yield depth
        dead = GaugeMetricFamily(PREFIX + "dead_letters",
                                 "Alert messages given up on (dq-monitor alerts resend).")
        dead.add_metric([], snapshot.dead_letters)
        yield dead
        incidents = GaugeMetricFamily(PREFIX + "open_incidents",
                                      "Open or acknowledged incidents by severity.",
                                      labels=["severity"])
        for severity in sorted({"critical", "warning", *snapshot.open_incidents}):
            incidents.add_metric([severity], snapshot.open_incidents.get(severity, 0))
        yield incidents
        last = GaugeMetricFamily(PREFIX + "last_success_timestamp_seconds",
                                 "When the table's newest successful run finished (Unix time).",
                                 labels=["table"])
        for table in self._tables():
            if table in snapshot.last_success:
                last.add_metric([table], _epoch(snapshot.last_success[table]))
        yield last


class LineageCollector(Collector):
    """OpenLineage events sent and not sent by this process (``counts()`` at each scrape)."""

    def __init__(self, counts: Callable[[], tuple[int, int] | None]) -> None:
        self._counts = counts

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        counts = self._counts()
        if counts is None:  # no lineage: configured
            return
        events = CounterMetricFamily(PREFIX + "lineage_events",
                                     "OpenLineage events by result: sent, or failed (not "
                                     "sent; the run went on).", labels=["result"])
        events.add_metric(["sent"], counts[0])
        events.add_metric(["failed"], counts[1])
        yield events


class ServiceMetrics:
    """The metrics of one service; ``registry`` is what the HTTP endpoint serves."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter(PREFIX + "runs", "Scheduled runs by table and final status.",
                            ["table", "status"], registry=r)
        self.duration = Histogram(PREFIX + "run_duration_seconds",
                                  "How long scheduled runs took, by table.", ["table"],
                                  buckets=DURATION_BUCKETS, registry=r)
        self.rows = Counter(PREFIX + "rows_scanned", "Rows counted by scheduled runs.",
                            ["table"], registry=r)
        self.lag = Histogram(PREFIX + "schedule_lag_seconds",
                             "How long after its scheduled time a run started.",
                             buckets=LAG_BUCKETS, registry=r)
        self.interval = Gauge(PREFIX + "schedule_interval_seconds",
                              "Seconds between two scheduled runs of the table.", ["table"],
                              registry=r)
        self.leader = Gauge(PREFIX + "leader",
                            "1 if this process runs the schedule, 0 if it stands by.",
                            registry=r)
        self.active = Gauge(PREFIX + "active_runs", "Runs executing in this process now.",
                            registry=r)

    def attach_store(self, read: Callable[[], StoreSnapshot], tables: Callable[[], list[str]],
                     spool_depth: Callable[[], int]) -> None:
        """Serve the store's gauges too (read at each scrape)."""
        self.registry.register(StoreCollector(read, tables, spool_depth))

    def attach_lineage(self, counts: Callable[[], tuple[int, int] | None]) -> None:
        """Serve ``dq_monitor_lineage_events_total`` from ``counts()`` = (sent, failed)."""
        self.registry.register(LineageCollector(counts))

    def observe_lag(self, seconds: float) -> None:
        self.lag.observe(max(0.0, seconds))

    def observe_run(self, result: RunResult) -> None:
        """Count one finished run."""
        self.runs.labels(result.table, result.status).inc()
        if result.status != "skipped":
            self.duration.labels(result.table).observe(result.duration_seconds)
        if result.row_count:
            self.rows.labels(result.table).inc(result.row_count)

    def observe_missed(self, table: str) -> None:
        """A run time given up on: later than ``scheduler.misfire_grace``."""
        self.runs.labels(table, "missed").inc()

    def observe_error(self, table: str) -> None:
        """A run that raised instead of returning a result (a bug)."""
        self.runs.labels(table, "error").inc()

    def set_intervals(self, intervals: dict[str, float]) -> None:
        """Each configured table's schedule period; tables no longer configured vanish."""
        self.interval.clear()
        for table, seconds in intervals.items():
            self.interval.labels(table).set(seconds)
