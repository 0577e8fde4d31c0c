"""Response times and incident rows of the dashboard (hand-computed medians)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from monitor.dashboard.lifecycle import (
    incident_rows,
    resolution_text,
    response_by_table,
    response_times,
)

T0 = dt.datetime(2026, 1, 5, 6)
MIN = dt.timedelta(minutes=1)


def frame(*rows: dict) -> pd.DataFrame:
    base = {"incident_id": 1, "table_name": "orders", "check_key": "volume:row_count",
            "status": "open", "severity": "critical", "title": "orders: rows 9",
            "opened_at": T0, "acknowledged_at": None, "acknowledged_by": None,
            "resolved_at": None, "resolved_by": None, "resolution": None,
            "resolution_note": None, "occurrences": 1, "details_json": None}
    return pd.DataFrame([{**base, **row} for row in rows or ({},)])


class TestResponseTimes:
    def test_medians_by_hand(self) -> None:
        incidents = frame(
            {"incident_id": 1, "acknowledged_at": T0 + 10 * MIN, "resolved_at": T0 + 60 * MIN},
            {"incident_id": 2, "acknowledged_at": T0 + 20 * MIN, "resolved_at": T0 + 90 * MIN},
            {"incident_id": 3, "acknowledged_at": T0 + 60 * MIN},
            {"incident_id": 4, "table_name": "events", "acknowledged_at": T0 + MIN})

        times = response_times(incidents, table="orders")

        assert (times.opened, times.acknowledged, times.resolved) == (3, 3, 2)
        assert times.to_acknowledge == 20 * 60  # median of 10, 20, 60 min
        assert times.to_resolve == 75 * 60  # median of 60 and 90 min

    def test_only_incidents_opened_since(self) -> None:
        incidents = frame({"opened_at": T0 - dt.timedelta(days=40),
                           "acknowledged_at": T0 - dt.timedelta(days=39)})

        assert response_times(incidents, since=T0 - dt.timedelta(days=30)).opened == 0

    def test_nothing_to_measure(self) -> None:
        times = response_times(frame())

        assert (times.to_acknowledge, times.to_resolve, times.opened) == (None, None, 1)
        assert response_times(frame().iloc[0:0]).opened == 0


class TestResponseByTable:
    def test_one_row_per_table_in_words(self) -> None:
        incidents = frame({"acknowledged_at": T0 + 90 * MIN},
                          {"incident_id": 2, "table_name": "events",
                           "resolved_at": T0 + dt.timedelta(hours=26)})

        rows = response_by_table(incidents).set_index("Table")

        assert rows.loc["orders", "Time to acknowledge"] == "1h 30m (median of 1)"
        assert rows.loc["orders", "Time to resolve"] == "–"
        assert rows.loc["events", "Time to resolve"] == "1d 2h (median of 1)"


class TestIncidentRows:
    def test_people_read_who_when_and_why(self) -> None:
        details = json.dumps({"finding": {"kind": "anomaly", "metric": "null_rate",
                                          "column": "email"}})
        incidents = frame({"incident_id": 12, "status": "resolved", "details_json": details,
                           "check_key": "null_rate:email", "acknowledged_by": "ana",
                           "acknowledged_at": T0 + 5 * MIN, "resolved_by": "ana",
                           "resolved_at": T0 + 3 * 60 * MIN, "resolution": "false-positive",
                           "resolution_note": "holiday"})

        (row,) = incident_rows(incidents).to_dict("records")

        assert row["ref"] == "#12"
        assert row["check"] == "null rate of email"
        assert row["opened"] == "2026-01-05 06:00"
        assert row["acknowledged"] == "ana, 5m after opening"
        assert row["resolved"] == "ana, 3h after opening"
        assert row["resolution"] == "false positive – holiday"

    def test_nothing_happened_yet_is_blank_not_none(self) -> None:
        (row,) = incident_rows(frame()).to_dict("records")

        assert (row["acknowledged"], row["resolved"], row["resolution"]) == ("", "", "")

    def test_empty(self) -> None:
        assert list(incident_rows(frame().iloc[0:0]).columns)[:2] == ["incident_id", "ref"]


class TestResolutionText:
    def test_known_unknown_and_missing(self) -> None:
        assert resolution_text("no-action-needed") == "no action needed"
        assert resolution_text("later") == "later"
        assert resolution_text(None) == ""
