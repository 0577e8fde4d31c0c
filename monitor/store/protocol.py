"""The metric store as the rest of dq-monitor sees it."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.engine import Connection

from monitor.points import MetricPoint

if TYPE_CHECKING:
    from monitor.store.sql_store import RunRecord


class MetricStore(Protocol):
    """Runs, metric points and schema snapshots; writes are idempotent per key."""

    def ensure_schema(self) -> None: ...

    def transaction(self) -> contextlib.AbstractContextManager[Connection]: ...

    def start_run(self, run_id: str, table: str, *, kind: str, as_of: dt.datetime,
                  trigger: str = "cli", scheduled_at: dt.datetime | None = None) -> None: ...

    def finish_run(self, conn: Connection, run_id: str, *, status: str,
                   started_at: dt.datetime | None = None, row_count: int | None = None,
                   error: str | None = None, error_kind: str | None = None,
                   retries: int = 0, duration_seconds: float | None = None) -> None: ...

    def replace_points(self, conn: Connection, run_id: str,
                       points: Sequence[MetricPoint]) -> int: ...

    def points(self, table: str, *, metric: str | None = None, column: str | None = None,
               granularity: str | None = None, since: dt.datetime | None = None,
               until: dt.datetime | None = None, limit: int | None = None
               ) -> list[MetricPoint]: ...

    def latest_bucket(self, table: str, granularity: str) -> dt.datetime | None: ...

    def runs(self, table: str | None = None, *, limit: int = 100, kind: str | None = None,
             status: str | None = None, since: dt.datetime | None = None
             ) -> list[RunRecord]: ...
