from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from monitor.detection.backtest import backtest, read_series_csv, sensitivity_sweep
from monitor.errors import InputError

from .conftest import daily, weekly_rows

RECORD_KEYS = {
    "timestamp",
    "value",
    "expected",
    "lower",
    "upper",
    "score",
    "is_anomaly",
    "direction",
    "state",
    "reason",
    "detector",
}


def _write(tmp_path: Path, text: str, name: str = "series.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


class TestReadSeriesCsv:
    def test_reads_rows_with_a_header(self, tmp_path):
        path = _write(tmp_path, "timestamp,value\n2024-01-02,7\n2024-01-01,5.5\n")

        series = read_series_csv(path)

        assert series.values.tolist() == [5.5, 7.0]
        assert str(series.timestamps[0]) == "2024-01-01T00:00:00.000000000"

    def test_header_is_optional_and_blank_lines_are_skipped(self, tmp_path):
        path = _write(tmp_path, "2024-01-01T10:00:00Z,1\n\n2024-01-01T12:00:00+01:00,2\n")

        series = read_series_csv(path)

        assert series.values.tolist() == [1.0, 2.0]
        assert str(series.timestamps[1]) == "2024-01-01T11:00:00.000000000"

    def test_a_utf8_bom_is_fine(self, tmp_path):
        path = _write(tmp_path, "timestamp,value\n2024-01-01,3\n", encoding="utf-8-sig")

        assert read_series_csv(path).values.tolist() == [3.0]

    def test_empty_values_are_missing(self, tmp_path):
        path = _write(tmp_path, "timestamp,value\n2024-01-01,\n2024-01-02,NaN\n2024-01-03,null\n")

        assert np.isnan(read_series_csv(path).values).all()

    def test_labels_column(self, tmp_path):
        text = (
            "timestamp,value,label\n2024-01-01,1,\n2024-01-02,2,expected\n2024-01-03,3,incident\n"
        )

        series = read_series_csv(_write(tmp_path, text))

        assert series.expected.tolist() == [False, True, False]
        assert series.excluded.tolist() == [False, False, True]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "no data rows"),
            ("timestamp,value\n", "no data rows"),
            ("timestamp,value\n2024-01-01,1\n2024-01-02\n", "line 3: expected 2 fields"),
            ("timestamp,value\n2024-01-01,1\n2024-01-02,1,2\n", "line 3: expected 2 fields"),
            ("timestamp,value\n2024-01-01,lots\n", "line 2: value 'lots' is not a number"),
            ("timestamp,value\n2024-01-01,1\n01/02/2024,1\n", "line 3: timestamp '01/02/2024'"),
            ("timestamp,value\n2024-01-01,1\n2024-01-01T00:00,2\n", "line 3: .* repeats line 2"),
            ("timestamp,value,label\n2024-01-01,1,maybe\n", "line 2: label 'maybe'"),
        ],
    )
    def test_malformed_files_name_the_file_and_line(self, tmp_path, text, message):
        path = _write(tmp_path, text)

        with pytest.raises(InputError, match=message) as caught:
            read_series_csv(path)

        assert str(path) in str(caught.value)

    def test_a_missing_file_is_an_input_error(self, tmp_path):
        with pytest.raises(InputError, match="cannot be read"):
            read_series_csv(tmp_path / "nope.csv")

    def test_a_binary_file_is_an_input_error(self, tmp_path):
        path = tmp_path / "data.csv"
        path.write_bytes(b"\xff\xfe\x00\x01garbage")

        with pytest.raises(InputError, match="UTF-8"):
            read_series_csv(path)


class TestBacktest:
    def test_one_json_record_per_point(self, tmp_path):
        values = weekly_rows(10)
        values[-1] = 0.0
        lines = ["timestamp,value"] + [
            f"{np.datetime_as_string(t, unit='D')},{v:.0f}"
            for t, v in zip(daily(values).timestamps, values, strict=True)
        ]
        series = read_series_csv(_write(tmp_path, "\n".join(lines)))

        records = backtest(series, "volume")

        assert len(records) == values.size
        assert set(records[0]) == RECORD_KEYS
        assert records[0]["timestamp"] == "2024-01-01T00:00:00"
        assert records[0]["state"] == "learning"
        assert records[-1]["is_anomaly"] is True
        json.dumps(records, allow_nan=False)

    @pytest.mark.parametrize("metric", ["volume", "null_rate", "freshness", "level"])
    def test_every_cli_metric_name_works(self, metric):
        records = backtest(daily([0.1, 0.2, np.nan, 0.1]), metric)

        assert [r["state"] for r in records][2] == "missing"
        json.dumps(records, allow_nan=False)


class TestSensitivitySweep:
    def test_counts_alerts_per_preset_high_most(self):
        values = weekly_rows(12, noise=0.05, seed=3)
        values[[60, 70, 80]] *= [0.85, 0.75, 1.2]

        counts = sensitivity_sweep(daily(values), "volume")

        assert set(counts) == {"low", "medium", "high"}
        assert counts["low"] <= counts["medium"] <= counts["high"]
        assert counts["low"] < counts["high"]
