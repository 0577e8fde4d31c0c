"""What is broken, worst first, in the words a data owner reads in ten seconds.

Each open incident is one item: its own sentence (``orders: 412 rows arrived,
usually about 980``), since when, and who owns the table. A table that needs
attention without an open incident (a failed run, stale data) is one item
with its health reasons. Critical items come first, then by the table's
status, then the longest broken.

>>> import datetime as dt
>>> import pandas as pd
>>> now = dt.datetime(2026, 1, 5, 8)
>>> incidents = pd.DataFrame({"incident_id": [7], "table_name": ["orders"],
...     "status": ["open"], "severity": ["critical"], "title": ["orders: 412 rows, usually 980"],
...     "opened_at": [dt.datetime(2026, 1, 5, 6)], "acknowledged_by": [None]})
>>> tables = pd.DataFrame({"table": ["orders"], "status": ["failing"], "reason": ["x"],
...     "owners": ["@data-eng"], "last_run": [now]})
>>> item = problems(tables, incidents, now).iloc[0]
>>> item["table"], item["sentence"], item["since"], item["owners"]
('orders', '412 rows, usually 980', '2h ago', '@data-eng')
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from monitor import formatting
from monitor.store.dashboard import OPEN_INCIDENT

#: Severity order of items (worst first); a table without an incident ranks by status.
SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
ATTENTION = ("failing", "stale", "warning")
PROBLEM_COLUMNS = ("table", "severity", "status", "sentence", "since", "since_at", "owners",
                   "incident_id", "acknowledged_by", "rank")


def _present(value: Any) -> bool:
    return value is not None and value is not pd.NaT and not (
        isinstance(value, float) and pd.isna(value))


def sentence(title: str, table: str) -> str:
    """The incident's sentence without its ``table:`` prefix (the page writes the table).

    >>> sentence("customers: column 'phone' was removed (it was TEXT)", "customers")
    "column 'phone' was removed (it was TEXT)"
    """
    text = str(title).strip()
    prefix = f"{table}:"
    return text[len(prefix):].strip() if text.startswith(prefix) else text


def since_text(moment: Any, now: dt.datetime) -> str:
    """``2h ago`` (or ``just now``); the missing mark for none."""
    if not _present(moment):
        return formatting.MISSING
    seconds = (now - pd.Timestamp(moment).to_pydatetime()).total_seconds()
    return "just now" if seconds < 60 else f"{formatting.duration(seconds)} ago"


def problems(tables: pd.DataFrame, incidents: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """One row per open incident of a shown table, plus one per table needing attention
    without one; ``tables`` is ``health.overview`` (filtered), ``incidents`` the store's
    ``incidents_since``. Worst first."""
    status_of = dict(zip(tables["table"], tables["status"], strict=True))
    owners_of = dict(zip(tables["table"], tables["owners"], strict=True))
    rank_of = {"failing": 0, "stale": 1, "warning": 2, "learning": 3, "ok": 4}
    rows: list[dict[str, Any]] = []
    covered: set[str] = set()
    if not incidents.empty:
        open_ones = incidents[incidents["status"].isin(OPEN_INCIDENT)
                              & incidents["table_name"].isin(list(status_of))]
        for row in open_ones.to_dict("records"):
            table = row["table_name"]
            covered.add(table)
            severity = str(row["severity"])
            rows.append({
                "table": table, "severity": severity, "status": status_of[table],
                "sentence": sentence(row["title"], table),
                "since": since_text(row["opened_at"], now), "since_at": row["opened_at"],
                "owners": owners_of[table] or formatting.MISSING,
                "incident_id": int(row["incident_id"]),
                "acknowledged_by": row.get("acknowledged_by")
                if _present(row.get("acknowledged_by")) else None,
                "rank": (SEVERITY_RANK.get(severity, 3), rank_of[status_of[table]])})
    for row in tables.to_dict("records"):
        if row["status"] not in ATTENTION or row["table"] in covered:
            continue
        severity = "critical" if row["status"] == "failing" else "warning"
        rows.append({
            "table": row["table"], "severity": severity, "status": row["status"],
            "sentence": row["reason"], "since": since_text(row.get("last_run"), now)
            if row["status"] == "failing" else formatting.MISSING,
            "since_at": row.get("last_run") if row["status"] == "failing" else None,
            "owners": row["owners"] or formatting.MISSING, "incident_id": None,
            "acknowledged_by": None,
            "rank": (SEVERITY_RANK[severity], rank_of[row["status"]])})
    out = pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))
    if out.empty:
        return out
    out["_at"] = pd.to_datetime(out["since_at"])
    out = out.sort_values(["rank", "_at", "table"], na_position="last", kind="stable")
    return out.drop(columns="_at").reset_index(drop=True)
