"""The profile, run and history commands, as a user calls them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.cli import main
from tests.helpers.contexts import write_config
from tests.helpers.postgres import base_url
from tests.helpers.warehouses import WarehouseUnderTest

ROWS = [{"id": i, "amount": None if i % 4 == 0 else i * 2.5, "note": f"n{i % 3}",
         "created": dt.datetime(2026, 5, 1) + dt.timedelta(hours=7 * i)} for i in range(20)]


@pytest.fixture
def config(warehouse: WarehouseUnderTest, tmp_path: Path) -> Path:
    warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                      "note": sa.String(10), "created": sa.DateTime()}, ROWS)
    return write_config(tmp_path, warehouses={"wh": warehouse.url}, tables=[
        {"name": "orders", "warehouse": "wh", "table": "orders", "schema": warehouse.schema,
         "timestamp_column": "created", "bucket": "day", "distinct": "exact"}])


class TestProfileCommand:
    def test_json_is_the_documented_shape_and_matches_pandas(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(config), "profile", "orders", "--format", "json"])

        out = json.loads(capsys.readouterr().out)
        frame = pd.DataFrame(ROWS)
        assert code == 0
        assert {"table", "as_of", "row_count", "columns", "freshness_seconds"} <= set(out)
        assert out["table"] == "orders"
        dt.datetime.fromisoformat(out["as_of"])
        amount = out["columns"]["amount"]
        assert out["row_count"] == len(frame)
        assert amount["null_count"] == int(frame["amount"].isna().sum())
        assert amount["null_rate"] == pytest.approx(frame["amount"].isna().mean())
        assert amount["distinct_count"] == frame["amount"].nunique()
        assert amount["mean"] == pytest.approx(frame["amount"].mean())
        assert amount["stddev"] == pytest.approx(frame["amount"].std())
        assert (amount["min"], amount["max"]) == (frame["amount"].min(), frame["amount"].max())
        assert out["columns"]["note"]["min_length"] == 2
        assert out["columns"]["created"]["max"].startswith("2026-05-06T13:00:00")

    def test_exact_distinct_counts_print_no_estimate_footer(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(config), "profile", "orders", "--distinct", "exact"])

        out = capsys.readouterr().out
        assert code == 0
        assert "profiled in" in out
        assert "~ marks estimated" not in out
        assert "~" not in out

    def test_as_of_counts_rows_without_a_timestamp_as_run_does(
            self, warehouse: WarehouseUnderTest, tmp_path: Path,
            capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: 20 stamped rows and 5 without a timestamp
        rows = ROWS + [{"id": 100 + i, "amount": 1.0, "note": "x", "created": None}
                       for i in range(5)]
        warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                          "note": sa.String(10), "created": sa.DateTime()},
                               rows)
        config = write_config(tmp_path, warehouses={"wh": warehouse.url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders",
             "schema": warehouse.schema, "timestamp_column": "created", "bucket": "day"}])
        as_of = "2026-05-04T00:00:00"
        frame = pd.DataFrame(rows)
        expected = int((frame["created"].isna() | (frame["created"] < as_of)).sum())

        # Act
        main(["--config", str(config), "profile", "orders", "--as-of", as_of,
              "--format", "json"])
        profiled = json.loads(capsys.readouterr().out)["row_count"]
        main(["--config", str(config), "run", "--table", "orders", "--as-of", as_of,
              "--format", "json"])
        [ran] = json.loads(capsys.readouterr().out)["results"]

        # Assert
        assert (profiled, ran["row_count"]) == (expected, expected)

    def test_table_output_is_readable(self, config: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(config), "profile", "orders"])

        out = capsys.readouterr().out
        assert code == 0
        assert "orders (wh:" in out
        assert "20 rows" in out
        assert "25.0%" in out  # amount null rate

    def test_unknown_table_is_exit_2_with_the_known_names(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(config), "profile", "nope"])

        err = capsys.readouterr().err
        assert code == 2
        assert "no table named 'nope' (configured: orders)" in err
        assert "Traceback" not in err


class TestRunCommand:
    def test_stores_and_history_reads_back(self, config: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
        run_code = main(["--config", str(config), "run", "--as-of", "2026-05-08T00:00:00Z",
                         "--format", "json"])
        run_out = json.loads(capsys.readouterr().out)
        history_code = main(["--config", str(config), "history", "orders", "--metric",
                             "row_count", "--granularity", "day", "--format", "json"])
        history = json.loads(capsys.readouterr().out)

        assert (run_code, history_code) == (0, 0)
        assert run_out["failed"] == 0
        frame = pd.DataFrame(ROWS)
        per_day = frame.groupby(frame["created"].dt.floor("D")).size().reindex(
            pd.date_range("2026-05-01", "2026-05-07", freq="D"), fill_value=0)
        assert [p["value"] for p in history] == list(per_day)  # May 7 had no rows: 0

    def test_exit_2_when_a_warehouse_is_down_and_secrets_stay_hidden(
            self, tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("WH_PASSWORD", "pw-that-must-not-leak")
        url = sa.engine.make_url(base_url()).set(port=1, username="etl").render_as_string(
            hide_password=False).replace("etl@", "etl:${WH_PASSWORD}@")
        path = write_config(tmp_path, warehouses={"down": {"url": url, "connect_timeout": 1}},
                            tables=[{"name": "t", "warehouse": "down", "table": "t"}],
                            profiling={"max_retries": 0})

        code = main(["--config", str(path), "--log-format", "json", "run"])

        captured = capsys.readouterr()
        assert code == 2  # infrastructure: nothing could be judged
        assert "cannot connect" in captured.out
        assert "pw-that-must-not-leak" not in captured.out + captured.err

    def test_a_future_as_of_is_exit_2_and_stores_nothing(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=400)).date().isoformat()

        run_code = main(["--config", str(config), "run", "--as-of", future])
        run_err = capsys.readouterr().err
        profile_code = main(["--config", str(config), "profile", "orders", "--as-of", future])
        profile_err = capsys.readouterr().err
        runs_code = main(["--config", str(config), "history", "orders", "--format", "json"])
        history = json.loads(capsys.readouterr().out)

        assert (run_code, profile_code, runs_code) == (2, 2, 0)
        assert f"run of 'orders': as-of time {future} 00:00 UTC is in the future" in run_err
        assert "profile of 'orders': as-of time" in profile_err
        assert history == []

    def test_exit_1_while_a_critical_finding_fails(
            self, warehouse: WarehouseUnderTest, tmp_path: Path,
            capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: 20 rows where at least 100 are required (a critical rule)
        warehouse.create_table("orders", {"id": sa.Integer(), "created": sa.DateTime()},
                               [{"id": r["id"], "created": r["created"]} for r in ROWS])
        path = write_config(tmp_path, warehouses={"wh": warehouse.url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders",
             "schema": warehouse.schema, "thresholds": {"min_row_count": 100}}])

        # Act
        code = main(["--config", str(path), "run", "--format", "json"])
        out = json.loads(capsys.readouterr().out)
        lenient = main(["--config", str(path), "run", "--fail-on", "never"])

        # Assert
        assert (code, out["exit_code"], out["failing_findings"], out["failed"]) == (1, 1, 1, 0)
        assert out["results"][0]["findings"][0]["check"] == "rule:min_row_count"
        assert lenient == 0

    def test_run_without_tables_is_a_usage_error(self, tmp_path: Path) -> None:
        path = write_config(tmp_path, warehouses={}, tables=[])

        assert main(["--config", str(path), "run"]) == 2


class TestHistoryCommand:
    def test_empty_history_says_how_to_fill_it(self, config: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(config), "history", "orders"])

        assert code == 0
        assert "dq-monitor run --table orders" in capsys.readouterr().out

    def test_table_output(self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(config), "run", "--as-of", "2026-05-08"])
        capsys.readouterr()

        code = main(["--config", str(config), "history", "orders", "--column", "amount",
                     "--metric", "null_rate"])

        out = capsys.readouterr().out
        assert code == 0
        assert "history of orders" in out
        assert "null_rate" in out

    def test_an_unknown_metric_is_exit_2_and_lists_the_stored_ones(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(config), "run", "--as-of", "2026-05-08"])
        capsys.readouterr()

        code = main(["--config", str(config), "history", "orders", "--metric", "nosuchmetric"])

        err = capsys.readouterr().err
        assert code == 2
        assert "table 'orders' has no stored metric 'nosuchmetric' (stored: " in err
        stored = err.split("(stored: ", 1)[1].split(")", 1)[0].split(", ")
        assert {"row_count", "null_rate", "mean"} <= set(stored)
        assert "Traceback" not in err

    def test_an_unknown_column_is_exit_2_and_lists_the_columns(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(config), "run", "--as-of", "2026-05-08"])
        capsys.readouterr()

        code = main(["--config", str(config), "history", "orders", "--column", "amont"])

        err = capsys.readouterr().err
        assert code == 2
        assert "no stored metrics for column 'amont' (columns: amount, created, id, note)" in err

    def test_a_metric_the_column_lacks_names_the_column_s_metrics(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(config), "run", "--as-of", "2026-05-08"])
        capsys.readouterr()

        code = main(["--config", str(config), "history", "orders", "--column", "note",
                     "--metric", "mean"])

        assert code == 2
        assert "column 'note' of 'orders' has no stored metric 'mean'" in capsys.readouterr().err

    def test_a_cut_history_says_so_and_how_to_see_more(
            self, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(config), "run", "--as-of", "2026-05-08"])
        capsys.readouterr()
        with sa.create_engine(f"sqlite:///{tmp_path / 'metrics.db'}").connect() as conn:
            stored = conn.execute(sa.text(
                "SELECT count(*) FROM dq_metrics WHERE table_name = 'orders'")).scalar()

        code = main(["--config", str(config), "history", "orders", "--limit", "3",
                     "--format", "json"])

        captured = capsys.readouterr()
        assert code == 0
        assert len(json.loads(captured.out)) == 3
        assert (f"showing the newest 3 of {stored:,} points of 'orders'; use --limit {stored} "
                f"for all of them, or --since TIME for a window") in captured.err

    def test_a_whole_history_has_no_note(self, config: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
        main(["--config", str(config), "run", "--as-of", "2026-05-08"])
        capsys.readouterr()

        code = main(["--config", str(config), "history", "orders", "--metric", "row_count"])

        assert code == 0
        assert "showing the newest" not in capsys.readouterr().err


class TestRelativeTimes:
    def test_since_relative_to_now_picks_the_recent_runs(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        for as_of in ("10d", "yesterday", "1h"):
            assert main(["--config", str(config), "run", "--as-of", as_of]) == 0
        capsys.readouterr()
        now = dt.datetime.now(dt.UTC)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

        code = main(["--config", str(config), "history", "orders", "--metric", "row_count",
                     "--granularity", "snapshot", "--since", "3d", "--format", "json"])

        out = json.loads(capsys.readouterr().out)
        shown = sorted(dt.datetime.fromisoformat(p["ts"]) for p in out)
        assert code == 0
        assert len(shown) == 2  # yesterday 00:00 and an hour ago, not 10 days ago
        assert shown[0] == midnight - dt.timedelta(days=1)
        assert abs((now - dt.timedelta(hours=1) - shown[1]).total_seconds()) < 120
