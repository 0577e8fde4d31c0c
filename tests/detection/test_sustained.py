from __future__ import annotations

import numpy as np

from monitor.detection.sustained import sustained_side, sustained_span


class TestSustainedSide:
    def test_points_inside_the_band_add_up(self):
        scores = np.array([0.2, -2.5, -2.8, -2.2, -2.6])

        assert sustained_side(scores, np.ones(5, dtype=bool), 4, 4, 4.0) == (-1, 4)

    def test_noise_does_not_add_up(self):
        scores = np.array([1.5, -1.2, 2.0, -0.4, 1.8])

        assert sustained_side(scores, np.ones(5, dtype=bool), 4, 5, 4.0)[0] == 0

    def test_a_point_that_does_not_lean_is_not_flagged(self):
        scores = np.array([-3.0, -3.0, -3.0, -0.5])

        assert sustained_side(scores, np.ones(4, dtype=bool), 3, 4, 4.0) == (0, 0)

    def test_uninformative_and_missing_points_are_skipped(self):
        scores = np.array([-9.0, np.nan, -2.9, -2.9])
        informative = np.array([False, True, True, True])

        assert sustained_side(scores, informative, 3, 4, 4.0) == (-1, 2)


class TestSustainedSpan:
    def test_six_hours_of_sub_daily_data_and_no_test_on_daily_data(self):
        assert sustained_span(3600) == 6
        assert sustained_span(900) == 24
        assert sustained_span(86400) == 1
