"""The demo's distribution shift, checked with pandas on the generated sample."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pandas as pd

from monitor.demo.drift import apply_drift, drift_incidents
from monitor.demo.sample import build_sample_warehouse

END = dt.date(2026, 3, 31)


def _cancelled_share(path: Path) -> pd.Series:
    with sqlite3.connect(path) as conn:
        orders = pd.read_sql("SELECT date(created_at) AS day, status FROM orders", conn)
    return orders.groupby("day")["status"].apply(lambda s: (s == "cancelled").mean())


class TestDriftIncidents:
    def test_one_shift_of_orders_status_before_the_end(self) -> None:
        (incident,) = drift_incidents(END)

        assert (incident.table, incident.metric, incident.column) == ("orders", "shares",
                                                                      "status")
        assert incident.day == END - dt.timedelta(days=16)


class TestApplyDrift:
    def test_only_the_shift_day_has_many_cancelled_orders(self, tmp_path: Path) -> None:
        manifest = build_sample_warehouse(tmp_path / "s.db", days=40, end=END)
        day = drift_incidents(END)[0].day.isoformat()

        shares = _cancelled_share(manifest.path)

        assert 0.35 < shares[day] < 0.45
        assert shares.drop(day).max() < 0.2

    def test_nothing_changes_without_the_incident_planned(self, tmp_path: Path) -> None:
        manifest = build_sample_warehouse(tmp_path / "s.db", days=20, end=END,
                                          incidents=False)
        before = _cancelled_share(manifest.path)

        with sqlite3.connect(manifest.path) as conn:
            apply_drift(conn, {})

        pd.testing.assert_series_equal(_cancelled_share(manifest.path), before)
