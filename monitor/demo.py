"""The embedded demo: the sample warehouse, a config and a metric store in one folder.

>>> report = run_demo(Path("dq-monitor-demo"))  # doctest: +SKIP
>>> [r.status for r in report.results]  # doctest: +SKIP
['success', 'success', 'success']
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import MonitorConfig, load_config
from monitor.context import MonitorContext
from monitor.profiling import Profile, profile_table
from monitor.run_state import RunResult
from monitor.runner import run_tables
from monitor.sample import SampleManifest, build_sample_warehouse

DEMO_CONFIG = """\
# dq-monitor demo configuration, written by `dq-monitor demo`.
# Paths are relative to this file's folder.
store: sqlite:///metrics.db

warehouses:
  sample: sqlite:///sample.db

default_schedule: every 1h

tables:
  - name: orders
    warehouse: sample
    table: orders
    timestamp_column: created_at
    loaded_at_column: loaded_at
    bucket: day
    owners: ["@data-eng"]
    tags: [sales, tier-1]
    thresholds:
      freshness_sla: 26h

  - name: events
    warehouse: sample
    table: events
    timestamp_column: occurred_at
    loaded_at_column: loaded_at
    bucket: day
    owners: ["@web-analytics"]
    tags: [product]
    thresholds:
      freshness_sla: 26h

  - name: customers
    warehouse: sample
    table: customers
    timestamp_column: signup_at
    owners: ["@crm"]
    tags: [crm, pii]
    columns:
      email: {tags: [pii]}
      phone: {tags: [pii]}
"""


@dataclass
class DemoReport:
    """What the demo did."""

    directory: Path
    config_path: Path
    manifest: SampleManifest
    results: list[RunResult] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)


def prepare_demo(directory: Path) -> tuple[Path, SampleManifest]:
    """Write the demo config and a fresh sample warehouse and store into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "monitor.yaml"
    config_path.write_text(DEMO_CONFIG, encoding="utf-8")
    for stale in ("metrics.db", "metrics.db-journal", "metrics.db-wal"):
        (directory / stale).unlink(missing_ok=True)
    shutil.rmtree(directory / "spool", ignore_errors=True)
    manifest = build_sample_warehouse(directory / "sample.db")
    return config_path, manifest


def run_demo(directory: Path, *,
             progress: Callable[[RunResult], None] | None = None) -> DemoReport:
    """Create the demo, profile every table into the store, and return what happened."""
    config_path, manifest = prepare_demo(directory)
    config: MonitorConfig = load_config(config_path)
    ctx = MonitorContext(config)
    report = DemoReport(directory=directory, config_path=config_path, manifest=manifest)
    report.results = run_tables(ctx, config.tables, progress=progress)
    for table in config.tables:
        report.profiles.append(profile_table(ctx.warehouse_for(table), table,
                                             distinct=config.distinct_for(table)))
    ctx.store.dispose()
    return report
