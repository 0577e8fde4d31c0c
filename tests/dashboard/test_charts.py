"""Altair charts: what each layer draws and from which rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from monitor.dashboard import charts

DAYS = [dt.datetime(2026, 1, d) for d in range(1, 6)]


def band_frame(anomalies=(), labels=None) -> pd.DataFrame:
    return pd.DataFrame({
        "ts": DAYS, "value": [10.0, 11.0, 3.0, 10.0, 30.0], "expected": [10.0] * 5,
        "lower": [8.0] * 5, "upper": [12.0] * 5,
        "is_anomaly": [i in anomalies for i in range(5)],
        "label": labels or [None] * 5, "reason": ["r"] * 5, "state": ["ok"] * 5})


class TestPointMarks:
    def test_anomalies_and_labelled_points(self):
        frame = band_frame(anomalies=(2, 4), labels=[None, None, None, None, "expected"])

        marks = charts.point_marks(frame)

        assert marks.tolist() == [None, None, "anomaly", None, "marked expected"]

    def test_without_a_label_column(self):
        frame = band_frame(anomalies=(1,)).drop(columns="label")

        assert charts.point_marks(frame).tolist() == [None, "anomaly", None, None, None]


class TestBandChart:
    def test_layers_band_expected_observed_marks(self):
        chart = charts.band_chart(band_frame(anomalies=(2,)), title="row_count")
        spec = chart.to_dict()

        assert [layer["mark"]["type"] for layer in spec["layer"]] == [
            "area", "line", "line", "point"]
        band = spec["layer"][0]["encoding"]
        assert (band["y"]["field"], band["y2"]["field"]) == ("lower_shown", "upper_shown")
        assert spec["layer"][1]["mark"]["strokeDash"] == [4, 3]
        assert spec["title"] == "row_count"
        assert spec["layer"][0]["encoding"]["x"]["scale"]["type"] == "utc"

    def test_only_marked_points_are_drawn_as_points(self):
        chart = charts.band_chart(band_frame(anomalies=(2, 4), labels=[
            None, None, None, None, "expected"]), title="t")

        points = chart.layer[3].data

        assert points["ts"].tolist() == [DAYS[2], DAYS[4]]
        assert points["mark"].tolist() == ["anomaly", "marked expected"]
        assert len(chart.data) == 5

    def test_colours_are_red_and_green(self):
        spec = charts.band_chart(band_frame(anomalies=(2,)), title="t").to_dict()

        scale = spec["layer"][3]["encoding"]["color"]["scale"]
        assert dict(zip(scale["domain"], scale["range"], strict=True)) == {
            "anomaly": "#d62728", "marked expected": "#2ca02c"}


class TestTrendChart:
    def test_plain_line(self):
        spec = charts.trend_chart(pd.DataFrame({"ts": DAYS, "value": range(5)}),
                                  title="rows").to_dict()

        assert spec["mark"]["type"] == "line"
        assert spec["title"] == "rows"


class TestUnitOf:
    @pytest.mark.parametrize(("metric", "values", "expected"), [
        ("freshness_seconds", [100_000.0], (3600.0, "hours", ",.1~f")),
        ("freshness_seconds", [500_000.0], (86400.0, "days", ",.1~f")),
        ("arrival_delay_seconds", [600.0], (60.0, "minutes", ",.0f")),
        ("null_rate", [0.2], (1.0, "share", ".1~%")),
        ("row_count", [1e6], (1.0, "rows", ",.0f")),
        ("mean", [3.5], (1.0, "value", ",.4~g")),
    ])
    def test_each_metric_in_its_unit(self, metric: str, values: list[float], expected):
        assert charts.unit_of(metric, pd.Series(values)) == expected

    def test_a_duration_chart_plots_hours_and_writes_durations(self):
        frame = band_frame().assign(value=[7200.0, 9000.0, 10800.0, 12600.0, 14400.0],
                                    expected=9000.0, lower=3600.0, upper=18000.0)

        chart = charts.band_chart(frame, title="data age", metric="freshness_seconds")

        data = chart.data
        assert data["value_shown"].tolist() == [2.0, 2.5, 3.0, 3.5, 4.0]
        assert data["value_text"].tolist() == ["2h", "2h 30m", "3h", "3h 30m", "4h"]
        assert data["band_text"].iloc[0] == "1h – 5h"
        assert chart.to_dict()["layer"][0]["encoding"]["y"]["title"] == "hours"
        assert chart.to_dict()["height"] == 250


class TestCompletenessClasses:
    @staticmethod
    def days(column: str, rates: list[float]) -> pd.DataFrame:
        return pd.DataFrame({"column_name": [column] * len(rates),
                             "ts": [DAYS[0] + dt.timedelta(days=k) for k in range(len(rates))],
                             "value": rates})

    def test_a_column_null_by_design_is_usual(self):
        judged = charts.completeness_classes(self.days("fax", [0.9, 0.91, 0.89, 0.9]))

        assert set(judged["class"]) == {"usual"}
        assert judged["usual"].iloc[0] == pytest.approx(0.9)

    def test_the_same_jump_is_judged_against_each_columns_own_normal(self):
        frame = pd.concat([self.days("email", [0.01, 0.01, 0.01, 0.08]),
                           self.days("fax", [0.8, 0.8, 0.8, 0.8])])

        judged = charts.completeness_classes(frame).set_index(["column_name", "day"])

        assert judged.loc["email"]["class"].tolist() == [
            "usual", "usual", "usual", "more nulls than usual"]
        assert set(judged.loc["fax"]["class"]) == {"usual"}

    def test_a_configured_limit_wins_over_the_normal(self):
        judged = charts.completeness_classes(self.days("email", [0.01, 0.03, 0.06]),
                                             {"email": 0.05})

        assert judged["class"].tolist() == ["within the limit", "within the limit",
                                            "over the limit"]
        assert judged["limit_text"].iloc[0] == "5.0%"

    def test_daily_mean_per_column(self):
        frame = pd.DataFrame({
            "column_name": ["a", "a", "b"],
            "ts": [dt.datetime(2026, 1, 1, 1), dt.datetime(2026, 1, 1, 13),
                   dt.datetime(2026, 1, 1, 2)],
            "value": [0.0, 0.5, 0.75]})

        chart = charts.completeness_heatmap(frame)

        assert chart.data.sort_values("column_name")["null_rate"].tolist() == [0.25, 0.75]


class TestExpectationHeatmap:
    def test_worst_result_of_the_day(self):
        frame = pd.DataFrame({
            "expectation": ["e1", "e1", "e2", "e2"],
            "ts": [dt.datetime(2026, 1, 1, 1), dt.datetime(2026, 1, 1, 5),
                   dt.datetime(2026, 1, 1, 1), dt.datetime(2026, 1, 2, 1)],
            "result": ["pass", "fail", "error", "pass"]})

        chart = charts.expectation_heatmap(frame)

        days = chart.data.sort_values(["expectation", "day"])
        assert days["result"].tolist() == ["fail", "error", "pass"]


@pytest.fixture
def runs() -> pd.DataFrame:
    return pd.DataFrame({"table_name": ["a", "b"], "status": ["success", "failed"],
                         "started_at": DAYS[:2], "scheduled_at": [DAYS[0], None],
                         "duration_seconds": [3.0, 9.0], "retries": [0, 2],
                         "lag_seconds": [30.0, None]})


class TestRunCharts:
    def test_durations_coloured_by_status(self, runs: pd.DataFrame):
        spec = charts.run_durations_chart(runs).to_dict()

        assert spec["encoding"]["y"]["field"] == "duration_seconds"
        assert spec["encoding"]["color"]["field"] == "status"

    def test_lag_only_for_scheduled_runs(self, runs: pd.DataFrame):
        chart = charts.lag_chart(runs)

        assert chart.data["table_name"].tolist() == ["a"]
