"""Realistic metric-store content for dashboard tests and benchmarks.

``Seeder`` collects rows for the ``dq_*`` tables and writes them in bulk through
SQLAlchemy Core, the way the monitor's own steps would have left them.
``daily_history`` makes one table's daily runs, metrics, schema snapshots and
detections (with the expected band); ``seed_scenario`` builds the store the
dashboard tests look at, and ``write_scenario_config`` the matching config file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
import yaml

from monitor.store import SqlMetricStore
from monitor.store import schema as s
from monitor.timeutil import to_naive_utc, utcnow

DAY = dt.timedelta(days=1)


def naive_now() -> dt.datetime:
    """Now in naive UTC, to the second (as the store keeps it)."""
    return to_naive_utc(utcnow()).replace(microsecond=0)


@dataclass
class Seeder:
    """Rows for the store's tables, written in bulk by ``write``."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    next_incident_id: int = 1

    def add(self, table: sa.Table, **values: Any) -> dict[str, Any]:
        self.rows.setdefault(table.name, []).append(values)
        return values

    def of(self, table: sa.Table) -> list[dict[str, Any]]:
        return self.rows.get(table.name, [])

    # -- one row each --------------------------------------------------------------
    def run(self, table: str, started_at: dt.datetime, *, status: str = "success",
            duration: float = 12.0, lag: float = 30.0, retries: int = 0,
            error: str | None = None, error_kind: str | None = None, kind: str = "profile",
            row_count: int | None = None, trigger: str = "schedule") -> str:
        run_id = f"{table}@{started_at.isoformat(timespec='seconds')}"
        self.add(s.runs, run_id=run_id, table_name=table, kind=kind, as_of=started_at,
                 status=status, started_at=started_at,
                 finished_at=started_at + dt.timedelta(seconds=duration),
                 duration_seconds=duration, row_count=row_count, error=error,
                 error_kind=error_kind, retries=retries, attempts=retries + 1, trigger=trigger,
                 scheduled_at=started_at - dt.timedelta(seconds=lag), host="seed")
        return run_id

    def metric(self, table: str, ts: dt.datetime, metric: str, value: float | None, *,
               run_id: str, column: str = "", granularity: str = "snapshot") -> None:
        self.add(s.metrics, table_name=table, granularity=granularity, ts=ts,
                 column_name=column, metric=metric, value=value, value_text=None,
                 run_id=run_id, recorded_at=ts)

    def detection(self, table: str, ts: dt.datetime, metric: str, value: float, *,
                  run_id: str, expected: float | None, lower: float | None,
                  upper: float | None, is_anomaly: bool = False, state: str = "ok",
                  column: str = "", granularity: str = "snapshot", score: float | None = None,
                  severity: str = "warning", reason: str | None = None) -> None:
        direction = None
        if is_anomaly and expected is not None:
            direction = "down" if value < expected else "up"
        self.add(s.detections, table_name=table, metric=metric, column_name=column,
                 granularity=granularity, ts=ts, run_id=run_id, value=value, expected=expected,
                 lower=lower, upper=upper, score=score, is_anomaly=is_anomaly, state=state,
                 direction=direction, detector="robust_seasonal", severity=severity,
                 reason=reason, recorded_at=ts)

    def schema(self, table: str, ts: dt.datetime, columns: Sequence[tuple[str, str]], *,
               run_id: str) -> None:
        for ordinal, (name, data_type) in enumerate(columns):
            self.add(s.schemas, table_name=table, ts=ts, column_name=name,
                     data_type=data_type, ordinal=ordinal, run_id=run_id)

    def incident(self, table: str, check_key: str, *, opened_at: dt.datetime,
                 severity: str = "warning", status: str = "open", title: str | None = None,
                 resolved_at: dt.datetime | None = None, occurrences: int = 1,
                 details: dict[str, Any] | None = None, **lifecycle: Any) -> int:
        incident_id = self.next_incident_id
        self.next_incident_id += 1
        last = resolved_at or opened_at
        row = {"incident_id": incident_id, "table_name": table, "check_key": check_key,
               "status": status, "severity": severity, "title": title or f"{table}: {check_key}",
               "details_json": json.dumps(details) if details else None,
               "opened_at": opened_at, "updated_at": last, "last_seen_at": last,
               "resolved_at": resolved_at, "occurrences": occurrences, "ok_streak": 0,
               "acknowledged_by": None, "muted_until": None, "channel": "#data-alerts",
               "thread_ts": None, "last_notified_at": opened_at, "acknowledged_at": None,
               "resolved_by": None, "resolution": None, "resolution_note": None}
        self.add(s.incidents, **{**row, **lifecycle})
        return incident_id

    def expectation(self, table: str, ts: dt.datetime, expectation_type: str, *,
                    run_id: str, success: bool, column: str = "", severity: str = "warning",
                    suite: str = "default", observed: Any = None) -> None:
        key = f"{expectation_type}:{column}"[:64]
        self.add(s.expectation_results, run_id=run_id, suite=suite, expectation_key=key,
                 table_name=table, ts=ts, expectation_type=expectation_type,
                 column_name=column, kwargs_json=json.dumps({"column": column}),
                 severity=severity, success=success, observed_value=json.dumps(observed),
                 unexpected_count=None if success else 12,
                 unexpected_percent=None if success else 1.2, unexpected_values=None,
                 error=None, recorded_at=ts)

    def verdict(self, table: str, ts: dt.datetime, verdict: str, *, batch_id: str | None = None,
                reason: str | None = None) -> str:
        verdict_id = f"v-{table}-{ts:%Y%m%d%H%M%S}"
        self.add(s.gate_verdicts, verdict_id=verdict_id, table_name=table, batch_id=batch_id,
                 ts=ts, verdict=verdict, passed=verdict == "pass", reason=reason,
                 checks_json="[]", recorded_at=ts)
        return verdict_id

    def batch(self, table: str, started_at: dt.datetime, *, status: str, rows_in: int,
              rows_quarantined: int = 0, verdict_id: str | None = None) -> str:
        batch_id = f"b-{table}-{started_at:%Y%m%d%H%M%S}"
        self.add(s.batches, batch_id=batch_id, table_name=table,
                 source_file=f"/landing/{table}/{started_at:%Y-%m-%d}.csv",
                 content_hash=batch_id.ljust(64, "0")[:64], mode="publish_good", status=status,
                 rows_in=rows_in, rows_published=rows_in - rows_quarantined,
                 rows_quarantined=rows_quarantined, verdict_id=verdict_id, error=None,
                 started_at=started_at, finished_at=started_at + dt.timedelta(seconds=5))
        return batch_id

    def label(self, table: str, metric: str, ts: dt.datetime, label: str, *,
              column: str = "", granularity: str = "snapshot") -> None:
        self.add(s.feedback, table_name=table, metric=metric, column_name=column,
                 granularity=granularity, ts=ts, label=label, note=None, author="seed",
                 created_at=ts)

    # -- writing -------------------------------------------------------------------
    def write(self, store: SqlMetricStore, *, chunk: int = 5000) -> None:
        """Insert every collected row in one transaction, then forget them."""
        with store.engine.begin() as conn:
            for table in s.metadata.sorted_tables:
                rows = self.rows.get(table.name, [])
                for start in range(0, len(rows), chunk):
                    conn.execute(table.insert(), rows[start:start + chunk])
        self.rows.clear()


@dataclass(frozen=True)
class History:
    """What ``daily_history`` made: run ids and times, oldest first."""

    table: str
    run_ids: list[str]
    run_times: list[dt.datetime]
    points_at: list[dt.datetime]  # the judged points (bucket starts or run times)
    granularity: str


def daily_history(seeder: Seeder, table: str, *, end: dt.datetime, days: int,
                  base_rows: float = 1000.0, columns: Sequence[str] = ("id", "amount"),
                  bucketed: bool = False,
                  anomalies: Mapping[tuple[str, str, int], float] | None = None,
                  learning: int = 0, severity: str = "warning",
                  schema_changes: Mapping[int, Sequence[tuple[str, str]]] | None = None,
                  failed_days: Iterable[int] = (), null_rate: float = 0.01) -> History:
    """``days`` daily runs ending at ``end``: snapshot row count and freshness, null rates
    per column (per day bucket when ``bucketed``), schema snapshots and detections of
    row_count and every null_rate with a band of +-15 %.

    ``anomalies`` maps (metric, column, day index) to the factor the value is off by;
    the first ``learning`` detections of a series are in state ``learning``;
    ``schema_changes`` maps a day index to the column list from then on.
    """
    granularity = "day" if bucketed else "snapshot"
    anomalies, schema_changes = anomalies or {}, schema_changes or {}
    failed = set(failed_days)
    layout = [(c, "INTEGER" if c == "id" else "TEXT") for c in columns]
    run_ids, run_times, points_at = [], [], []
    total = 0.0
    for k in range(days):
        at = end - (days - 1 - k) * DAY
        layout = list(schema_changes.get(k, layout))
        if k in failed:
            run_ids.append(seeder.run(table, at, status="failed", retries=2,
                                      error="warehouse unreachable: connection refused",
                                      error_kind="WarehouseUnavailable", duration=61.0))
            run_times.append(at)
            continue
        volume = round(base_rows * (1 + 0.05 * math.sin(k)))
        total += volume
        run_id = seeder.run(table, at, row_count=int(total), duration=10.0 + (k % 7),
                            lag=30.0 + (k % 5) * 15)
        run_ids.append(run_id)
        run_times.append(at)
        seeder.metric(table, at, "row_count", total, run_id=run_id)
        seeder.metric(table, at, "freshness_seconds", 1800.0, run_id=run_id)
        seeder.schema(table, at, layout, run_id=run_id)
        point = (at - DAY).replace(hour=0, minute=0, second=0) if bucketed else at
        points_at.append(point)
        judged = {("row_count", ""): volume if bucketed else total}
        for name, _ in layout:
            judged[("null_rate", name)] = null_rate
        for (metric, column), normal in judged.items():
            factor = anomalies.get((metric, column, k))
            value = normal * factor if factor is not None else normal
            if bucketed or metric != "row_count":
                seeder.metric(table, point, metric, value, run_id=run_id, column=column,
                              granularity=granularity)
            if k < learning:
                seeder.detection(table, point, metric, value, run_id=run_id, expected=None,
                                 lower=None, upper=None, state="learning", column=column,
                                 granularity=granularity)
                continue
            spread = 0.15 * normal if metric == "row_count" else 0.02
            seeder.detection(
                table, point, metric, value, run_id=run_id, expected=normal,
                lower=max(normal - spread, 0.0), upper=normal + spread,
                is_anomaly=factor is not None, state="anomaly" if factor is not None else "ok",
                column=column, granularity=granularity, severity=severity,
                score=(value - normal) / (spread / 3) if factor is not None else 0.1,
                reason=(f"{metric} {value:,.4g}, usually {normal:,.4g}"
                        if factor is not None else None))
    return History(table, run_ids, run_times, points_at, granularity)


# -- the scenario the dashboard tests look at --------------------------------------------
#: name -> (owners, tags, expected status)
SCENARIO_TABLES: dict[str, tuple[list[str], list[str], str]] = {
    "orders": (["@data-eng"], ["sales", "tier-1"], "failing"),
    "inventory": (["@data-eng"], ["ops"], "failing"),
    "returns": (["@crm"], ["sales"], "stale"),
    "sessions": (["@web-analytics"], ["product"], "stale"),
    "events": (["@web-analytics"], ["product"], "warning"),
    "payments": (["@data-eng", "@finance"], ["sales", "tier-1"], "learning"),
    "customers": (["@crm"], ["crm", "pii"], "ok"),
}


@dataclass
class Scenario:
    """The seeded store: its histories, incident ids and the rows written."""

    now: dt.datetime
    histories: dict[str, History]
    incidents: dict[str, int]
    seeder_rows: dict[str, list[dict[str, Any]]]

    def rows(self, table: str) -> pd.DataFrame:
        """What the seeder wrote into a table (the tests' independent oracle)."""
        return pd.DataFrame(self.seeder_rows.get(table, []))


def seed_scenario(store: SqlMetricStore, now: dt.datetime | None = None) -> Scenario:
    """Seven tables in every state the overview knows (see ``SCENARIO_TABLES``)."""
    now = now or naive_now()
    last = now - dt.timedelta(hours=1)
    seeder = Seeder()
    h: dict[str, History] = {}
    h["orders"] = daily_history(
        seeder, "orders", end=last, days=60, bucketed=True, base_rows=980,
        columns=("id", "customer_id", "amount"), anomalies={("row_count", "", 59): 0.4},
        severity="critical")
    h["events"] = daily_history(
        seeder, "events", end=last, days=60, bucketed=True, base_rows=25_000,
        columns=("id", "user_id", "kind"),
        anomalies={("null_rate", "user_id", 59): 25.0, ("row_count", "", 30): 1.6})
    h["customers"] = daily_history(
        seeder, "customers", end=last, days=60, base_rows=40, columns=("id", "email", "status"),
        schema_changes={50: [("id", "INTEGER"), ("email", "TEXT"), ("status", "TEXT"),
                             ("phone", "TEXT")],
                        55: [("id", "INTEGER"), ("email", "TEXT"), ("status", "VARCHAR(20)"),
                             ("phone", "TEXT")]})
    h["payments"] = daily_history(seeder, "payments", end=now - dt.timedelta(minutes=30),
                                  days=1, learning=7, columns=("id", "amount"))
    h["sessions"] = daily_history(seeder, "sessions", end=now - 5 * DAY, days=30)
    h["inventory"] = daily_history(seeder, "inventory", end=last, days=30, failed_days=[29])
    # events: an earlier spike that people marked as expected (a marketing campaign)
    events_spike = h["events"].points_at[30]
    seeder.label("events", "row_count", events_spike, "expected", granularity="day")
    incidents = {
        "orders": seeder.incident("orders", "volume:row_count", opened_at=last,
                                  severity="critical",
                                  title="orders: rows 392, usually 980", details={
                                      "since": h["orders"].points_at[59].isoformat(),
                                      "finding": {"kind": "anomaly", "metric": "row_count",
                                                  "column": None,
                                                  "reason": "rows 392, usually 980",
                                                  "at": h["orders"].points_at[59].isoformat()}}),
        "events": seeder.incident("events", "null_rate:user_id", opened_at=last,
                                  title="events: null rate of user_id 25%, usually 1%"),
        "customers": seeder.incident("customers", "schema", opened_at=now - 6 * DAY,
                                     status="resolved", resolved_at=now - 3 * DAY,
                                     title="customers: column status changed type",
                                     resolved_by="dq-monitor", resolution="recovered"),
        "inventory": seeder.incident("inventory", "run", opened_at=last, severity="critical",
                                     title="inventory: run failed: warehouse unreachable"),
    }
    # orders: one suite, validated with each of the last 10 runs; the newest fails
    for k, (run_id, at) in enumerate(zip(h["orders"].run_ids[-10:], h["orders"].run_times[-10:],
                                         strict=True)):
        newest = k == 9
        seeder.expectation("orders", at, "expect_column_values_to_not_be_null", run_id=run_id,
                           column="customer_id", severity="critical", success=not newest,
                           suite="orders_suite", observed=0.04 if newest else 0.0)
        seeder.expectation("orders", at, "expect_column_values_to_be_between", run_id=run_id,
                           column="amount", suite="orders_suite", success=k != 4)
    # customers: a daily gate; five days ago a batch was blocked and quarantined
    for k in range(10):
        at = last - (9 - k) * DAY
        verdict = "blocked" if k == 4 else "pass"
        verdict_id = seeder.verdict("customers", at, verdict,
                                    reason="12 rows with a null email" if k == 4 else None)
        seeder.batch("customers", at, status="blocked" if k == 4 else "published",
                     rows_in=40, rows_quarantined=12 if k == 4 else 0, verdict_id=verdict_id)
    rows = {name: list(values) for name, values in seeder.rows.items()}
    seeder.write(store)
    return Scenario(now, h, incidents, rows)


def write_scenario_config(path: Path, store_url: str, *,
                          tables: Mapping[str, tuple[list[str], list[str], str]] | None = None,
                          ) -> Path:
    """A config file listing the scenario's tables (on a warehouse never contacted)."""
    chosen = SCENARIO_TABLES if tables is None else tables
    raw = {
        "store": store_url,
        "warehouses": {"wh": f"sqlite:///{path.parent / 'warehouse.db'}"},
        "dashboard_url": "http://127.0.0.1:8501",
        "tables": [{"name": name, "warehouse": "wh", "table": name, "owners": owners,
                    "tags": tags, "schedule": "every 1d",
                    "thresholds": {"freshness_sla": "26h"}}
                   for name, (owners, tags, _) in chosen.items()],
    }
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path
