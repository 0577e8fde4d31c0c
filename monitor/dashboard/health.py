"""A table's health as the overview shows it: failing, stale, warning, learning or ok.

``judge`` looks at one row of ``monitor.store.dashboard.latest_state`` (what the store says
about the table) and the table's config; ``overview`` does it for every
configured table and sorts what needs attention first.

>>> import datetime as dt
>>> from monitor.config.models import TableConfig
>>> from monitor.config.durations import parse_schedule
>>> table = TableConfig(name="orders", warehouse="w", table="orders")
>>> judge(None, table, schedule=parse_schedule("every 1h"), now=dt.datetime(2026, 1, 1)).status
'stale'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from monitor import formatting
from monitor.config.durations import Schedule
from monitor.config.models import MonitorConfig, TableConfig
from monitor.store.dashboard import FAILED_RUN

#: Every status, most urgent first (the overview's sort order).
STATUSES = ("failing", "stale", "warning", "learning", "ok")
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}
#: How many missed scheduled runs make a table stale (plus ``GRACE_SECONDS``).
MISSED_RUNS = 2
GRACE_SECONDS = 600.0


@dataclass(frozen=True)
class Health:
    """A status and the reasons for it, most urgent first."""

    status: str
    reasons: tuple[str, ...] = ()

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons) if self.reasons else "all checks pass"


def value(state: Mapping[str, Any] | None, key: str) -> Any:
    """A field of a state row; None for missing, NaN and NaT."""
    if state is None:
        return None
    found = state.get(key)
    if found is None or found is pd.NaT:
        return None
    if isinstance(found, float) and math.isnan(found):
        return None
    return found


def _count(state: Mapping[str, Any] | None, key: str) -> int:
    return int(value(state, key) or 0)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else many or word + 's'}"


def data_age_seconds(state: Mapping[str, Any] | None, now: dt.datetime) -> float | None:
    """Age of the newest row now: its age at the last snapshot plus the time since."""
    freshness, snapshot_at = value(state, "freshness_seconds"), value(state, "snapshot_at")
    if freshness is None or snapshot_at is None:
        return None
    return float(freshness) + (now - pd.Timestamp(snapshot_at).to_pydatetime()).total_seconds()


def _failing(state: Mapping[str, Any]) -> list[str]:
    out = []
    if value(state, "last_status") in FAILED_RUN:
        cause = value(state, "last_error_kind") or str(value(state, "last_error") or "")
        out.append(f"last run {value(state, 'last_status')}"
                   + (f": {cause.splitlines()[0][:120]}" if cause else ""))
    if n := _count(state, "critical_incidents"):
        out.append(f"{_plural(n, 'critical incident')} open")
    if n := _count(state, "failed_critical_expectations"):
        out.append(f"{_plural(n, 'critical expectation')} failed")
    if value(state, "gate_verdict") in ("blocked", "error"):
        out.append(f"last batch {value(state, 'gate_verdict')} by the gate")
    return out


def _stale(state: Mapping[str, Any], table: TableConfig, schedule: Schedule,
           now: dt.datetime) -> list[str]:
    out = []
    last_success = value(state, "last_success_at")
    gap = schedule.max_gap_seconds
    if last_success is None:
        out.append("no successful run yet")
    elif gap is not None:
        since = (now - pd.Timestamp(last_success).to_pydatetime()).total_seconds()
        if since > MISSED_RUNS * gap + GRACE_SECONDS:
            out.append(f"no successful run for {formatting.duration(since)} (schedule {schedule})")
    sla = table.thresholds.freshness_sla
    age = data_age_seconds(state, now)
    if sla is not None and age is not None and age > sla:
        out.append(f"newest data is {formatting.duration(age)} old "
                   f"(SLA {formatting.duration(sla)})")
    return out


def _warning(state: Mapping[str, Any]) -> list[str]:
    out = []
    if n := _count(state, "open_incidents") - _count(state, "critical_incidents"):
        out.append(f"{_plural(n, 'incident')} open")
    if n := _count(state, "anomalies"):
        out.append(f"{_plural(n, 'anomaly', 'anomalies')} in the latest points")
    if n := _count(state, "failed_expectations") - _count(state, "failed_critical_expectations"):
        out.append(f"{_plural(n, 'expectation')} failed")
    return out


def _learning(state: Mapping[str, Any]) -> list[str]:
    if n := _count(state, "learning_series"):
        return [f"{_plural(n, 'metric')} still learning the normal range"]
    if not _count(state, "watched_series") and _count(state, "successes") < 2:
        return ["only one successful run so far"]
    return []


def judge(state: Mapping[str, Any] | None, table: TableConfig, *, schedule: Schedule,
          now: dt.datetime) -> Health:
    """The table's health from its row of ``latest_state`` (None: never run)."""
    if state is None or not _count(state, "runs"):
        return Health("stale", ("no run recorded yet",))
    found = {"failing": _failing(state), "stale": _stale(state, table, schedule, now),
             "warning": _warning(state), "learning": _learning(state)}
    reasons = tuple(r for status in STATUSES[:-1] for r in found[status])
    for status in STATUSES[:-1]:
        if found[status]:
            return Health(status, reasons)
    return Health("ok")


OVERVIEW_COLUMNS = ("table", "status", "reason", "last_run", "last_run_status", "data_age",
                    "row_count", "trend", "open_incidents", "owners", "tags", "muted_until",
                    "status_rank", "data_age_seconds", "owner_list", "tag_list")


def overview(config: MonitorConfig, latest: pd.DataFrame, trends: pd.DataFrame,
             now: dt.datetime) -> pd.DataFrame:
    """Every configured table with its health, most urgent first.

    ``latest`` comes from ``monitor.store.dashboard.latest_state``, ``trends`` from
    ``monitor.store.dashboard.row_count_trends``; ``now`` is naive UTC.
    """
    states = {row["table_name"]: row for row in latest.to_dict("records")}
    lines = (trends.groupby("table_name", sort=False)["value"]
             .agg(lambda v: v.astype(float).tolist()).to_dict() if not trends.empty else {})
    rows = []
    for table in config.tables:
        state = states.get(table.name)
        health = judge(state, table, schedule=config.schedule_for(table), now=now)
        age = data_age_seconds(state, now)
        row_count = value(state, "row_count")
        muted = value(state, "muted_until")
        rows.append({
            "table": table.name, "status": health.status, "reason": health.reason,
            "last_run": value(state, "last_started_at"),
            "last_run_status": value(state, "last_status"),
            "data_age": formatting.duration(age) if age is not None else None,
            "row_count": int(row_count) if row_count is not None else None,
            "trend": lines.get(table.name, []),
            "open_incidents": _count(state, "open_incidents"),
            "owners": ", ".join(table.owners), "tags": ", ".join(table.tags),
            "muted_until": muted if muted is not None and muted > now else None,
            "status_rank": STATUS_RANK[health.status], "data_age_seconds": age,
            "owner_list": list(table.owners), "tag_list": list(table.tags),
        })
    out = pd.DataFrame(rows, columns=list(OVERVIEW_COLUMNS))
    out["row_count"] = out["row_count"].astype("Int64")
    out["open_incidents"] = out["open_incidents"].astype("int64")
    out = out.sort_values(["status_rank", "open_incidents", "table"],
                          ascending=[True, False, True], kind="stable")
    return out.reset_index(drop=True)


def filter_overview(frame: pd.DataFrame, *, owners: Sequence[str] = (),
                    tags: Sequence[str] = (), statuses: Sequence[str] = ()) -> pd.DataFrame:
    """Rows owned by any of ``owners``, tagged with any of ``tags``, in any of ``statuses``
    (an empty choice keeps everything)."""
    keep = pd.Series(True, index=frame.index)
    if owners:
        keep &= frame["owner_list"].map(lambda found: bool(set(found) & set(owners)))
    if tags:
        keep &= frame["tag_list"].map(lambda found: bool(set(found) & set(tags)))
    if statuses:
        keep &= frame["status"].isin(list(statuses))
    return frame[keep].reset_index(drop=True)


def status_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many tables are in each status (every status present, in attention order)."""
    counts = frame["status"].value_counts()
    return {status: int(counts.get(status, 0)) for status in STATUSES}
