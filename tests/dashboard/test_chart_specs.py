"""Tests of monitor.dashboard.chart_specs: specs as st.altair_chart would send them."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

from monitor.dashboard import chart_specs, charts


@pytest.fixture
def series() -> pd.DataFrame:
    return pd.DataFrame({
        "metric": "row_count", "column_name": "", "granularity": "day",
        "ts": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03"]),
        "value": [980.0, 1000.0, 412.0], "expected": [990.0] * 3, "lower": [900.0] * 3,
        "upper": [1080.0] * 3, "score": [0.1, 0.1, 9.0], "is_anomaly": [False, False, True],
        "state": ["ok", "ok", "anomaly"], "severity": "warning",
        "reason": [None, None, "412 rows, usually 990"], "label": [None, None, None]})


class TestToSpec:
    def test_same_spec_as_the_validated_conversion(self, series: pd.DataFrame):
        chart = charts.band_chart(series, title="Rows per day", metric="row_count")

        spec = chart_specs.to_spec(chart)
        validated = chart.to_dict()  # the schema check to_spec leaves out

        assert [layer["mark"] for layer in spec["layer"]] == [
            layer["mark"] for layer in validated["layer"]]
        assert [layer["encoding"] for layer in spec["layer"]] == [
            layer["encoding"] for layer in validated["layer"]]

    def test_data_travels_as_named_arrow_datasets(self, series: pd.DataFrame):
        spec = chart_specs.to_spec(charts.band_chart(series, title="rows", metric="row_count"))

        frames = [convert_arrow_bytes_to_pandas_df(raw) for raw in spec["datasets"].values()]

        assert spec["data"]["name"] in spec["datasets"]
        assert sorted(len(f) for f in frames) == [1, 3]  # every point; the anomaly


class TestBand:
    def test_only_drawn_columns_are_sent(self, series: pd.DataFrame):
        spec = chart_specs.band(series, "Rows per day", "row_count")

        line = convert_arrow_bytes_to_pandas_df(spec["datasets"][spec["data"]["name"]])

        assert line["value"].tolist() == [980.0, 1000.0, 412.0]
        assert not {"metric", "column_name", "granularity", "score", "severity"} & set(line)
