"""The demo's reconciliation mismatch on a small sample warehouse."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from monitor.config.models import load_config
from monitor.demo.reconcile import DROPPED, NAME, add_staging, check_reconcile
from monitor.demo.run import DEMO_CONFIG
from monitor.demo.sample import build_sample_warehouse
from monitor.run.context import MonitorContext


class TestAddStagingAndCheckReconcile:
    def test_the_dropped_orders_are_found_and_nothing_else(self, tmp_path: Path) -> None:
        manifest = build_sample_warehouse(tmp_path / "sample.db", days=7, incidents=False)
        config_path = tmp_path / "monitor.yaml"
        config_path.write_text(DEMO_CONFIG, encoding="utf-8")

        incident = add_staging(tmp_path, config_path, manifest.end)
        ctx = MonitorContext(load_config(config_path),
                             clock=lambda: dt.datetime.combine(
                                 manifest.end + dt.timedelta(days=1), dt.time(6), dt.UTC))
        caught, said, finding = check_reconcile(ctx, incident)

        with sqlite3.connect(tmp_path / "staging.db") as staging:
            (rows,) = staging.execute("select count(*) from orders").fetchone()
        assert rows == manifest.rows["orders"] + DROPPED
        assert caught
        assert f"{DROPPED} keys missing in the target" in said
        assert "only in the target" not in said
        assert (finding.check, finding.failing) == (f"reconcile:{NAME}", True)
        assert incident.day == manifest.end
