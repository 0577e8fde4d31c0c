"""``dq-monitor serve`` and ``dq-monitor status`` through the real command entry point."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.store import RunRecord, open_store
from tests.helpers.serve import make_table, write_config
from tests.helpers.warehouses import WarehouseUnderTest


def setup_config(tmp_path: Path, schedule: str = "every 1s", **top: Any) -> Path:
    wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'wh.db'}")
    make_table(wh, "orders")
    wh.dispose()
    return write_config(tmp_path / "monitor.yaml", {
        "store": "sqlite:///m.db", "warehouses": {"wh": "sqlite:///wh.db"},
        "tables": [{"name": "orders", "warehouse": "wh", "table": "orders",
                    "schedule": schedule}], **top,
        "scheduler": {"misfire_grace": "1s", "shutdown_grace": "5s",
                      **top.get("scheduler", {})}})


class TestServeCommand:
    def test_serves_until_sigterm_and_exits_cleanly(self, tmp_path: Path) -> None:
        # Arrange: SIGTERM to ourselves after 2.5s (the service handles it)
        path = setup_config(tmp_path)
        before = signal.getsignal(signal.SIGTERM)
        timer = threading.Timer(2.5, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        # Act
        try:
            code = main(["--config", str(path), "serve"])
        finally:
            timer.cancel()
        # Assert
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
        runs = store.runs("orders")
        store.dispose()
        assert code == 0
        assert len(runs) >= 1
        assert {r.status for r in runs} == {"success"}
        assert signal.getsignal(signal.SIGTERM) is before  # handlers restored

    def test_a_schedule_that_cannot_fire_exits_2_naming_the_table(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = setup_config(tmp_path, schedule="0 0 31 2 *x")
        path.write_text(path.read_text().replace("0 0 31 2 *x", "61 * * * *"))
        code = main(["--config", str(path), "serve"])
        err = capsys.readouterr().err
        assert code == 2
        assert "tables[0].schedule (table 'orders')" in err


    def test_metrics_port_serves_the_endpoint_while_serving(self, tmp_path: Path) -> None:
        # Arrange: a free port; scrape it from a thread, then SIGTERM ourselves
        path = setup_config(tmp_path, scheduler={"metrics_host": "127.0.0.1"})
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        seen: dict[str, Any] = {}

        def scrape_then_stop() -> None:
            try:
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                                    timeout=5) as response:
                            text = response.read().decode()
                        if 'dq_monitor_runs_total{status="success",table="orders"}' in text:
                            seen["metrics"] = text
                            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz",
                                                        timeout=5) as response:
                                seen["ready"] = response.status
                            return
                    except OSError:
                        pass
                    time.sleep(0.2)
            finally:
                os.kill(os.getpid(), signal.SIGTERM)

        thread = threading.Thread(target=scrape_then_stop)
        thread.start()
        # Act
        code = main(["--config", str(path), "serve", "--metrics-port", str(port)])
        thread.join(20)
        # Assert
        assert code == 0
        assert seen.get("ready") == 200
        assert "dq_monitor_leader 1.0" in seen["metrics"]


    @pytest.mark.parametrize("where", ["flag", "config"])
    def test_a_port_out_of_range_exits_2_naming_it(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str) -> None:
        if where == "flag":
            path, args = setup_config(tmp_path), ["--metrics-port", "70000"]
        else:
            path, args = setup_config(tmp_path, scheduler={"metrics_port": 70000}), []

        code = main(["--config", str(path), "serve", *args])

        err = capsys.readouterr().err
        assert code == 2
        assert ("--metrics-port" if where == "flag" else "scheduler.metrics_port") in err


class TestStatusCommand:
    def test_readable_table_and_exit_1_when_overdue(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: the last run started long before "every 1s" + 1s grace
        path = setup_config(tmp_path)
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
        old = dt.datetime(2026, 1, 1)
        store.record_run(RunRecord(run_id="orders@old", table="orders", kind="profile",
                                   as_of=old, status="success", started_at=old,
                                   finished_at=old, scheduled_at=old))
        store.dispose()
        # Act
        code = main(["--config", str(path), "status"])
        out = capsys.readouterr().out
        # Assert
        assert code == 1
        assert "orders" in out
        assert "OVERDUE by" in out
        assert "every 1s" in out
        assert "1 of 1 tables need attention" in out

    def test_json_and_exit_0_when_all_is_well(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = setup_config(tmp_path, schedule="every 1h")
        assert main(["--config", str(path), "run", "--table", "orders"]) == 0
        capsys.readouterr()
        code = main(["--config", str(path), "status", "--format", "json"])
        out = json.loads(capsys.readouterr().out)
        [table] = out["tables"]
        assert code == 0
        assert out["overdue"] == out["failing"] == []
        assert (table["table"], table["state"], table["last_status"]) == ("orders", "ok",
                                                                        "success")
        assert table["runs"] == 1

    def test_interrupted_runs_of_any_kind_are_listed(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = setup_config(tmp_path, schedule="every 1h")
        assert main(["--config", str(path), "run", "--table", "orders"]) == 0
        store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        store.record_run(RunRecord(run_id="orders@x#ingest", table="orders", kind="ingest",
                                   as_of=now, status="interrupted", started_at=now,
                                   finished_at=now, host="h:1", error="[gone] h:1"))
        store.dispose()
        capsys.readouterr()

        code = main(["--config", str(path), "status"])
        out = capsys.readouterr().out

        assert code == 0  # the table's own (profile) run is fine
        assert "interrupted: orders@x#ingest (ingest) started" in out
        assert "on h:1: [gone] h:1" in out

    def test_bad_window_is_a_usage_error(self, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        path = setup_config(tmp_path)
        code = main(["--config", str(path), "status", "--window", "soon"])
        assert code == 2
        assert "--window" in capsys.readouterr().err
