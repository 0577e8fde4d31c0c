"""AppTest: the runs page (the monitor's own health)."""
# ruff: noqa: F811  (pytest fixtures imported from tests.helpers.dashboard)

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitor import formatting
from tests.helpers.dashboard import (  # noqa: F401  (fixtures are used by name)
    SeededStore,
    app_on,
    charts,
    frame_with,
    no_errors,
    open_page,
    seeded,
)


@pytest.fixture
def page(seeded: SeededStore, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_page(app_on(seeded.config_path, monkeypatch).run(), "runs")


def seeded_runs(seeded: SeededStore, days: int) -> pd.DataFrame:
    runs = seeded.rows("dq_runs")
    since = seeded.scenario.now.replace(hour=0, minute=0, second=0) - dt.timedelta(days=days)
    return runs[runs["started_at"] >= since]


class TestRunsPage:
    def test_headline_figures(self, page: AppTest, seeded: SeededStore):
        runs = seeded_runs(seeded, 7)
        lag = (runs["started_at"] - runs["scheduled_at"]).dt.total_seconds()

        shown = {m.label: m.value for m in page.metric}

        no_errors(page)
        assert int(shown["Runs"]) == len(runs)
        assert int(shown["Failed"]) == int((runs["status"] == "failed").sum()) == 1
        assert int(shown["Retries"]) == int(runs["retries"].sum()) == 2
        assert shown["p95 scheduler lag"] == formatting.duration(lag.quantile(0.95))

    def test_per_table_summary(self, page: AppTest, seeded: SeededStore):
        runs = seeded_runs(seeded, 7)
        expected = runs.groupby("table_name").agg(
            runs=("run_id", "count"), retries=("retries", "sum"),
            max_duration_s=("duration_seconds", "max"))

        table = frame_with(page, "runs", "failed", "max_lag").set_index("table_name")

        assert table.index[0] == "inventory"  # the one with a failure comes first
        assert table["runs"].to_dict() == {k: str(v) for k, v in expected["runs"].items()}
        assert table["retries"].to_dict() == {k: str(v) for k, v in expected["retries"].items()}
        assert table["max_duration"].to_dict() == {
            k: formatting.duration(v) for k, v in expected["max_duration_s"].items()}

    def test_duration_and_lag_charts(self, page: AppTest, seeded: SeededStore):
        shown = charts(page)

        assert len(shown["Run durations"]["datasets"][0]) == len(seeded_runs(seeded, 7))
        lag = shown["Scheduler lag"]["datasets"][0]["lag_seconds"]
        assert set(lag) <= {30.0, 45.0, 60.0, 75.0, 90.0}

    def test_failed_runs_with_their_error(self, page: AppTest):
        failed = frame_with(page, "error_kind", "error", "kind")

        assert failed["table_name"].tolist() == ["inventory"]
        assert failed["error"].iloc[0] == "warehouse unreachable: connection refused"

    def test_filter_by_table_and_period(self, page: AppTest, seeded: SeededStore):
        page.multiselect(key="run_tables").select("sessions").run()
        page.selectbox(key="days").select(30).run()

        runs = seeded_runs(seeded, 30)
        assert int({m.label: m.value for m in page.metric}["Runs"]) == int(
            (runs["table_name"] == "sessions").sum())
        assert frame_with(page, "runs", "failed")["table_name"].tolist() == ["sessions"]
