"""The generated sample warehouse: weekly rhythm and the injected incidents, checked with pandas."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from monitor.demo.sample import build_sample_warehouse, incident_plan

END = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("sample") / "sample.db"
    manifest = build_sample_warehouse(path, days=60, end=END)
    conn = sqlite3.connect(path)
    yield manifest, conn
    conn.close()


def daily(conn: sqlite3.Connection, table: str, column: str) -> pd.Series:
    frame = pd.read_sql(f"SELECT {column} AS ts FROM {table}", conn, parse_dates=["ts"])
    return frame.groupby(frame["ts"].dt.date).size()


class TestBuildSampleWarehouse:
    def test_covers_the_window_with_a_weekly_rhythm(self, sample) -> None:
        manifest, conn = sample

        orders = daily(conn, "orders", "created_at")

        assert (orders.index.min(), orders.index.max()) == (manifest.start, END)
        weekend = orders[[d.weekday() >= 5 for d in orders.index]].median()
        weekday = orders[[d.weekday() < 5 for d in orders.index]].median()
        assert 0.4 < weekend / weekday < 0.6

    def test_incidents_are_in_the_data(self, sample) -> None:
        manifest, conn = sample
        plan = {i.key: i for i in incident_plan(END)}

        orders, events = daily(conn, "orders", "created_at"), daily(conn, "events", "occurred_at")
        partial = plan["partial_load"].day
        same_weekday = orders[[d.weekday() == partial.weekday() and d != partial
                               for d in orders.index]].median()
        duplicated = plan["duplicated_load"].day
        users = pd.read_sql("SELECT occurred_at, user_id FROM events", conn,
                            parse_dates=["occurred_at"])
        nulls = users.groupby(users["occurred_at"].dt.date)["user_id"].apply(
            lambda s: s.isna().mean())
        columns = [r[1] for r in conn.execute("PRAGMA table_info(customers)")]

        assert orders[partial] / same_weekday < 0.5
        assert events[duplicated] > 1.6 * events.drop(duplicated).median()
        assert nulls[plan["null_spike"].day] > 0.3
        assert nulls.drop(plan["null_spike"].day).max() < 0.05
        assert "phone" not in columns
        assert {i.key for i in manifest.incidents} == set(plan)

    def test_clean_sample_has_no_incidents(self, tmp_path: Path) -> None:
        manifest = build_sample_warehouse(tmp_path / "clean.db", days=7, end=END,
                                          incidents=False)

        assert manifest.incidents == []
        with sqlite3.connect(manifest.path) as conn:
            assert "phone" in [r[1] for r in conn.execute("PRAGMA table_info(customers)")]
