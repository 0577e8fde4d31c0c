from __future__ import annotations

import math

import numpy as np

from monitor.detection.precedent import MIN_PAST, has_precedent, precedent


class TestPrecedent:
    def test_is_the_largest_earlier_deviation_on_the_same_side(self):
        past = np.r_[np.zeros(MIN_PAST), 3.0, -7.0, 1.5, -2.0]

        assert precedent(past, 0.5) == 3.0
        assert precedent(past, -0.5) == 7.0

    def test_points_that_must_not_count_are_nan_and_ignored(self):
        past = np.r_[np.zeros(MIN_PAST), np.nan, 2.0]

        assert precedent(past, 1.0) == 2.0

    def test_a_short_history_has_no_precedent(self):
        past = np.r_[np.full(MIN_PAST - 2, np.nan), 5.0]

        assert math.isnan(precedent(past, 1.0))

    def test_nothing_on_that_side_or_no_deviation_is_no_precedent(self):
        past = np.r_[np.zeros(MIN_PAST), -4.0]

        assert math.isnan(precedent(past, 1.0))
        assert math.isnan(precedent(past, 0.0))
        assert math.isnan(precedent(past, math.nan))


class TestHasPrecedent:
    def test_as_large_is_a_precedent_larger_is_not(self):
        past = np.r_[np.zeros(MIN_PAST), 4.0]

        assert has_precedent(past, 4.0)
        assert has_precedent(past, 3.9)
        assert not has_precedent(past, 4.1)

    def test_the_other_side_does_not_count(self):
        past = np.r_[np.zeros(MIN_PAST), 4.0]

        assert not has_precedent(past, -1.0)
