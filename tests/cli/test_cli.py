"""The dq-monitor entry point: exit codes and errors people can act on."""

from __future__ import annotations

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
