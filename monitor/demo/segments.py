"""The demo's segment incident: one country's orders missing while the total looks normal.

Every order gets a ``country`` (shares below, from a generator of its own, so the
other incidents' data is unchanged); on the sample's last day the load of
``MISSING``'s orders never arrived. The day's total is about 8% short, well inside
the day-to-day noise: only the per-country volume (``segments: [country]``) shows it.

>>> segment_incident(dt.date(2026, 1, 31)).key
'segment_missing'
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from monitor.demo.sample import Incident
from monitor.metrics.segments import parse_series_column
from monitor.run.findings import Finding
from monitor.store.detections import DetectionRow

if TYPE_CHECKING:
    from monitor.demo.run import IncidentCheck

#: Share of orders per country (the demo's ``segments: [country]``).
SHARES = {"DE": 0.30, "FR": 0.15, "GB": 0.10, "NL": 0.08, "ES": 0.08, "IT": 0.08,
          "PL": 0.06, "SE": 0.05, "US": 0.06, "AT": 0.04}
#: The country whose orders of the last day are missing.
MISSING = "NL"
_SEED = 1401


def segment_incident(end: dt.date) -> Incident:
    """The injected incident, dated on the sample's last day."""
    return Incident("segment_missing", "orders", end,
                    f"segment load missing: no orders from {MISSING} on the last day, "
                    f"while the total looks normal", "segment", "country")


def add_countries(conn: sqlite3.Connection, incidents: dict[str, Incident]) -> None:
    """Give every order a country; drop the missing segment's rows of its day."""
    conn.execute("ALTER TABLE orders ADD COLUMN country TEXT")
    ids = [row[0] for row in conn.execute("SELECT order_id FROM orders ORDER BY order_id")]
    rng = np.random.default_rng(_SEED)
    names = list(SHARES)
    picks = rng.choice(len(names), size=len(ids), p=list(SHARES.values()))
    conn.executemany("UPDATE orders SET country = ? WHERE order_id = ?",
                     [(names[int(p)], order_id) for p, order_id in zip(picks, ids, strict=True)])
    incident = incidents.get("segment_missing")
    if incident is not None:
        conn.execute("DELETE FROM orders WHERE country = ? AND date(created_at) = ?",
                     (MISSING, incident.day.isoformat()))


def segment_check(incident: Incident, anomalies: Sequence[DetectionRow],
                  findings: Sequence[Finding]) -> IncidentCheck:
    """Caught when the run's one ``segments:volume`` finding fails, naming the country,
    and the day's total rows raised no anomaly."""
    from monitor.demo.run import IncidentCheck

    hit = next((f for f in findings if f.table == incident.table
                and f.check == "segments:volume" and f.failing), None)
    if hit is None:
        return IncidentCheck(incident, False, "no segment volume anomaly reported")
    day = dt.datetime.combine(incident.day, dt.time())
    total = [a for a in anomalies if a.table == incident.table and a.metric == "row_count"
             and a.column == "" and a.ts == day]
    said = "the total was flagged too" if total else "the total rows looked normal"
    return IncidentCheck(incident, MISSING in hit.reason, f"{hit.reason} ({said})")


def seen_as(column: str) -> str:
    """How the summary names a series' column: segments collapse into one name.

    >>> seen_as('@seg:[["country"],["DE"]]|amount'), seen_as("amount")
    ('segments by country', 'amount')
    """
    parsed = parse_series_column(column)
    return column if parsed is None else f"segments by {' / '.join(parsed[0])}"
