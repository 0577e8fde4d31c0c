"""The state a run carries from step to step, and its final result.

Steps compute values and queue writes; the runner commits the queued writes
of the steps that succeeded in one transaction, so a run killed halfway
leaves nothing visible, and a step failing after the profile leaves the
profile stored (status ``partial``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from monitor.config.models import TableConfig
from monitor.metrics.points import MetricPoint
from monitor.metrics.profile import BucketProfile, Profile
from monitor.metrics.states import State
from monitor.run.findings import Finding
from monitor.warehouse import TableShape

Writer = Callable[[Connection], None]


@dataclass
class RunState:
    """Mutable state of one run of one table."""

    table: TableConfig
    run_id: str
    as_of: dt.datetime
    trigger: str = "cli"
    explicit_as_of: bool = False
    shape: TableShape | None = None
    profile: Profile | None = None
    buckets: list[BucketProfile] = field(default_factory=list)
    #: State values a scan of every row read for the validate step (``plan_suites``).
    scanned: dict[State, Any] = field(default_factory=dict)
    points: list[MetricPoint] = field(default_factory=list)
    writers: list[Writer] = field(default_factory=list)
    #: Replacement of writers[i] when the run is kept in the spool instead of the store.
    spool_writers: dict[int, Writer] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    found: list[Finding] = field(default_factory=list)
    findings: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    retries: int = 0
    row_count: int | None = None

    def write(self, writer: Writer, *, spooled: Writer | None = None) -> None:
        """Queue a write for the run's single commit.

        ``spooled`` replaces it when the store is down and the run goes to the
        local spool (for writes that must be decided against the real store).
        """
        if spooled is not None:
            self.spool_writers[len(self.writers)] = spooled
        self.writers.append(writer)

    def writers_for(self, *, spooled: bool) -> list[Writer]:
        """The queued writes, for the store or for the spool."""
        if not spooled:
            return list(self.writers)
        return [self.spool_writers.get(i, w) for i, w in enumerate(self.writers)]

    def then(self, action: Callable[[], None]) -> None:
        """Queue an action for after the commit (for example delivering alerts)."""
        self.after_commit.append(action)


@dataclass(frozen=True)
class RunResult:
    """What happened in one run (failures are values here, not exceptions)."""

    table: str
    run_id: str
    status: str  # success | partial | failed | lost | spooled | skipped
    as_of: dt.datetime
    duration_seconds: float
    row_count: int | None = None
    error: str | None = None
    error_kind: str | None = None
    retries: int = 0
    points_written: int = 0
    findings: dict[str, Any] = field(default_factory=dict)
    found: tuple[Finding, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "run_id": self.run_id, "status": self.status,
                "as_of": self.as_of.isoformat(), "duration_seconds": round(
                    self.duration_seconds, 3), "row_count": self.row_count,
                "error": self.error, "error_kind": self.error_kind, "retries": self.retries,
                "points_written": self.points_written, "problems": list(self.problems),
                "findings": [f.to_dict() for f in self.found if f.failing]}
