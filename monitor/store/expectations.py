"""Expectation results in the metric history (``dq_expectation_results``).

One row per run, suite and expectation. Writing a run's results again
replaces them, so a rerun never duplicates. ``expectation_history`` reads
one expectation (or all of a table's) over time.

>>> from monitor.validation.suite_runner import validate_table
>>> from monitor.validation.suites import load_suites
>>> table = config.table("customers")
>>> report = validate_table(warehouse, table, load_suites(config, table))
>>> with store.transaction() as conn:
...     written = replace_results(conn, "doc-run-1", "customers", now, report.outcomes)
>>> rows = [r for r in expectation_history(store, "customers") if r.run_id == "doc-run-1"]
>>> len(rows) == written == len(report.outcomes), all(r.success for r in rows)
(True, True)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import expectation_results, runs
from monitor.store.sql_store import SqlMetricStore
from monitor.store.upsert import replace_rows
from monitor.timeutil import to_naive_utc, utcnow
from monitor.validation.outcomes import ExpectationOutcome, jsonable, to_json


@dataclass(frozen=True)
class StoredResult:
    """One stored expectation result."""

    run_id: str
    table: str
    suite: str
    expectation_key: str
    ts: dt.datetime
    expectation_type: str
    column: str
    kwargs: dict[str, Any]
    severity: str
    success: bool
    observed_value: Any = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    unexpected_values: list[Any] | None = None
    error: str | None = None

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> StoredResult:
        return cls(run_id=row["run_id"], table=row["table_name"], suite=row["suite"],
                   expectation_key=row["expectation_key"], ts=row["ts"],
                   expectation_type=row["expectation_type"], column=row["column_name"],
                   kwargs=json.loads(row["kwargs_json"]), severity=row["severity"],
                   success=bool(row["success"]),
                   observed_value=_loads(row["observed_value"]),
                   unexpected_count=row["unexpected_count"],
                   unexpected_percent=row["unexpected_percent"],
                   unexpected_values=_loads(row["unexpected_values"]), error=row["error"])

    def to_dict(self) -> dict[str, Any]:
        return {"ts": self.ts.replace(tzinfo=dt.UTC).isoformat(), "run_id": self.run_id,
                "suite": self.suite, "key": self.expectation_key,
                "type": self.expectation_type, "column": self.column or None,
                "kwargs": self.kwargs, "severity": self.severity, "success": self.success,
                "observed_value": self.observed_value,
                "unexpected_count": self.unexpected_count,
                "unexpected_percent": self.unexpected_percent,
                "unexpected_values": self.unexpected_values, "error": self.error}


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def result_rows(run_id: str, table: str, ts: dt.datetime,
                outcomes: Sequence[ExpectationOutcome]) -> list[dict[str, Any]]:
    """The rows that ``replace_results`` writes (one per suite and expectation key)."""
    now = to_naive_utc(utcnow())
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for outcome in outcomes:
        spec = outcome.expectation
        rows[(spec.suite, spec.key)] = {
            "run_id": run_id, "suite": spec.suite, "expectation_key": spec.key,
            "table_name": table, "ts": to_naive_utc(ts), "expectation_type": spec.type,
            "column_name": spec.column or "",
            "kwargs_json": json.dumps(jsonable(dict(spec.kwargs)), sort_keys=True),
            "severity": spec.severity, "success": bool(outcome.success),
            "observed_value": to_json(outcome.observed_value),
            "unexpected_count": outcome.unexpected_count,
            "unexpected_percent": outcome.unexpected_percent,
            "unexpected_values": (to_json(list(outcome.unexpected_values))
                                  if outcome.unexpected_values else None),
            "error": outcome.error or (outcome.details if not outcome.success else None),
            "recorded_at": now}
    return list(rows.values())


def replace_results(conn: Connection, run_id: str, table: str, ts: dt.datetime,
                    outcomes: Sequence[ExpectationOutcome]) -> int:
    """Replace the results of ``run_id`` (inside the caller's transaction)."""
    t = expectation_results
    return replace_rows(conn, t, result_rows(run_id, table, ts, outcomes),
                        scope=[t.c.run_id == run_id], vary=["suite", "expectation_key"])


def expectation_history(store: SqlMetricStore, table: str, *, suite: str | None = None,
                        expectation: str | None = None, kind: str | None = None,
                        since: dt.datetime | None = None, until: dt.datetime | None = None,
                        failed_only: bool = False, limit: int | None = None
                        ) -> list[StoredResult]:
    """Stored results of ``table`` in time order.

    ``expectation`` matches a key, a type or a column name; ``kind`` keeps
    results of runs of that kind (``profile``, ``validate``, ``gate``, ``ingest``).
    """
    t = expectation_results
    query = sa.select(t).where(t.c.table_name == table)
    if suite:
        query = query.where(t.c.suite == suite)
    if expectation:
        query = query.where(sa.or_(t.c.expectation_key == expectation,
                                   t.c.expectation_type == expectation,
                                   t.c.column_name == expectation))
    if kind:
        query = query.join(runs, runs.c.run_id == t.c.run_id).where(runs.c.kind == kind)
    if since:
        query = query.where(t.c.ts >= to_naive_utc(since))
    if until:
        query = query.where(t.c.ts <= to_naive_utc(until))
    if failed_only:
        query = query.where(t.c.success.is_(False))
    query = query.order_by(t.c.ts.desc(), t.c.suite, t.c.expectation_key)
    if limit:
        query = query.limit(limit)
    with store.connect() as conn:
        found = [StoredResult.from_row(r) for r in conn.execute(query).mappings()]
    return list(reversed(found))
