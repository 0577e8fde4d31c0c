"""Findings kept in a run's spool file while the store was down (``dq_pending_findings``).

Incidents are numbered by the store, so a spooled run keeps its findings
instead, and the alerting decision is replayed from them (``monitor.run.spool``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import pending_findings
from monitor.timeutil import to_naive_utc


def keep_pending_findings(conn: Connection, *, run_id: str, table: str,
                          payload_json: str, now: dt.datetime) -> None:
    """Store one run's findings of one table (a JSON list) to alert on at replay."""
    conn.execute(pending_findings.insert().values(
        run_id=run_id, table_name=table, recorded_at=to_naive_utc(now),
        payload_json=payload_json))


def pending_finding_rows(conn: Connection) -> Sequence[dict[str, Any]]:
    """Every kept row: ``run_id``, ``table_name``, ``payload_json``, ``recorded_at``."""
    return [dict(r) for r in conn.execute(sa.select(pending_findings)).mappings()]
