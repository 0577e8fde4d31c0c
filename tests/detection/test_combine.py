from __future__ import annotations

import dataclasses
import math
from datetime import datetime

from monitor.detection.combine import combine, flagged_mask
from monitor.detection.result import Detection, State

LEARNING = Detection(
    datetime(2024, 1, 1),
    0.0,
    math.nan,
    math.nan,
    math.nan,
    math.nan,
    False,
    None,
    State.LEARNING,
    "learning: 2 of 7 points",
    "seasonal",
)
RULE_OK = dataclasses.replace(LEARNING, state=State.OK, reason="no rule broken", detector="rule")
RULE_HIT = dataclasses.replace(
    LEARNING,
    expected=900.0,
    is_anomaly=True,
    direction="down",
    state=State.ANOMALY,
    reason="rows 0: the bucket is empty",
    detector="rules.zero_rows",
)


class TestCombine:
    def test_a_rule_hit_is_an_anomaly_even_while_learning(self):
        [merged] = combine([LEARNING], [[RULE_HIT]])

        assert merged.is_anomaly
        assert merged.state is State.ANOMALY
        assert merged.reason == "rows 0: the bucket is empty"
        assert merged.expected == 900.0

    def test_the_first_rule_that_fired_wins(self):
        other = dataclasses.replace(RULE_HIT, reason="other", detector="other")

        [merged] = combine([LEARNING], [[RULE_OK], [other], [RULE_HIT]])

        assert merged.detector == "other"

    def test_the_primary_band_is_kept(self):
        primary = dataclasses.replace(
            LEARNING, expected=1000.0, lower=900.0, upper=1100.0, score=-30.0, state=State.OK
        )

        [merged] = combine([primary], [[RULE_HIT]])

        assert (merged.expected, merged.lower, merged.upper, merged.score) == (
            1000.0,
            900.0,
            1100.0,
            -30.0,
        )

    def test_without_hits_the_primary_verdict_stands(self):
        assert combine([LEARNING], [[RULE_OK]]) == [LEARNING]


class TestFlaggedMask:
    def test_marks_anomalies(self):
        assert flagged_mask([LEARNING, RULE_HIT]).tolist() == [False, True]
