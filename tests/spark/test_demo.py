"""The demo's tables on Spark: profiled, validated (pushed-down suites), judged and gated
with the demo's own config, whose only change is the warehouse."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import yaml

from monitor.cli import main
from monitor.demo.run import DEMO_CONFIG, bundled_suites
from monitor.demo.sample import build_sample_warehouse
from tests.helpers.spark import SETTINGS

TABLES = {"orders": ("created_at", "loaded_at"), "events": ("occurred_at", "loaded_at"),
          "customers": ("signup_at",)}
END = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo's folder: its config (warehouse: the tests' Spark session), suites, and
    the sample tables copied into Spark's ``default`` database."""
    from tests.helpers.spark import shared_session

    spark = shared_session()
    folder = tmp_path_factory.mktemp("spark-demo")
    manifest = build_sample_warehouse(folder / "sample.db", end=END)
    with sqlite3.connect(manifest.path) as conn:
        for table, times in TABLES.items():
            frame = pd.read_sql(f"SELECT * FROM {table}", conn)
            for column in times:
                frame[column] = pd.to_datetime(frame[column], format="ISO8601")
            spark.createDataFrame(pa.Table.from_pandas(frame, preserve_index=False)) \
                .write.mode("overwrite").saveAsTable(f"default.{table}")
    config = yaml.safe_load(DEMO_CONFIG)
    config["warehouses"] = {"sample": {"spark": SETTINGS}}
    (folder / "monitor.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (folder / "expectations").mkdir()
    for suite in bundled_suites().glob("*.json"):
        (folder / "expectations" / suite.name).write_text(suite.read_text())
    yield folder
    for table in TABLES:
        spark.sql(f"DROP TABLE IF EXISTS default.{table}")


def dq(demo: Path, *args: str) -> int:
    return main(["--config", str(demo / "monitor.yaml"), *args])


def rows_of(table: str, demo: Path) -> pd.DataFrame:
    with sqlite3.connect(demo / "sample.db") as conn:
        return pd.read_sql(f"SELECT * FROM {table}", conn)


class TestDemoOnSpark:
    def test_config_differs_from_the_demo_only_in_the_warehouse(self, demo: Path) -> None:
        ours = yaml.safe_load((demo / "monitor.yaml").read_text())
        theirs = yaml.safe_load(DEMO_CONFIG)

        assert {k: v for k, v in ours.items() if k != "warehouses"} == {
            k: v for k, v in theirs.items() if k != "warehouses"}

    @pytest.mark.parametrize("table", list(TABLES))
    def test_profile_matches_pandas(self, demo: Path, table: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
        frame = rows_of(table, demo)

        code = dq(demo, "profile", table, "--format", "json")

        out = json.loads(capsys.readouterr().out)
        assert code == 0
        assert out["row_count"] == len(frame)
        for name, column in out["columns"].items():
            assert column["null_count"] == int(frame[name].isna().sum()), name
            if "mean" in column and column["mean"] is not None:
                assert column["mean"] == pytest.approx(frame[name].mean()), name

    def test_validate_pushes_every_expectation_down(self, demo: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
        code = dq(demo, "validate", "orders", "--format", "json")

        out = capsys.readouterr().out
        assert code in (0, 1), out
        results = json.loads(out)["results"]
        assert len(results) == 11
        assert {(r["engine"], r["error"]) for r in results} <= {("sql", None), ("schema", None)}

    def test_run_judges_and_gate_decides(self, demo: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        as_of = "2026-04-01T06:00:00Z"

        codes = [dq(demo, "backfill", "events", "--since", "2026-01-01T00:00:00Z",
                    "--until", "2026-04-01T00:00:00Z"),
                 dq(demo, "run", "--table", "events", "--as-of", as_of, "--format", "json"),
                 dq(demo, "gate", "--table", "orders", "--format", "json")]

        out = capsys.readouterr()
        assert all(code in (0, 1) for code in codes), (codes, out.out[-3000:], out.err[-3000:])
        assert dq(demo, "history", "events", "--metric", "row_count", "--format", "json") == 0
        history = json.loads(capsys.readouterr().out)
        assert len(history) >= 90


