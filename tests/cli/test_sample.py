"""The sample command writes the bundled warehouse where the config says."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.cli import main
from tests.helpers.contexts import write_config


class TestSampleCommand:
    def test_creates_the_sample_tables(self, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        path = write_config(tmp_path, warehouses={"sample": "sqlite:///data/sample.db"},
                            tables=[])

        code = main(["--config", str(path), "sample", "--days", "7", "--clean"])

        with sqlite3.connect(tmp_path / "data" / "sample.db") as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                                 "WHERE type='table'")}
        assert code == 0
        assert tables == {"customers", "orders", "events"}
        assert "sample warehouse" in capsys.readouterr().out

    @pytest.mark.parametrize("url", ["duckdb:///x.duckdb", "sqlite:///:memory:",
                                     "postgresql://u@127.0.0.1:1/db"])
    def test_refuses_a_warehouse_that_is_no_sqlite_file(
            self, tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        path = write_config(tmp_path, warehouses={"sample": url}, tables=[])

        code = main(["--config", str(path), "sample"])

        assert code == 2
        assert "warehouses.sample must be a SQLite file" in capsys.readouterr().err
