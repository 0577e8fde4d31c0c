"""The embedded demo: the whole product on a sample warehouse, in one folder.

``run_demo(dir)`` writes a config, an SQLite warehouse with 90 days of daily
loads of an online shop (with incidents injected), replays the last 30 nightly
monitoring runs of its 3 tables (the first one profiles the 60 days before it
too, so the detectors see all 90 days), drops a column as a last surprise, runs
the monitor once as of this morning with every step (profile, suites,
detection, alerts), gates three files into ``orders`` and checks which
injected incidents the real detectors caught with default settings, and which
alarms were false.

>>> report = run_demo(Path("dq-monitor-demo"))  # doctest: +SKIP
>>> [(c.incident.key, c.caught) for c in report.checks]  # doctest: +SKIP +NORMALIZE_WHITESPACE
[('partial_load', True), ('late_load', True), ('duplicated_load', True),
 ('null_spike', True), ('dropped_column', True), ('segment_missing', True),
 ('distribution_shift', True), ('reconcile_missing', True)]
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config.models import MonitorConfig, load_config
from monitor.demo.batches import sample_batches_for
from monitor.demo.reconcile import add_staging, check_reconcile
from monitor.demo.sample import Incident, SampleManifest, build_sample_warehouse
from monitor.demo.segments import seen_as, segment_check
from monitor.ingest.batch import ingest_file
from monitor.run.collect import collect_metrics
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding
from monitor.run.runner import run_table
from monitor.run.state import RunResult
from monitor.store.detections import DetectionRow, list_detections
from monitor.timeutil import utcnow
from monitor.warehouse import dispose_engines

DEMO_CONFIG = """\
# dq-monitor demo configuration, written by `dq-monitor demo`.
# Paths are relative to this file's folder. Reference: README.md.
store: sqlite:///metrics.db

warehouses:
  sample: sqlite:///sample.db

expectations_dir: expectations
default_schedule: every 1h
dashboard_url: http://localhost:8501

tables:
  - name: orders
    warehouse: sample
    table: orders
    timestamp_column: created_at
    loaded_at_column: loaded_at
    bucket: day
    owners: ["@data-eng"]
    tags: [sales, tier-1]
    suites: [orders]
    distribution_columns: [amount, status]
    segments: [country]
    thresholds:
      freshness_sla: 30h

  - name: events
    warehouse: sample
    table: events
    timestamp_column: occurred_at
    loaded_at_column: loaded_at
    bucket: day
    owners: ["@web-analytics"]
    tags: [product]
    suites: [events]
    thresholds:
      freshness_sla: 30h

  - name: customers
    warehouse: sample
    table: customers
    timestamp_column: signup_at
    owners: ["@crm"]
    tags: [crm, pii]
    suites: [customers]
    columns:
      email: {tags: [pii]}
      phone: {tags: [pii]}
"""

#: Nightly runs replayed by the demo (the first one also profiles the 60 days before).
RUN_DAYS = 30

#: Where each injected incident must show up: (table, metric, column) of a detection.
WHERE_SEEN = {"row_count": ("row_count", ""), "arrival_delay_seconds":
              ("arrival_delay_seconds", ""), "null_rate": ("null_rate", None),
              "shares": ("shares", None)}


@dataclass(frozen=True)
class IncidentCheck:
    """Whether the detectors caught one injected incident, and what they said."""

    incident: Incident
    caught: bool
    evidence: str


@dataclass(frozen=True)
class IngestSummary:
    """One gated ingestion of the demo."""

    file: str
    table: str
    verdict: str
    published: int
    quarantined: int
    reason: str


@dataclass
class DemoReport:
    """What the demo did and found."""

    directory: Path
    config_path: Path
    manifest: SampleManifest
    backfill_runs: int = 0
    nights: int = 0
    history_days: int = 0
    results: list[RunResult] = field(default_factory=list)
    checks: list[IncidentCheck] = field(default_factory=list)
    false_alarms: list[DetectionRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    ingestion: list[IngestSummary] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def caught(self) -> int:
        return sum(c.caught for c in self.checks)


def bundled_suites() -> Path:
    """The sample warehouse's suites shipped in the repository's ``expectations/``."""
    return Path(__file__).resolve().parents[2] / "expectations"


def prepare_demo(directory: Path, *, end: dt.date | None = None
                 ) -> tuple[Path, SampleManifest]:
    """Write the config, suites and a fresh sample warehouse; forget an earlier store."""
    directory.mkdir(parents=True, exist_ok=True)
    # Pooled connections would keep reading a replaced SQLite file.
    dispose_engines()
    config_path = directory / "monitor.yaml"
    config_path.write_text(DEMO_CONFIG, encoding="utf-8")
    for stale in ("metrics.db", "metrics.db-journal", "metrics.db-wal", "metrics.db-shm"):
        (directory / stale).unlink(missing_ok=True)
    shutil.rmtree(directory / ".dq-monitor", ignore_errors=True)
    suites = directory / "expectations"
    suites.mkdir(exist_ok=True)
    for suite in sorted(bundled_suites().glob("*.json")):
        shutil.copyfile(suite, suites / suite.name)
    # The column drop comes after the backfill, so the history sees the old schema.
    manifest = build_sample_warehouse(directory / "sample.db", drop_column=False, end=end)
    return config_path, manifest


def _drop_column(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("ALTER TABLE customers DROP COLUMN phone")


def _related(row: DetectionRow, incident: Incident) -> bool:
    """An anomaly the incident explains: same table and day, or the next morning's run."""
    if row.table != incident.table:
        return False
    if row.granularity == "snapshot":
        return row.ts.date() == incident.day + dt.timedelta(days=1)
    return row.ts.date() == incident.day


def _check(incident: Incident, anomalies: list[DetectionRow],
           findings: list[Finding]) -> IncidentCheck:
    if incident.metric == "segment":  # one finding over every country
        return segment_check(incident, anomalies, findings)
    if incident.metric == "schema":
        hit = next((f for f in findings if f.table == incident.table and f.check == "schema"
                    and f.failing), None)
        return IncidentCheck(incident, hit is not None,
                             hit.reason if hit else "no schema change reported")
    metric, column = WHERE_SEEN[incident.metric]
    column = incident.column or column or ""
    day = dt.datetime.combine(incident.day, dt.time())
    hit = next((a for a in anomalies if a.table == incident.table and a.metric == metric
                and a.column == column and a.ts == day), None)
    if hit is None:
        return IncidentCheck(incident, False, f"no {metric} anomaly on {incident.day}")
    others = sorted({f"{a.metric}{'.' + seen_as(a.column) if a.column else ''}"
                     for a in anomalies if _related(a, incident) and a is not hit})
    also = f" (also seen: {', '.join(others)})" if others else ""
    return IncidentCheck(incident, True, hit.reason + also)


def _is_injected(row: DetectionRow, incidents: list[Incident]) -> bool:
    return any(incident.metric != "schema" and _related(row, incident)
               for incident in incidents)


#: The gated ingestions of the demo: (file, mode).
DEMO_BATCHES = (("orders_good.csv", "all_or_nothing"), ("orders_null_spike.csv", "all_or_nothing"),
                ("orders_out_of_range.jsonl", "publish_good"))


def _usual_orders(warehouse_file: Path, day: dt.date) -> float:
    """Median orders on the same weekday over the sample's last four weeks before ``day``."""
    conn = sqlite3.connect(warehouse_file)
    try:
        counts = [conn.execute("SELECT count(*) FROM orders WHERE date(created_at) = ?",
                               ((day - dt.timedelta(days=7 * k)).isoformat(),)).fetchone()[0]
                  for k in range(1, 5)]
    finally:
        conn.close()
    return float(statistics.median(counts))


def _ingest_batches(ctx: MonitorContext, directory: Path,
                    today: dt.datetime) -> list[IngestSummary]:
    """Write-audit-publish of a good file and two bad ones into ``orders``.

    The files hold orders of today's first hours, loaded at ``today`` (06:00): they land
    in today's bucket, which stays open until midnight, so they change no complete day a
    later run judges (yesterday was loaded and judged already). A run after midnight
    judges that day: its rows are then the published ones alone, so each file holds
    about half a usual day of orders (the good file and 95% of the out-of-range one are
    published) with the countries of the sample, and the day looks like any other.
    """
    folder = directory / "batches"
    shutil.rmtree(folder, ignore_errors=True)
    hours = (today - today.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    rows = max(50, round(_usual_orders(directory / "sample.db", today.date()) / 1.95))
    sample_batches_for(directory / "sample.db", folder, now=today, hours=hours / 3600,
                       rows=rows)
    out = []
    for name, mode in DEMO_BATCHES:
        result = ingest_file(folder / name, "orders", context=ctx, mode=mode)  # type: ignore[arg-type]
        gate = result.gate
        if gate is not None and gate.reasons:
            reason = "; ".join(gate.reasons)
        elif result.rows_quarantined:
            reason = (f"{result.rows_quarantined} rows failed row-level checks: quarantined in "
                      f"orders__quarantine, the rest published")
        else:
            reason = "all checks pass"
        out.append(IngestSummary(file=f"batches/{name}", table="orders",
                                 verdict=f"{result.status} ({mode})",
                                 published=result.rows_published,
                                 quarantined=result.rows_quarantined, reason=reason))
    return out


def demo_clock(now: dt.datetime) -> dt.datetime:
    """The demo's "today": this morning's 06:00 run (yesterday's before 06:00 UTC)."""
    morning = dt.datetime.combine(now.date(), dt.time(6), dt.UTC)
    return morning if now >= morning else morning - dt.timedelta(days=1)


def run_demo(directory: Path, *, now: dt.datetime | None = None,
             progress: Callable[[int, int], None] | None = None) -> DemoReport:
    """Build the demo in ``directory``, replay 30 nights of monitoring, then check today."""
    started = utcnow()
    today = demo_clock(now or started)
    config_path, manifest = prepare_demo(directory, end=today.date() - dt.timedelta(days=1))
    lost_orders = add_staging(directory, config_path, manifest.end)  # monitor/demo/reconcile.py
    config: MonitorConfig = load_config(config_path)
    ctx = MonitorContext(config)
    report = DemoReport(directory=directory, config_path=config_path, manifest=manifest)
    # The backfill: the nightly 06:00 run of the last RUN_DAYS days (after the 01:00
    # load; rows loaded later are not visible yet). The first run computes every bucket
    # of the history before it in one grouped scan. Judging happens once, at the end:
    # the detectors walk forward, so each point is judged only on the points before it.
    days = [manifest.end - dt.timedelta(days=i) for i in range(RUN_DAYS, 0, -1)]
    for i, day in enumerate(days):
        as_of = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6), dt.UTC)
        for table in config.tables:
            run_table(ctx, table, as_of=as_of, trigger="demo", steps=[collect_metrics])
            report.backfill_runs += 1
        report.nights += 1
        if progress:
            progress(i + 1, len(days))
    report.history_days = (manifest.end - manifest.start).days + 1
    _drop_column(directory / "sample.db")
    # This morning's run, every step: the clock says 06:00, so it is "now" for the suites.
    ctx.store.dispose()
    ctx = MonitorContext(config, clock=lambda: today)
    for table in config.tables:
        report.results.append(run_table(ctx, table, trigger="demo"))
    report.findings = [f for r in report.results for f in r.found]
    caught, said, finding = check_reconcile(ctx, lost_orders)
    report.findings.append(finding)
    report.ingestion = _ingest_batches(ctx, directory, today)
    anomalies = list_detections(ctx.store, limit=100_000)
    report.checks = [_check(i, anomalies, report.findings) for i in manifest.incidents]
    report.checks.append(IncidentCheck(lost_orders, caught, said))
    report.false_alarms = [a for a in anomalies if not _is_injected(a, manifest.incidents)]
    ctx.store.dispose()
    dispose_engines()
    report.seconds = (utcnow() - started).total_seconds()
    return report
