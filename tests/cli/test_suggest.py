"""``dq-monitor suites suggest``: a draft from a real run's stored profile, which
``suites check`` accepts and the same data passes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from monitor.cli import main
from tests.helpers.contexts import write_config
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 2, 1)


@pytest.fixture
def config(warehouse: WarehouseUnderTest, tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    rows = [{"id": i, "amount": round(float(rng.lognormal(3, 0.4)), 2),
             "status": ["paid", "open", "paid"][i % 3],
             "created": DAY0 + dt.timedelta(hours=2 * i)} for i in range(1, 241)]
    warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                      "status": sa.String(10), "created": sa.DateTime()}, rows)
    (tmp_path / "expectations").mkdir()
    return write_config(tmp_path, warehouses={"wh": warehouse.url}, tables=[
        {"name": "orders", "warehouse": "wh", "table": "orders", "schema": warehouse.schema,
         "timestamp_column": "created", "bucket": "day",
         "distribution_columns": ["amount", "status", "id"], "distinct": "exact"},
        {"name": "fresh", "warehouse": "wh", "table": "orders", "schema": warehouse.schema}],
        expectations_dir="expectations")


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


class TestSuggestCommand:
    def test_written_suite_passes_check_and_the_data_passes_it(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert cli(config, "run", "--table", "orders", "--as-of", "2026-02-21T00:00:00Z") == 0
        capsys.readouterr()

        code = cli(config, "suites", "suggest", "orders", "--name", "drafted", "--write")

        out = capsys.readouterr().out
        path = config.parent / "expectations" / "drafted.json"
        suite = json.loads(path.read_text())
        types = {(e["type"], e["kwargs"]["column"]) for e in suite["expectations"]}
        assert code == 0
        assert "wrote" in out
        assert "suites: [drafted]" in out
        assert {("expect_column_values_to_not_be_null", "amount"),
                ("expect_column_values_to_be_between", "amount"),
                ("expect_column_values_to_be_in_set", "status"),
                ("expect_column_values_to_be_unique", "id")} <= types
        assert all(e["meta"]["evidence"] for e in suite["expectations"])
        assert cli(config, "suites", "check", "drafted", "--no-gx") == 0
        assert cli(config, "validate", "orders", "--suite", "drafted", "--no-store") == 0

    def test_printed_with_a_diff_against_the_existing_suite(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        cli(config, "run", "--table", "orders", "--as-of", "2026-02-21T00:00:00Z")
        (config.parent / "expectations" / "orders.json").write_text(
            json.dumps({"name": "orders", "expectations": []}, indent=2) + "\n")
        capsys.readouterr()

        code = cli(config, "suites", "suggest", "orders")

        captured = capsys.readouterr()
        assert code == 0
        assert json.loads(captured.out)["name"] == "orders"
        assert "# diff against" in captured.err
        assert "+++ suggested" in captured.err

    def test_no_stored_profile_says_what_to_run_first(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = cli(config, "suites", "suggest", "fresh")

        assert code == 2
        assert "dq-monitor run fresh" in capsys.readouterr().err

    def test_an_existing_file_is_kept_without_force(self, config: Path) -> None:
        cli(config, "run", "--table", "orders", "--as-of", "2026-02-21T00:00:00Z")
        assert cli(config, "suites", "suggest", "orders", "--write") == 0

        assert cli(config, "suites", "suggest", "orders", "--write") == 2
        assert cli(config, "suites", "suggest", "orders", "--write", "--force") == 0
