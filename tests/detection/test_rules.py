from __future__ import annotations

import numpy as np

from monitor.detection.result import State
from monitor.detection.rules import (
    SNAPSHOT_MIN_STEPS,
    above_limit,
    freshness_sla,
    null_rate_limit,
    stalled_growth,
    zero_rows,
)
from monitor.detection.series import Series
from monitor.detection.wording import Unit

from .conftest import daily, days, hours, weekly_rows


def _flagged(detections) -> list[int]:
    return [i for i, d in enumerate(detections) if d.is_anomaly]


class TestZeroRows:
    def test_a_drop_to_zero_alarms_on_its_first_day(self):
        detections = zero_rows(daily([1200.0, 1150.0, 0.0, 0.0]))

        assert _flagged(detections) == [2, 3]
        assert detections[2].direction == "down"
        assert detections[2].expected == np.median([1200.0, 1150.0])
        assert "the bucket is empty" in detections[2].reason

    def test_buckets_that_are_usually_empty_stay_quiet(self):
        rows = weekly_rows(6, weekend=0.0)  # no loads on weekends

        detections = zero_rows(daily(rows))

        # The first weekend cannot be known to be normal yet; every later weekend is.
        assert _flagged(detections) == [5, 6]

    def test_hours_without_loads_are_compared_with_the_same_hour(self):
        stamps = hours(24 * 14)
        rows = np.where(np.arange(stamps.size) % 24 < 8, 0.0, 500.0)  # no loads before 8am
        rows[-3] = 0.0  # a missing afternoon load

        detections = zero_rows(Series(stamps, rows))

        assert _flagged(detections) == [stamps.size - 3]
        assert "buckets at this hour" in detections[-3].reason

    def test_small_counts_can_be_zero_by_chance(self):
        detections = zero_rows(daily([3.0, 2.0, 4.0, 3.0, 0.0]))

        assert _flagged(detections) == []

    def test_expected_and_incident_labels_are_respected(self):
        values = [900.0, 950.0, 0.0, 0.0]
        expected = np.array([False, False, True, False])
        excluded = np.array([True, True, False, False])

        detections = zero_rows(daily(values, expected=expected, excluded=excluded))

        assert detections[2].state is State.EXPECTED
        assert _flagged(detections) == []

    def test_missing_values_are_missing(self):
        detections = zero_rows(daily([900.0, np.nan]))

        assert detections[1].state is State.MISSING


def _snapshot(days_: int, seed: int = 0) -> np.ndarray:
    """A growing table's row count: about 1,000 new rows a day on top of 2 million."""
    added = np.random.default_rng(seed).poisson(1000, days_).astype(float)
    return 2e6 + np.cumsum(added)


class TestStalledGrowth:
    def test_a_day_without_new_rows_alarms_though_the_count_barely_moved(self):
        counts = _snapshot(60)
        counts[50:] -= counts[50] - counts[49]  # day 50 adds nothing; later days grow again

        detections = stalled_growth(daily(counts))

        assert _flagged(detections) == [50]
        # Growth on the same weekday before (days 1, 8, ..., 43; hand computation).
        grown = [counts[d] - counts[d - 1] for d in range(1, 50, 7)]
        assert detections[50].expected == counts[49] + np.median(grown)
        assert "did not grow" in detections[50].reason

    def test_a_rerun_soon_after_the_last_one_is_no_stall(self):
        counts = _snapshot(40)
        stamps = days(41).astype("datetime64[s]")
        stamps[-1] = stamps[-2] + np.timedelta64(16 * 3600, "s")  # 16 hours after the last
        values = np.append(counts, counts[-1])  # nothing loaded in between

        assert _flagged(stalled_growth(Series(stamps, values))) == []

    def test_a_growing_count_raises_nothing(self):
        assert _flagged(stalled_growth(daily(_snapshot(90, seed=3)))) == []

    def test_a_per_bucket_count_is_no_snapshot_even_with_a_flat_day(self):
        rows = weekly_rows(10)
        rows[40] = rows[39]  # the same count two days running: growth 0, but no snapshot

        assert _flagged(stalled_growth(daily(rows))) == []

    def test_too_short_a_history_says_nothing(self):
        counts = _snapshot(SNAPSHOT_MIN_STEPS)
        counts[-1] = counts[-2]

        assert _flagged(stalled_growth(daily(counts))) == []

    def test_a_table_that_grows_only_on_weekdays_may_stay_flat_on_weekends(self):
        added = np.tile([1000.0] * 5 + [0.0, 0.0], 10)
        counts = 5e5 + np.cumsum(added)

        detections = stalled_growth(daily(counts))

        # The first weekend cannot be known to be normal yet; every later weekend is.
        assert _flagged(detections) == []


class TestAboveLimit:
    def test_flags_points_above_the_limit_only(self):
        detections = above_limit(daily([1.0, 5.0, 5.1, np.nan]), 5.0, label="x", unit=Unit.NUMBER)

        assert _flagged(detections) == [2]
        assert detections[2].upper == 5.0
        assert detections[3].state is State.MISSING


class TestFreshnessSla:
    def test_lag_beyond_the_sla(self):
        detections = freshness_sla(daily([3600.0, 30000.0]), 6 * 3600)

        assert _flagged(detections) == [1]
        assert detections[1].reason == "data age 8h 20m is beyond the freshness SLA (6h)"


class TestNullRateLimit:
    def test_rate_above_the_allowed_maximum(self):
        detections = null_rate_limit(daily([0.01, 0.05, 0.051]), 0.05)

        assert _flagged(detections) == [2]
        assert "5.1% is beyond the allowed maximum (5.0%)" in detections[2].reason
