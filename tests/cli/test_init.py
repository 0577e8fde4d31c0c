"""``dq-monitor init``: entries from a warehouse or a dbt manifest, as a user runs it."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import shutil
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.cli import main
from monitor.config.models import load_config
from monitor.demo.sample import build_sample_warehouse
from tests.helpers.contexts import write_config
from tests.helpers.warehouses import WarehouseUnderTest

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "onboarding.md"
MANIFEST = ROOT / "tests" / "data" / "dbt" / "manifest.json"


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.fixture
def sample_config(tmp_path: Path) -> Path:
    build_sample_warehouse(tmp_path / "sample.db", days=14)
    path = tmp_path / "monitor.yaml"
    path.write_text(_blocks("yaml")[0])
    return path


def _run_all(config: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    code = main(["--config", str(config), "run", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1), out  # 1: the sample's injected incidents are found
    return {r["table"]: (r["status"], r["error"]) for r in out["results"]}


class TestInitDiscover:
    def test_without_write_only_the_diff_is_shown(
            self, sample_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        before = sample_config.read_text()

        code = main(["--config", str(sample_config), "init", "--discover", "sample"])

        out = capsys.readouterr().out
        assert code == 0
        assert sample_config.read_text() == before
        assert "already configured, skipped: orders (orders)" in out
        assert "+  - name: events" in out
        assert "not written: pass --write to add 2 entries" in out

    def test_written_entries_load_and_run(
            self, sample_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(sample_config), "init", "--discover", "sample",
                     "--write"])

        config = load_config(sample_config)
        assert code == 0
        assert "# written by hand" in sample_config.read_text()
        assert [t.name for t in config.tables] == ["orders", "customers", "events"]
        assert config.table("events").loaded_at_column == "loaded_at"
        assert _run_all(sample_config, capsys) == {
            t: ("success", None) for t in ("orders", "customers", "events")}

    def test_a_windows_file_keeps_its_line_ends(self, sample_config: Path) -> None:
        sample_config.write_bytes(sample_config.read_bytes().replace(b"\n", b"\r\n"))

        main(["--config", str(sample_config), "init", "--discover", "sample", "--write"])

        written = sample_config.read_bytes()
        assert written.count(b"\n") == written.count(b"\r\n")
        assert len(load_config(sample_config).tables) == 3

    def test_a_second_init_has_nothing_to_add(
            self, sample_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(sample_config), "init", "--discover", "sample", "--write"])
        capsys.readouterr()

        code = main(["--config", str(sample_config), "init", "--discover", "sample"])

        assert code == 0
        assert f"nothing to add to {sample_config}" in capsys.readouterr().out

    def test_json_output(self, sample_config: Path,
                         capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(sample_config), "init", "--discover", "sample",
              "--format", "json"])

        out = json.loads(capsys.readouterr().out)
        assert [n["entry"]["name"] for n in out["new"]] == ["customers", "events"]
        assert out["written"] is False
        assert out["skipped"] == ["orders (orders)"]

    def test_a_postgresql_schema(self, pg_warehouse: WarehouseUnderTest, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
        start = dt.datetime(2026, 11, 20)
        pg_warehouse.create_table(
            "payments", {"id": sa.Integer(), "amount": sa.Double(), "paid_at": sa.DateTime()},
            [{"id": i, "amount": i * 1.5, "paid_at": start + dt.timedelta(minutes=10 * i)}
             for i in range(1000)])
        config = write_config(tmp_path, warehouses={"pg": pg_warehouse.url}, tables=[])

        code = main(["--config", str(config), "init", "--discover", "pg",
                     "--schema", str(pg_warehouse.schema), "--write"])

        [table] = load_config(config).tables
        assert code == 0
        assert (table.schema, table.timestamp_column, table.bucket) == (
            pg_warehouse.schema, "paid_at", "day")
        assert _run_all(config, capsys) == {"payments": ("success", None)}

    def test_no_such_warehouse_exits_2_naming_it(
            self, sample_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(sample_config), "init", "--discover", "prod"])

        assert code == 2
        assert "--discover: no warehouse named 'prod'" in capsys.readouterr().err

    def test_no_such_schema_exits_2(self, pg_warehouse: WarehouseUnderTest, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
        config = write_config(tmp_path, warehouses={"pg": pg_warehouse.url}, tables=[])

        code = main(["--config", str(config), "init", "--discover", "pg", "--schema", "nope"])

        assert code == 2
        assert "schema 'nope' does not exist" in capsys.readouterr().err

    @pytest.mark.parametrize(("args", "message"), [
        ([], "pass either --discover WAREHOUSE or --from-dbt MANIFEST"),
        (["--discover", "sample", "--from-dbt", "m.json"], "pass either"),
        (["--from-dbt", "m.json", "--schema", "s"], "--schema goes with --discover"),
        (["--discover", "sample", "--warehouse", "w"], "--warehouse goes with --from-dbt"),
    ])
    def test_options_that_do_not_go_together_exit_2(
            self, sample_config: Path, args: list[str], message: str,
            capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["--config", str(sample_config), "init", *args]) == 2
        assert message in capsys.readouterr().err


class TestInitFromDbt:
    def test_models_and_sources_written_load_and_run(
            self, sample_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: the project's models, built into the sample warehouse
        with sqlite3.connect(sample_config.parent / "sample.db") as conn:
            conn.executescript(
                "create view dim_customers as select customer_id, full_name, email, "
                "signup_at from customers; create view fct_orders as select o.*, c.segment "
                "from orders o join customers c using (customer_id);")

        # Act
        code = main(["--config", str(sample_config), "init", "--from-dbt", str(MANIFEST),
                     "--write"])

        # Assert
        out = capsys.readouterr().out
        config = load_config(sample_config)
        assert code == 0
        assert "already configured, skipped: orders (main.orders)" in out
        assert "left out: model.shop.int_paid_orders (ephemeral: no table)" in out
        assert [t.name for t in config.tables] == ["orders", "dim_customers", "fct_orders",
                                                   "events"]
        assert config.table("dim_customers").pii_columns() == {"email", "full_name"}
        assert config.table("events").thresholds.freshness_sla == 86_400
        assert "  # Click stream of the shop's web site." in sample_config.read_text()
        assert set(_run_all(sample_config, capsys).values()) == {("success", None)}

    def test_a_project_built_into_postgresql(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path,
            capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: the manifest's relations in a schema of their own
        manifest = json.loads(MANIFEST.read_text())
        for node in [*manifest["nodes"].values(), *manifest["sources"].values()]:
            node["schema"] = pg_warehouse.schema
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(manifest))
        day = dt.datetime(2026, 11, 30, 1, 0)
        stamped = {"id": sa.Integer(), "loaded_at": sa.DateTime()}
        for table in ("orders", "events", "fct_orders"):
            pg_warehouse.create_table(table, stamped, [{"id": 1, "loaded_at": day}])
        pg_warehouse.create_table("dim_customers", {
            "customer_id": sa.Integer(), "email": sa.String(50), "full_name": sa.String(50),
            "signup_at": sa.DateTime()}, [{"customer_id": 1, "email": "a@example.com",
                                            "full_name": "A", "signup_at": day}])
        config = write_config(tmp_path, warehouses={"pg": pg_warehouse.url}, tables=[
            {"name": "orders", "warehouse": "pg", "table": "orders",
             "schema": pg_warehouse.schema}])

        # Act
        code = main(["--config", str(config), "init", "--from-dbt", str(path), "--write"])

        # Assert
        tables = {t.name: t for t in load_config(config).tables}
        assert code == 0
        assert sorted(tables) == ["dim_customers", "events", "fct_orders", "orders"]
        assert tables["events"].schema == pg_warehouse.schema
        assert tables["events"].timestamp_column == "loaded_at"
        assert set(_run_all(config, capsys).values()) == {("success", None)}

    def test_entries_that_would_not_load_are_not_written(
            self, sample_config: Path, tmp_path: Path,
            capsys: pytest.CaptureFixture[str]) -> None:
        manifest = json.loads(MANIFEST.read_text())
        manifest["nodes"]["model.shop.dim_customers"]["config"]["meta"]["dq-monitor"][
            "bucket"] = "minute"
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(manifest))
        before = sample_config.read_text()

        code = main(["--config", str(sample_config), "init", "--from-dbt", str(path),
                     "--write"])

        err = capsys.readouterr().err
        assert code == 2
        assert "with the new entries: 1 problem" in err
        assert "tables[1].bucket (table 'dim_customers')" in err
        assert sample_config.read_text() == before

    def test_with_two_warehouses_the_warehouse_must_be_named(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        config = write_config(tmp_path, warehouses={"a": "sqlite:///a.db",
                                                    "b": "sqlite:///b.db"}, tables=[])

        code = main(["--config", str(config), "init", "--from-dbt", str(MANIFEST)])

        assert code == 2
        assert "with --warehouse (configured: a, b)" in capsys.readouterr().err

    @pytest.mark.parametrize(("content", "message"), [
        (None, "dbt manifest not found"),
        ("{not json", "not a dbt manifest: invalid JSON at line 1"),
        (json.dumps({"metadata": {"dbt_schema_version":
                                  "https://schemas.getdbt.com/dbt/manifest/v4.json"}}),
         "metadata.dbt_schema_version: 'https://schemas.getdbt.com/dbt/manifest/v4.json' is "
         "not a supported manifest version"),
    ])
    def test_bad_manifests_exit_2_naming_the_file(
            self, sample_config: Path, tmp_path: Path, content: str | None, message: str,
            capsys: pytest.CaptureFixture[str]) -> None:
        path = tmp_path / "target" / "manifest.json"
        if content is not None:
            path.parent.mkdir()
            path.write_text(content)

        code = main(["--config", str(sample_config), "init", "--from-dbt", str(path)])

        assert code == 2
        assert f"{path}: {message}" in capsys.readouterr().err


class TestOnboardingDoc:
    def test_the_commands_of_docs_onboarding_run_as_shown(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: the doc's config and a dbt project's target folder
        (tmp_path / "monitor.yaml").write_text(_blocks("yaml")[0])
        (tmp_path / "target").mkdir()
        shutil.copy(MANIFEST, tmp_path / "target" / "manifest.json")
        monkeypatch.chdir(tmp_path)
        commands = [shlex.split(line[2:])[1:] for block in _blocks("console")
                    for line in block.splitlines() if line.startswith("$ dq-monitor ")]
        shown = _blocks("text")[0]

        # Act / Assert
        assert len(commands) == 5
        for argv in commands:
            code = main(argv)
            out = capsys.readouterr().out
            assert code in ((0, 1) if "run" in argv else (0,)), (argv, out)
            if argv[2:] == ["init", "--discover", "sample"]:
                for line in shown.splitlines():  # "..." stands for any text
                    pattern = ".*".join(re.escape(part) for part in line.split("..."))
                    assert any(re.fullmatch(pattern, o) for o in out.splitlines()), line
