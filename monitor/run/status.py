"""Monitoring of the monitor: is every table's job running as often as its schedule says?

For each configured table: its schedule, the last run (start, status,
duration, error, retries), the next run time held by the scheduler's job
store, failures and retries in a recent window, and whether the table is
**overdue**: no run has started for longer than its schedule allows (the next
run time after the last one, plus ``scheduler.misfire_grace``). An overdue
table usually means the service is down, stuck, or cannot keep up.

Runs whose process died (``monitor.store.liveness``: its pid is gone, or its
heartbeat stopped) count as ``interrupted`` even before a writable command
has marked them so, and the report lists every interrupted run of the window,
of any kind (``ingest``, ``gate``, ... as well as profile runs).

>>> from monitor.run.runner import run_table
>>> run_table(ctx, config.table("customers")).status
'success'
>>> report = collect_status(config, store, now=now)
>>> [t.state for t in report.tables if t.table == "customers"]
['ok']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from monitor.config.models import MonitorConfig
from monitor.run.spool import Spool
from monitor.serve.scheduling import grace_seconds, next_fire_after, next_run_times, triggers_for
from monitor.store import RunRecord, SqlMetricStore
from monitor.store.run_counts import run_counts_since
from monitor.timeutil import as_utc, iso, utcnow

#: Last statuses that count as a failure of the table's job.
FAILED = ("failed", "partial", "interrupted", "lost")


@dataclass(frozen=True)
class TableStatus:
    """How one table's monitoring job is doing."""

    table: str
    schedule: str
    state: str  # ok | running | failing | interrupted | lost | overdue | never run
    last_run_at: dt.datetime | None = None
    last_status: str | None = None
    last_duration: float | None = None
    last_error: str | None = None
    last_retries: int = 0
    next_run_at: dt.datetime | None = None
    expected_by: dt.datetime | None = None
    overdue_seconds: float = 0.0
    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    retries: int = 0

    @property
    def overdue(self) -> bool:
        return self.overdue_seconds > 0

    @property
    def problem(self) -> bool:
        """Overdue, or the last run did not succeed."""
        return self.overdue or self.last_status in FAILED

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("last_run_at", "next_run_at", "expected_by"):
            out[key] = iso(out[key])
        out["overdue"] = self.overdue
        out["overdue_seconds"] = round(self.overdue_seconds, 1)
        if self.last_duration is not None:
            out["last_duration"] = round(self.last_duration, 3)
        return out


@dataclass(frozen=True)
class StatusReport:
    """Every table's status, plus what waits in the spool."""

    generated_at: dt.datetime
    window_seconds: float
    tables: list[TableStatus]
    spooled_runs: int = 0
    #: Runs of any kind interrupted (or found dead) in the window, newest first.
    interrupted: list[RunRecord] = field(default_factory=list)

    @property
    def problems(self) -> list[TableStatus]:
        return [t for t in self.tables if t.problem]

    def to_dict(self) -> dict[str, Any]:
        return {"generated_at": iso(self.generated_at), "window_seconds": self.window_seconds,
                "spooled_runs": self.spooled_runs,
                "overdue": [t.table for t in self.tables if t.overdue],
                "failing": [t.table for t in self.tables if t.last_status in FAILED],
                "interrupted_runs": [_run_dict(r) for r in self.interrupted],
                "tables": [t.to_dict() for t in self.tables]}


def _run_dict(run: RunRecord) -> dict[str, Any]:
    return {"run_id": run.run_id, "table": run.table, "kind": run.kind,
            "started_at": iso(_aware(run.started_at)), "host": run.host, "error": run.error}


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


def _window_counts(store: SqlMetricStore, since: dt.datetime
                   ) -> dict[str, tuple[int, int, int]]:
    """table -> (runs, failures, retries) of profile runs started since ``since``."""
    out: dict[str, tuple[int, int, int]] = {}
    for counted in run_counts_since(store, since, kind="profile"):
        runs, failures, total = out.get(counted.table, (0, 0, 0))
        out[counted.table] = (runs + counted.runs,
                              failures + (counted.runs if counted.status in FAILED else 0),
                              total + counted.retries)
    return out


def _consecutive_failures(store: SqlMetricStore, table: str, limit: int = 100) -> int:
    streak = 0
    for run in store.runs(table, kind="profile", limit=limit):
        if run.status == "running":
            continue
        if run.status not in FAILED:
            break
        streak += 1
    return streak


def _as_seen(run: RunRecord, now: dt.datetime) -> RunRecord:
    """The run, ``interrupted`` if it is ``running`` but its process died."""
    reason = run.orphan_reason(now=now)
    if reason is None:
        return run
    return dataclasses.replace(run, status="interrupted", error=(
        f"the process running it stopped before it finished: {reason}"))


def _interrupted(store: SqlMetricStore, since: dt.datetime, now: dt.datetime,
                 limit: int = 50) -> list[RunRecord]:
    found = store.runs(status="interrupted", since=since, limit=limit)
    found += [seen for run in store.runs(status="running", limit=1000)
              if (seen := _as_seen(run, now)).status == "interrupted"]
    return sorted(found, key=lambda r: r.started_at, reverse=True)[:limit]


def _state(last: RunRecord | None, overdue: bool) -> str:
    if overdue:
        return "overdue"
    if last is None:
        return "never run"
    return {"success": "ok", "failed": "failing"}.get(last.status, last.status)


def collect_status(config: MonitorConfig, store: SqlMetricStore, *,
                   now: dt.datetime | None = None, window: float = 86400.0,
                   spool: Spool | None = None) -> StatusReport:
    """The status of every configured table (see the module docstring)."""
    now = as_utc(now or utcnow())
    grace = dt.timedelta(seconds=grace_seconds(config))
    triggers = triggers_for(config)
    latest = {name: _as_seen(run, now)
              for name, run in store.latest_runs(kind="profile").items()}
    since = now - dt.timedelta(seconds=window)
    counts = _window_counts(store, since)
    next_runs = next_run_times(store.engine)
    rows = []
    for table in config.tables:
        last = latest.get(table.name)
        next_run = next_runs.get(table.name)
        expected = None
        if last is not None:
            reference = _aware(last.scheduled_at) or as_utc(last.started_at)
            due = next_fire_after(triggers[table.name], reference)
            expected = due + grace if due is not None else None
        elif next_run is not None:
            expected = next_run + grace
        overdue = max(0.0, (now - expected).total_seconds()) if expected else 0.0
        runs, failures, retries = counts.get(table.name, (0, 0, 0))
        streak = (_consecutive_failures(store, table.name)
                  if last is not None and last.status in FAILED else 0)
        rows.append(TableStatus(
            table=table.name, schedule=str(config.schedule_for(table)),
            state=_state(last, overdue > 0),
            last_run_at=_aware(last.started_at) if last else None,
            last_status=last.status if last else None,
            last_duration=last.duration_seconds if last else None,
            last_error=last.error if last else None,
            last_retries=last.retries if last else 0,
            next_run_at=next_run, expected_by=expected, overdue_seconds=overdue,
            runs=runs, failures=failures, consecutive_failures=streak, retries=retries))
    return StatusReport(generated_at=now, window_seconds=window, tables=rows,
                        spooled_runs=len(spool.pending()) if spool else 0,
                        interrupted=_interrupted(store, since, now))
