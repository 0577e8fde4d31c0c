"""Cells and titles people read (formatting by hand)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from monitor.dashboard.readable import headers, readable, titled


class TestReadable:
    def test_cells_are_written_out(self) -> None:
        raw = pd.DataFrame({
            "ts": [pd.Timestamp("2026-01-05 06:00"), pd.NaT],
            "value": [76608.0, np.nan], "ok": [True, False],
            "observed_value": ["null", "0.04"], "label": [None, "expected"],
            "extra": [1, 2]})

        shown = readable(raw, {"label": "Label", "ts": "When", "value": "Value", "ok": "OK",
                               "observed_value": "Observed", "missing": "Not there"})

        assert list(shown.columns) == ["label", "ts", "value", "ok", "observed_value"]
        assert shown.to_dict("records") == [
            {"label": "–", "ts": "2026-01-05 06:00", "value": "76,608", "ok": "yes",
             "observed_value": "–"},
            {"label": "expected", "ts": "–", "value": "–", "ok": "no",
             "observed_value": "0.04"}]

    def test_datetimes_of_python(self) -> None:
        raw = pd.DataFrame({"ts": pd.Series([dt.datetime(2026, 1, 5, 6, 30)], dtype=object)})

        assert readable(raw, {"ts": "When"})["ts"].tolist() == ["2026-01-05 06:30"]


class TestHeaders:
    def test_titles(self) -> None:
        config = headers({"ts": "When (UTC)"})

        assert config["ts"]["label"] == "When (UTC)"


class TestTitled:
    def test_titles_and_kinds(self) -> None:
        raw = pd.DataFrame({"ts": [pd.Timestamp("2026-01-05")], "rows_quarantined": [12],
                            "column_name": ["email"], "null_rate": [0.01]})

        config = titled(raw)

        assert {k: v["label"] for k, v in config.items()} == {
            "ts": "When (UTC)", "rows_quarantined": "Rows quarantined",
            "column_name": "Column", "null_rate": "Null rate"}
        assert config["ts"]["type_config"]["type"] == "datetime"
        assert config["rows_quarantined"]["type_config"]["type"] == "number"
