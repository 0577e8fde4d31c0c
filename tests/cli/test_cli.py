"""The dq-monitor entry point: exit codes and errors people can act on."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import __version__
from monitor.cli import main


class TestMain:
    def test_broken_config_is_exit_2_naming_file_and_key(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text("warehouses: {w: 'sqlite://'}\ntables:\n  - name: t\n    warehouse: w\n"
                        "    table: t\n    buckett: day\n")

        code = main(["--config", str(path), "run"])

        err = capsys.readouterr().err
        assert code == 2
        assert f"{path}: 1 problem" in err
        assert "tables[0].buckett (table 't'): unknown key" in err
        assert "Traceback" not in err

    def test_missing_config_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(tmp_path / "none.yaml"), "run"])

        assert code == 2
        assert "config file not found" in capsys.readouterr().err

    def test_unknown_command_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["frobnicate"]) == 2
        assert "No such command" in capsys.readouterr().err

    def test_version(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["--version"]) == 0
        assert __version__ in capsys.readouterr().out

    def test_python_dash_m_monitor_is_the_same_command(self) -> None:
        done = subprocess.run([sys.executable, "-m", "monitor", "--help"], capture_output=True,
                              text=True, timeout=60, check=False)

        assert done.returncode == 0
        assert "profile" in done.stdout
        assert "history" in done.stdout


# -- start-up: what a command imports, and a missing optional package ------------------------
#: Packages that ``--help`` must not import (each costs 0.1-2 s or tens of MB).
HEAVY = ("pandas", "numpy", "scipy", "sqlalchemy", "pydantic", "great_expectations",
         "streamlit", "altair", "duckdb", "duckdb_engine", "pyarrow", "apscheduler")
#: Packages that ``profile`` of a SQLite table does not need.
NOT_FOR_PROFILE = ("pandas", "scipy", "great_expectations", "streamlit", "altair", "duckdb",
                   "duckdb_engine", "pyarrow", "apscheduler", "slack_sdk")

#: The commands ``dq-monitor --help`` listed before commands were registered lazily.
ALL_COMMANDS = ["alerts", "anomalies", "backfill", "backtest", "batches", "dashboard", "demo",
                "feedback", "gate", "history", "incidents", "ingest", "init", "mute", "mutes",
                "profile", "quarantine", "reconcile", "run", "sample", "sample-batches", "serve",
                "status", "suites", "unmute", "validate"]

_RUN = """
import io, json, sys
from contextlib import redirect_stdout
for name in json.loads(sys.argv[1]):
    sys.modules[name] = None  # as if the package were not installed
from monitor.cli import main
out = io.StringIO()
with redirect_stdout(out):
    code = main(sys.argv[3:])
loaded = sorted({m.split(".")[0] for m in sys.modules if sys.modules[m] is not None})
json.dump({"code": code, "out": out.getvalue(), "loaded": loaded}, open(sys.argv[2], "w"))
"""


def run_cli(tmp_path: Path, *args: str, absent: tuple[str, ...] = ()) -> dict:
    """``main(args)`` in a fresh interpreter: exit code, stdout, stderr, top-level modules."""
    result = tmp_path / "result.json"
    done = subprocess.run([sys.executable, "-c", _RUN, json.dumps(list(absent)), str(result),
                           *args], capture_output=True, text=True, timeout=120, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert result.exists(), done.stderr
    return {**json.loads(result.read_text()), "err": done.stderr}


@pytest.fixture
def sqlite_config(tmp_path: Path) -> Path:
    """A config with one small SQLite table ``t``, one DuckDB warehouse unused by ``t``."""
    with sqlite3.connect(tmp_path / "w.db") as conn:
        conn.execute("CREATE TABLE t (id INTEGER, created_at TIMESTAMP)")
        conn.executemany("INSERT INTO t VALUES (?, ?)",
                         [(i, f"2026-01-0{1 + i % 9} 00:00:00") for i in range(100)])
    path = tmp_path / "monitor.yaml"
    path.write_text(f"store: sqlite:///{tmp_path}/metrics.db\n"
                    f"warehouses:\n  w: sqlite:///{tmp_path}/w.db\n"
                    f"expectations_dir: {Path(__file__).resolve().parents[2] / 'expectations'}\n"
                    "tables:\n  - name: t\n    warehouse: w\n    table: t\n"
                    "    timestamp_column: created_at\n")
    return path


class TestStartup:
    def test_help_imports_no_command_module_and_lists_every_command(
            self, tmp_path: Path) -> None:
        done = run_cli(tmp_path, "--help")

        assert done["code"] == 0
        assert [p for p in HEAVY if p in done["loaded"]] == []
        listed = re.findall(r"^  ([a-z-]+)  ", done["out"].split("Commands:")[1], re.M)
        assert listed == ALL_COMMANDS

    def test_profile_of_a_sqlite_table_imports_no_pandas_scipy_or_gx(
            self, tmp_path: Path, sqlite_config: Path) -> None:
        done = run_cli(tmp_path, "--config", str(sqlite_config), "profile", "t",
                       "--format", "json")

        assert done["code"] == 0, done["err"]
        assert json.loads(done["out"])["row_count"] == 100
        assert [p for p in NOT_FOR_PROFILE if p in done["loaded"]] == []


class TestMissingExtra:
    """A command that needs a package of an extra that is not installed: exit 2, the extra."""

    def test_gx(self, tmp_path: Path, sqlite_config: Path) -> None:
        done = run_cli(tmp_path, "--config", str(sqlite_config), "suites", "check",
                       "--no-columns", absent=("great_expectations",))

        assert done["code"] == 2
        assert "pip install 'dq-monitor[gx]'" in done["err"]
        assert "Traceback" not in done["err"]

    def test_dashboard(self, tmp_path: Path, sqlite_config: Path) -> None:
        done = run_cli(tmp_path, "--config", str(sqlite_config), "dashboard",
                       absent=("streamlit",))

        assert done["code"] == 2
        assert "the dashboard needs streamlit" in done["err"]
        assert "pip install 'dq-monitor[dashboard]'" in done["err"]

    @pytest.mark.parametrize("module", ["duckdb", "duckdb_engine"])
    def test_duckdb_warehouse_is_a_config_problem_naming_the_key(
            self, tmp_path: Path, sqlite_config: Path, module: str) -> None:
        text = sqlite_config.read_text().replace(
            "warehouses:\n", f"warehouses:\n  dw: duckdb:///{tmp_path}/dw.duckdb\n")
        sqlite_config.write_text(text)

        done = run_cli(tmp_path, "--config", str(sqlite_config), "profile", "t",
                       absent=(module,))

        assert done["code"] == 2
        assert "warehouses.dw: a duckdb URL needs" in done["err"]
        assert "pip install 'dq-monitor[duckdb]'" in done["err"]

    def test_a_missing_core_package_is_still_a_bug(self, tmp_path: Path,
                                                   sqlite_config: Path) -> None:
        series = tmp_path / "rows.csv"
        series.write_text("timestamp,value\n2026-01-01,10\n2026-01-02,11\n")

        done = run_cli(tmp_path, "--config", str(sqlite_config), "backtest", "--input",
                       str(series), "--metric", "volume", absent=("pandas",))

        assert done["code"] == 3
        assert "dq-monitor[" not in done["err"]
