"""The demo's reconciliation mismatch: a staging copy of ``orders`` the mart lost rows of.

``add_staging`` writes ``staging.db`` beside the sample warehouse: the orders as the
upstream system sent them, which is the mart's ``orders`` plus a few of yesterday's
orders the nightly load dropped (the mart itself is untouched, so the other injected
incidents stay as they are). It adds a ``staging`` warehouse and a ``reconcile:`` entry
to the demo's config. ``check_reconcile`` runs it as this morning's reconcile run and
says whether the missing orders were found with default settings.

>>> DROPPED
4
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from monitor.demo.sample import Incident
from monitor.reconcile.run import reconcile_now
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding

#: Orders in staging that never reached the mart.
DROPPED = 4
NAME = "orders_staging_vs_mart"

_WAREHOUSE = "  staging: sqlite:///staging.db\n"
_ENTRY = f"""
reconcile:
  - name: {NAME}
    source: {{warehouse: staging, table: orders}}
    target: {{warehouse: sample, table: orders}}
    timestamp_column: created_at
    bucket: day
    sums: [amount]
    key: [order_id]
"""


def add_staging(directory: Path, config_path: Path, day: dt.date) -> Incident:
    """Write ``staging.db`` (the mart's orders plus ``DROPPED`` of ``day``) and the config."""
    staging = directory / "staging.db"
    staging.unlink(missing_ok=True)
    with sqlite3.connect(staging) as conn:
        conn.execute("ATTACH DATABASE ? AS mart", (str(directory / "sample.db"),))
        conn.execute("CREATE TABLE orders AS SELECT * FROM mart.orders")
        # The dropped orders: copies of the day's first orders under new ids.
        # Every column as it is, whichever the sample has (the segments add ``country``).
        columns = [row[1] for row in conn.execute("PRAGMA mart.table_info(orders)")]
        values = ", ".join("o.order_id + m.top" if c == "order_id" else f"o.{c}"
                           for c in columns)
        conn.execute(f"""
            INSERT INTO orders SELECT {values}
            FROM mart.orders o, (SELECT max(order_id) AS top FROM mart.orders) m
            WHERE o.created_at >= ? AND o.created_at < ? ORDER BY o.order_id LIMIT ?""",
                     (day.isoformat(), (day + dt.timedelta(days=1)).isoformat(), DROPPED))
        conn.commit()
        conn.execute("DETACH DATABASE mart")
    text = config_path.read_text(encoding="utf-8")
    text = text.replace("warehouses:\n", "warehouses:\n" + _WAREHOUSE, 1) + _ENTRY
    config_path.write_text(text, encoding="utf-8")
    return Incident(key="reconcile_missing", table="orders", day=day, metric="reconcile",
                    description=f"{DROPPED} orders in staging never reached the mart")


def check_reconcile(ctx: MonitorContext, incident: Incident) -> tuple[bool, str, Finding]:
    """This morning's reconcile run: (caught, what it said, its finding)."""
    result = reconcile_now(ctx, NAME)  # alerted (console) like the run before it
    keys = result.keys
    caught = keys is not None and keys.missing_count == DROPPED and not result.matched
    moved = (f" ({keys.rows_moved:,} of {keys.table_rows:,} rows moved to find them)"
             if keys is not None else "")
    return caught, result.reason + moved, result.finding()
