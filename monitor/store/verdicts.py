"""Gate verdicts in the history (``dq_gate_verdicts``): one row per verdict id.

>>> import datetime as dt
>>> with store.transaction() as conn:
...     for day, verdict in ((1, "pass"), (2, "blocked")):
...         record_verdict(conn, verdict_id=f"refunds-{day}", table="refunds",
...                        ts=dt.datetime(2026, 11, day, 6, tzinfo=dt.UTC), verdict=verdict,
...                        passed=verdict == "pass", reason=None, checks=[])
>>> [v["verdict"] for v in verdict_history(store, "refunds")]  # newest first
['blocked', 'pass']
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import gate_verdicts
from monitor.store.sql_store import SqlMetricStore
from monitor.store.upsert import upsert
from monitor.timeutil import to_naive_utc, utcnow


def record_verdict(conn: Connection, *, verdict_id: str, table: str, ts: dt.datetime,
                   verdict: str, passed: bool, reason: str | None,
                   checks: list[dict[str, Any]], batch_id: str | None = None) -> None:
    """Insert or replace one verdict (inside the caller's transaction)."""
    t = gate_verdicts
    upsert(conn, t, [dict(
        verdict_id=verdict_id, table_name=table, batch_id=batch_id, ts=to_naive_utc(ts),
        verdict=verdict, passed=passed, reason=reason,
        checks_json=json.dumps(checks, default=str), recorded_at=to_naive_utc(utcnow()))])


def verdict_history(store: SqlMetricStore, table: str | None = None, *,
                    batch_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Verdicts, newest first, with their checks decoded."""
    t = gate_verdicts
    query = sa.select(t).order_by(t.c.ts.desc(), t.c.recorded_at.desc()).limit(limit)
    if table:
        query = query.where(t.c.table_name == table)
    if batch_id:
        query = query.where(t.c.batch_id == batch_id)
    with store.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [{"verdict_id": r["verdict_id"], "table": r["table_name"], "batch_id": r["batch_id"],
             "ts": r["ts"], "verdict": r["verdict"], "passed": bool(r["passed"]),
             "reason": r["reason"], "checks": json.loads(r["checks_json"])} for r in rows]
