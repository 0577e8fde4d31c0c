"""The demo builds its own folder and stores a profile of every sample table."""

from __future__ import annotations

from pathlib import Path

from monitor.config import load_config
from monitor.demo import run_demo


class TestRunDemo:
    def test_everything_lands_in_the_folder(self, tmp_path: Path) -> None:
        report = run_demo(tmp_path / "demo")

        config = load_config(report.config_path)
        assert [r.status for r in report.results] == ["success"] * 3
        assert {p.table for p in report.profiles} == {"orders", "events", "customers"}
        assert (tmp_path / "demo" / "metrics.db").exists()
        assert config.resolve_url(config.warehouses["sample"].url).endswith("demo/sample.db")
        orders = next(p for p in report.profiles if p.table == "orders")
        assert orders.row_count == report.manifest.rows["orders"]
