from __future__ import annotations

import json
import math
from datetime import datetime

from monitor.detection.result import Bands, Detection, State, side_name


def _detection(**changes) -> Detection:
    fields = {
        "timestamp": datetime(2024, 1, 2, 3, 4, 5),
        "value": 412.0,
        "expected": 980.0,
        "lower": 870.0,
        "upper": 1090.0,
        "score": -9.5,
        "is_anomaly": True,
        "direction": "down",
        "state": State.ANOMALY,
        "reason": "rows 412 are 58% below the usual 980",
        "detector": "seasonal",
    }
    return Detection(**{**fields, **changes})


class TestDetection:
    def test_to_dict_is_plain_json(self):
        record = _detection().to_dict()

        assert record["timestamp"] == "2024-01-02T03:04:05"
        assert record["state"] == "anomaly"
        assert json.loads(json.dumps(record, allow_nan=False)) == record

    def test_to_dict_maps_nan_and_infinity_to_none(self):
        detection = _detection(
            value=math.nan, expected=math.inf, lower=-math.inf, upper=math.nan, score=math.nan
        )

        record = detection.to_dict()

        for key in ("value", "expected", "lower", "upper", "score"):
            assert record[key] is None
        json.dumps(record, allow_nan=False)


class TestBands:
    def test_starts_unknown_and_ok(self):
        bands = Bands(3)

        assert math.isnan(bands.expected[0])
        assert bands.state == [State.OK] * 3
        assert not bands.anomaly.any()


class TestSideName:
    def test_names_sides(self):
        assert [side_name(1), side_name(-1), side_name(0)] == ["up", "down", None]
