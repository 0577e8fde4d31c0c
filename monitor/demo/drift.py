"""The demo's distribution shift: one day when many more orders were cancelled.

About one order in seven is usually cancelled; on the shift's day every order whose
id ends in 0, 1 or 2 is ``cancelled`` too (no random draws, so the other incidents of
the sample are generated exactly as before), about 40% of the day. Volume, nulls,
amounts and the set of status values stay as usual (the suite's ``value_set`` passes):
only the shares of ``orders.status`` show it.

>>> [i.key for i in drift_incidents(dt.date(2026, 1, 31))]
['distribution_shift']
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sample.py imports this module
    from monitor.demo.sample import Incident

#: Share of the day's orders cancelled on top of the usual ones (ids ending in 0, 1, 2).
EXTRA_CANCELLED = 0.3


def drift_incidents(end: dt.date) -> list[Incident]:
    """The distribution shift, dated relative to the sample's last day."""
    from monitor.demo.sample import Incident

    return [Incident("distribution_shift", "orders", end - dt.timedelta(days=16),
                     "distribution shift: about 40% of the day's orders were cancelled "
                     "(usually 14%)", "shares", "status")]


def apply_drift(conn: sqlite3.Connection, plan: Mapping[str, Incident]) -> None:
    """Make the planned shift in the generated ``orders`` (nothing without it)."""
    incident = plan.get("distribution_shift")
    if incident is None:
        return
    conn.execute("UPDATE orders SET status = 'cancelled' WHERE created_at >= ? AND created_at < ? "
                 "AND order_id % 10 < ?",
                 (incident.day.isoformat(), (incident.day + dt.timedelta(days=1)).isoformat(),
                  round(EXTRA_CANCELLED * 10)))
