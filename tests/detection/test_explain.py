from __future__ import annotations

import numpy as np

from monitor.detection.explain import explain
from monitor.detection.result import Bands, State
from monitor.detection.series import Series
from monitor.detection.wording import Unit


def _series() -> Series:
    return Series(
        ["2024-01-01", "2024-01-02", "2024-01-03"],
        [1.0, np.nan, 50.0],
        excluded=[False, False, True],
    )


class TestExplain:
    def test_one_detection_per_point_with_reasons_per_state(self):
        bands = Bands(3)
        bands.state = [State.LEARNING, State.MISSING, State.ANOMALY]
        bands.history[:] = [0, 1, 2]
        bands.expected[2], bands.lower[2], bands.upper[2], bands.score[2] = 10.0, 8.0, 12.0, 20.0
        bands.side[2], bands.anomaly[2] = 1, True
        bands.context[2] = "for a Wednesday"

        out = explain(_series(), bands, label="rows", unit=Unit.COUNT, detector="x", min_history=7)

        assert out[0].reason.startswith("learning: 0 of 7 points")
        assert out[1].reason == "no value for this bucket"
        assert out[2].reason == (
            "rows 50 are 400% above the usual 10 for a Wednesday (band 8–12); "
            "labeled incident by a user, kept out of training"
        )
        assert out[2].direction == "up"
        assert [d.detector for d in out] == ["x"] * 3

    def test_a_sustained_anomaly_inside_the_band_gets_its_direction_from_the_score(self):
        bands = Bands(3)
        bands.state[0] = State.ANOMALY
        bands.anomaly[0] = True
        bands.expected[0], bands.lower[0], bands.upper[0], bands.score[0] = 1.2, 0.5, 2.0, -2.5

        out = explain(_series(), bands, label="rows", unit=Unit.COUNT, detector="x")

        assert out[0].direction == "down"
        assert "below the usual" in out[0].reason
