"""AppTest: every page on an empty, a one-run, a missing and an unreachable store, and
with a broken config: a clear message each time, never a traceback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from monitor.dashboard import cached
from monitor.store import open_store
from tests.helpers.dashboard import app_on, charts, frame_with, no_errors, open_page, texts
from tests.helpers.postgres import temporary_database
from tests.helpers.seed import (
    SCENARIO_TABLES,
    Seeder,
    daily_history,
    naive_now,
    seed_scenario,
    write_scenario_config,
)

PAGES = ("overview", "table", "incidents", "runs")


def each_page(config: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, AppTest]]:
    """Every page in turn, in one session (assert on each before asking for the next)."""
    at = app_on(config, monkeypatch).run()
    yield "overview", at
    for page in PAGES[1:]:
        yield page, open_page(at, page)


def assert_no_traceback(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


class TestEmptyStore:
    def test_every_page_says_there_are_no_runs_yet(self, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch):
        url = f"sqlite:///{tmp_path / 'metrics.db'}"
        open_store(url).dispose()  # tables created, no rows
        config = write_scenario_config(tmp_path / "monitor.yaml", url)

        for page, at in each_page(config, monkeypatch):
            assert_no_traceback(at)
            assert not at.error, page
            assert "The metric store has no runs yet" in at.info[0].value, page


class TestMissingStore:
    def test_every_page_says_to_run_the_monitor_first(self, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
        config = write_scenario_config(tmp_path / "monitor.yaml",
                                       f"sqlite:///{tmp_path / 'nothing-yet.db'}")

        for page, at in each_page(config, monkeypatch):
            assert_no_traceback(at)
            assert "There is no metric store at" in at.info[0].value, page
            assert "dq-monitor run" in at.info[0].value


class TestUnreachableStore:
    def test_every_page_says_the_store_cannot_be_reached(self, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
        # Port 9 on the loopback: nothing listens, the connection is refused at once.
        url = "postgresql+psycopg://dq:secret-pw@127.0.0.1:9/metrics"
        config = write_scenario_config(tmp_path / "monitor.yaml", url)

        for page, at in each_page(config, monkeypatch):
            assert_no_traceback(at)
            message = at.error[0].value
            assert "cannot be reached" in message, page
            assert "secret-pw" not in message


class TestOneRun:
    @pytest.fixture
    def config(self, tmp_path: Path) -> Path:
        url = f"sqlite:///{tmp_path / 'metrics.db'}"
        store = open_store(url)
        seeder = Seeder()
        daily_history(seeder, "payments", end=naive_now() - dt.timedelta(minutes=5), days=1,
                      learning=7)
        seeder.write(store)
        store.dispose()
        return write_scenario_config(tmp_path / "monitor.yaml", url, tables={
            "payments": (["@finance"], ["sales"], "learning")})

    def test_overview_shows_the_table_learning_and_explains(
            self, config: Path, monkeypatch: pytest.MonkeyPatch):
        at = app_on(config, monkeypatch).run()

        no_errors(at)
        frame = frame_with(at, "status", "reason")
        assert frame["status"].tolist() == ["learning"]
        # one snapshot: no day-to-day growth yet, so no rows-per-day bar
        assert [list(t) for t in frame["trend"]] == [[]]
        assert "Only one run is recorded so far" in texts(at)

    def test_table_page_explains_the_single_point(self, config: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
        at = open_page(app_on(config, monkeypatch).run(), "table", table="payments")

        no_errors(at)
        assert "Only one point per metric so far" in texts(at)
        assert len(charts(at)["Rows per run"]["datasets"][0]) == 1

    def test_incidents_and_runs_pages_render(self, config: Path,
                                             monkeypatch: pytest.MonkeyPatch):
        for page, at in each_page(config, monkeypatch):
            no_errors(at)
            if page == "runs":
                assert {m.label: m.value for m in at.metric}["Runs"] == "1"


class TestBrokenConfig:
    def test_invalid_config_is_reported_with_its_key(self, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({"warehouses": {}, "tables": [
            {"name": "orders", "warehouse": "nowhere", "table": "orders"}]}))

        at = app_on(config, monkeypatch).run()

        assert_no_traceback(at)
        assert "The dashboard cannot start" in at.error[0].value
        assert ("tables[0].warehouse (table 'orders'): unknown warehouse 'nowhere'"
                in at.error[0].value)

    def test_missing_config_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        at = app_on(tmp_path / "absent.yaml", monkeypatch).run()

        assert_no_traceback(at)
        assert "config file not found" in at.error[0].value

    def test_no_tables_configured(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        url = f"sqlite:///{tmp_path / 'metrics.db'}"
        store = open_store(url)
        seeder = Seeder()
        daily_history(seeder, "orders", end=naive_now(), days=2)
        seeder.write(store)
        store.dispose()
        config = write_scenario_config(tmp_path / "monitor.yaml", url, tables={})

        for page in ("overview", "table"):
            at = app_on(config, monkeypatch).run()
            at = at if page == "overview" else open_page(at, page)
            no_errors(at)
            assert "No tables are configured yet" in texts(at)


class TestOnPostgreSQL:
    def test_overview_and_table_page_read_a_postgresql_store(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        with temporary_database("dq_dash_app") as url:
            store = open_store(url)
            seed_scenario(store)
            config = write_scenario_config(tmp_path / "monitor.yaml", url)

            overview = app_on(config, monkeypatch).run()
            table = app_on(config, monkeypatch, query={"table": "orders"}).run()
            cached.reader(url).dispose()  # the app's read-only handle, before the drop
            store.dispose()

        no_errors(overview)
        frame = frame_with(overview, "status", "reason")
        assert dict(zip(frame["table"], frame["status"], strict=True)) == {
            name: status for name, (_, _, status) in SCENARIO_TABLES.items()}
        no_errors(table)
        assert charts(table)["Rows per day"]["datasets"][1]["mark"].tolist() == [
            "anomaly"]
