"""backfill, backtest, anomalies and feedback as a user calls them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from monitor.cli import main
from tests.helpers.contexts import write_config

DAY0 = dt.datetime(2026, 1, 5)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'wh.db'}"
    engine = sa.create_engine(url)
    table = sa.Table("orders", sa.MetaData(), sa.Column("id", sa.Integer),
                     sa.Column("created", sa.DateTime))
    rows, rid = [], 0
    for d in range(45):
        n = 0 if d == 40 else (24 if (DAY0 + dt.timedelta(days=d)).weekday() < 5 else 12)
        for i in range(n):
            rid += 1
            rows.append({"id": rid, "created": DAY0 + dt.timedelta(days=d, hours=i % 24)})
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), rows)
    return write_config(tmp_path, warehouses={"wh": url}, tables=[
        {"name": "orders", "warehouse": "wh", "table": "orders", "timestamp_column": "created",
         "bucket": "day"}])


def call(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


class TestBackfillCommand:
    def test_since_today_names_yesterday_as_the_last_complete_day(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        today = dt.datetime.now(dt.UTC).date()

        code = main(["--config", str(config), "backfill", "orders", "--since", str(today)])

        err = capsys.readouterr().err
        assert code == 2
        assert f"the last complete day starts {today - dt.timedelta(days=1)} 00:00" in err
        assert f"the day from {today} 00:00 is still filling" in err

    def test_until_is_exclusive_in_the_message(
            self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["--config", str(config), "backfill", "orders", "--since", "2026-01-20",
                     "--until", "2026-01-20"])

        err = " ".join(capsys.readouterr().err.split())
        assert code == 2
        assert "the last complete day starts 2026-01-19 00:00" in err
        assert "--until 2026-01-20 00:00 is exclusive" in err


class TestBacktestCommand:
    def test_csv_walk_forward_json(self, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
        days = np.arange("2026-01-01", "2026-03-01", dtype="datetime64[D]")
        values = np.round(1000 + 20 * np.sin(np.arange(days.size)))
        values[-1] = 0
        csv = tmp_path / "rows.csv"
        csv.write_text("timestamp,value\n" + "\n".join(
            f"{d},{v}" for d, v in zip(days, values, strict=True)))

        code, out = call(["backtest", "--input", str(csv), "--metric", "volume", "--format",
                          "json"], capsys)

        records = json.loads(out)
        assert code == 0
        assert len(records) == days.size
        assert set(records[0]) >= {"timestamp", "value", "expected", "lower", "upper", "score",
                                   "is_anomaly"}
        assert records[-1]["is_anomaly"] is True
        assert records[0]["is_anomaly"] is False

    def test_malformed_csv_is_exit_2_with_the_line(self, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
        csv = tmp_path / "bad.csv"
        csv.write_text("timestamp,value\n2026-01-01,5\nnot-a-time,7\n")

        code = main(["backtest", "--input", str(csv), "--metric", "level"])

        assert code == 2
        assert "bad.csv, line 3" in capsys.readouterr().err

    def test_table_history_and_sensitivity_report(self, config: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
        call(["--config", str(config), "run", "--as-of", "2026-02-19"], capsys)

        code, out = call(["--config", str(config), "backtest", "orders", "--format", "json"],
                         capsys)

        report = json.loads(out)
        assert code == 0
        flagged = [r for r in report["records"] if r["is_anomaly"]]
        assert [(r["metric"], r["timestamp"][:10]) for r in flagged] == [
            ("row_count", "2026-02-14")]
        volume = next(s for s in report["alerts_by_sensitivity"] if s["metric"] == "row_count")
        assert volume["low"] <= volume["medium"] <= volume["high"]

    def test_a_table_that_was_only_backfilled(self, config: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
        assert call(["--config", str(config), "backfill", "orders", "--since", "2026-01-05",
                     "--until", "2026-02-19"], capsys)[0] == 0

        code, out = call(["--config", str(config), "backtest", "orders", "--format", "json"],
                         capsys)

        report = json.loads(out)
        assert code == 0
        flagged = [r for r in report["records"] if r["is_anomaly"]]
        assert [(r["metric"], r["timestamp"][:10]) for r in flagged] == [
            ("row_count", "2026-02-14")]
        assert {s["metric"] for s in report["alerts_by_sensitivity"]} >= {"row_count",
                                                                         "null_rate"}

    def test_usage_errors(self, config: Path) -> None:
        assert main(["--config", str(config), "backtest"]) == 2
        assert main(["--config", str(config), "backtest", "orders"]) == 2  # no history yet


class TestAnomaliesAndFeedback:
    def test_list_label_and_list_again(self, config: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        call(["--config", str(config), "backfill", "orders", "--since", "2026-01-05",
              "--until", "2026-02-19"], capsys)

        _, listed = call(["--config", str(config), "anomalies", "orders", "--format", "json"],
                         capsys)
        code, said = call(["--config", str(config), "feedback", "orders", "row_count", "--at",
                           "2026-02-14", "--label", "incident", "--note", "upstream outage"],
                          capsys)
        _, again = call(["--config", str(config), "anomalies", "--format", "json"], capsys)

        assert [(a["metric"], a["ts"][:10], a["status"]) for a in json.loads(listed)] == [
            ("row_count", "2026-02-14", "open")]
        assert code == 0
        assert "labelled incident" in said
        assert json.loads(again)[0]["status"] == "incident"

    def test_table_output_and_empty_store(self, config: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        _, empty = call(["--config", str(config), "anomalies"], capsys)
        call(["--config", str(config), "backfill", "orders", "--since", "2026-01-05",
              "--until", "2026-02-19"], capsys)
        _, table = call(["--config", str(config), "anomalies", "--all", "--limit", "5"], capsys)

        assert "no anomalies stored" in empty
        assert "detections" in table

    def test_values_show_in_their_metric_unit(self, config: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
        call(["--config", str(config), "backfill", "orders", "--since", "2026-01-05",
              "--until", "2026-02-19"], capsys)
        _, listed = call(["--config", str(config), "anomalies", "--all", "--limit", "100000",
                          "--format", "json"], capsys)
        rates = [d for d in json.loads(listed)
                 if d["metric"] == "null_rate" and d["lower"] is not None]

        _, table = call(["--config", str(config), "anomalies", "--all", "--limit", "100000"],
                        capsys)

        assert rates
        low, high = rates[0]["lower"] * 100, rates[0]["upper"] * 100
        assert f"{low:.1f}% .. {high:.1f}%" in table  # a rate's band as percentages
