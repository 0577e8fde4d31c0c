"""A stored-incident builder for tests: an open critical volume incident an hour old."""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitor.store.incidents import Incident

NOW = dt.datetime(2026, 1, 5, 6, 0)
HOUR = dt.timedelta(hours=1)


def incident(check: str = "volume:row_count", *, incident_id: int | None = 1,
             **kw: Any) -> Incident:
    """An incident of ``orders`` opened at NOW - 1 h; ``kw`` overrides any field."""
    base: dict[str, Any] = {
        "incident_id": incident_id, "table": "orders", "check": check, "status": "open",
        "severity": "critical", "title": "orders: 412 rows", "opened_at": NOW - HOUR,
        "updated_at": NOW - HOUR, "last_seen_at": NOW - HOUR, "last_notified_at": NOW - HOUR,
        "details": {"announced": True, "thread_of": "m1", "last_run": "r0",
                    "since": (NOW - HOUR).isoformat(), "finding": {"reason": "412 rows"}}}
    base.update(kw)
    return Incident(**base)
