"""Incidents as a lifecycle on the dashboard: how fast people acknowledge and resolve them,
and the incidents as rows a person reads (``#12``, what is checked, who and why).

Times to acknowledge and to resolve are measured from when the incident opened;
the medians are over the incidents opened in the period, per table.

>>> import datetime as dt
>>> import pandas as pd
>>> t0 = dt.datetime(2026, 1, 5, 6)
>>> frame = pd.DataFrame({"table_name": ["orders", "orders"],
...     "opened_at": [t0, t0], "acknowledged_at": [t0 + dt.timedelta(minutes=20), None],
...     "resolved_at": [t0 + dt.timedelta(hours=3), t0 + dt.timedelta(hours=5)]})
>>> times = response_times(frame)
>>> times.to_acknowledge, times.to_resolve, times.acknowledged, times.resolved
(1200.0, 14400.0, 1, 2)
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from monitor import formatting
from monitor.alerts.actions import RESOLUTION_TEXT
from monitor.alerts.check_names import incident_check_name

#: Columns of ``incident_rows`` and how the page titles them.
INCIDENT_COLUMNS = {"ref": "Incident", "table_name": "Table", "check": "Check",
                    "severity": "Severity", "status": "Status", "title": "What happened",
                    "opened": "Opened (UTC)", "acknowledged": "Acknowledged",
                    "resolved": "Resolved", "resolution": "Resolution",
                    "occurrences": "Seen (runs)", "muted": "Muted until (UTC)"}


@dataclass(frozen=True)
class ResponseTimes:
    """Median seconds from opening to acknowledgement and to resolution (None: no such
    incident), and how many incidents each median covers."""

    opened: int
    acknowledged: int
    resolved: int
    to_acknowledge: float | None
    to_resolve: float | None


def _median_seconds(later: pd.Series, opened: pd.Series) -> tuple[int, float | None]:
    waited = (pd.to_datetime(later) - pd.to_datetime(opened)).dt.total_seconds().dropna()
    return len(waited), (float(waited.median()) if len(waited) else None)


def response_times(frame: pd.DataFrame, *, table: str | None = None,
                   since: dt.datetime | None = None) -> ResponseTimes:
    """Times to acknowledge and to resolve of the incidents in ``frame`` (one table's with
    ``table``; only those opened since ``since``)."""
    rows = frame
    if table is not None and not rows.empty:
        rows = rows[rows["table_name"] == table]
    if since is not None and not rows.empty:
        rows = rows[pd.to_datetime(rows["opened_at"]) >= pd.Timestamp(since)]
    if rows.empty:
        return ResponseTimes(0, 0, 0, None, None)
    acknowledged, to_ack = _median_seconds(rows["acknowledged_at"], rows["opened_at"])
    resolved, to_resolve = _median_seconds(rows["resolved_at"], rows["opened_at"])
    return ResponseTimes(len(rows), acknowledged, resolved, to_ack, to_resolve)


def response_by_table(frame: pd.DataFrame, *, since: dt.datetime | None = None
                      ) -> pd.DataFrame:
    """One row per table: incidents opened, median time to acknowledge and to resolve
    (as text people read)."""
    tables = sorted(set(frame["table_name"])) if not frame.empty else []
    out = []
    for name in tables:
        times = response_times(frame, table=name, since=since)
        if times.opened:
            out.append({"Table": name, "Incidents opened": times.opened,
                        "Time to acknowledge": _median_text(times.to_acknowledge,
                                                            times.acknowledged),
                        "Time to resolve": _median_text(times.to_resolve, times.resolved)})
    return pd.DataFrame(out, columns=["Table", "Incidents opened", "Time to acknowledge",
                                      "Time to resolve"])


def _median_text(seconds: float | None, count: int) -> str:
    if seconds is None:
        return formatting.MISSING
    return f"{formatting.duration(seconds)} (median of {count})"


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) \
        and value is not pd.NaT


def _when(value: Any) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M") if _present(value) else ""


def _who_when(who: Any, when: Any, opened: Any) -> str:
    """``ana, 25m after opening``; empty when it did not happen."""
    if not _present(when):
        return ""
    after = (pd.Timestamp(when) - pd.Timestamp(opened)).total_seconds()
    person = str(who) if _present(who) else "someone"
    return f"{person}, {formatting.duration(after)} after opening"


def _check(row: Any) -> str:
    details = row.get("details_json")
    parsed = json.loads(details) if isinstance(details, str) and details else {}
    return incident_check_name(str(row["check_key"]), parsed)


def resolution_text(reason: Any) -> str:
    """How a stored resolution reads (``false-positive`` -> ``false positive``)."""
    if not _present(reason):
        return ""
    return RESOLUTION_TEXT.get(str(reason), str(reason))


def incident_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The incidents as a person reads them: ``#12``, the check in words, who acknowledged
    and resolved it, how long after opening, and why (no "None", no epoch numbers)."""
    if frame.empty:
        return pd.DataFrame(columns=["incident_id", *INCIDENT_COLUMNS])
    records = []
    for row in frame.to_dict("records"):
        records.append({
            "incident_id": int(row["incident_id"]), "ref": f"#{int(row['incident_id'])}",
            "table_name": row["table_name"], "check": _check(row),
            "severity": row["severity"], "status": row["status"], "title": row["title"],
            "opened": _when(row["opened_at"]),
            "acknowledged": _who_when(row.get("acknowledged_by"), row.get("acknowledged_at"),
                                      row["opened_at"]),
            "resolved": _who_when(row.get("resolved_by"), row.get("resolved_at"),
                                  row["opened_at"]),
            "resolution": " – ".join(part for part in (
                resolution_text(row.get("resolution")),
                str(row["resolution_note"]) if _present(row.get("resolution_note")) else "")
                if part),
            "occurrences": int(row["occurrences"]) if _present(row.get("occurrences")) else 0,
            "muted": _when(row.get("muted_until")),
        })
    return pd.DataFrame(records)
