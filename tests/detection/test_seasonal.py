from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.detection.result import State
from monitor.detection.seasonal import (
    backward,
    band_score,
    binomial_band,
    detect,
    fit_bands,
    forward,
    poisson_band,
    resolved_windows,
    tail_factor,
    watches,
)
from monitor.detection.series import Series
from monitor.detection.settings import DetectorSettings, defaults_for
from monitor.detection.wording import Unit
from monitor.errors import MonitorError

from .conftest import MONDAY, MONDAY_PEAK, daily, days, hours, shaped_rows, weekly_rows

PLAIN = DetectorSettings()  # additive, both directions, no floors: easy to compute by hand
# Additive too (so expected values are plain medians) but with a 10% floor, like volume.
FLOORED = DetectorSettings(min_relative_change=0.1)
WEEKLY = FLOORED.merged({"seasonality": "weekly"})  # always by weekday once testable
VOLUME = defaults_for("volume")
NULL_RATE = defaults_for("null_rate")


def _same_weekday_median(values: np.ndarray, i: int, window: int = 56, skip=()) -> float:
    """Hand computation: median of the same weekday in the window before point ``i``."""
    past = [j for j in range(max(0, i - window), i) if j % 7 == i % 7 and j not in skip]
    return float(np.median(values[past]))


def _same_weekpart_median(values: np.ndarray, i: int, window: int = 56, skip=()) -> float:
    """Hand computation: median of the weekdays (or weekend days) before point ``i``."""
    weekend = (i % 7) >= 5
    past = [j for j in range(max(0, i - window), i) if ((j % 7) >= 5) == weekend and j not in skip]
    return float(np.median(values[past]))


def _anomalies(detections) -> list[int]:
    return [i for i, d in enumerate(detections) if d.is_anomaly]


class TestDetect:
    def test_empty_series_gives_nothing(self):
        assert detect(Series(np.array([], dtype="datetime64[ns]"), [])) == []

    def test_a_single_point_is_learning(self):
        [only] = detect(daily([42.0]))

        assert only.state is State.LEARNING
        assert not only.is_anomaly
        assert only.reason.startswith("learning: 0 of ")

    def test_cold_start_is_learning_until_min_history(self):
        detections = detect(daily(weekly_rows(2)), PLAIN.merged({"min_history": 5}))

        assert [d.state for d in detections[:5]] == [State.LEARNING] * 5
        assert all(d.state is not State.LEARNING for d in detections[5:])

    def test_constant_series_stays_quiet_and_a_real_jump_fires(self):
        values = np.full(70, 500.0)
        values[60] = 501.0  # one row more: below the 10% floor
        values[65] = 800.0

        detections = detect(daily(values), VOLUME, unit=Unit.COUNT, label="rows")

        assert _anomalies(detections) == [65]
        assert detections[65].direction == "up"
        assert detections[60].state is State.OK

    @pytest.mark.parametrize("kind", ["volume", "null_rate", "distribution"])
    def test_all_zeros_stay_quiet(self, kind):
        detections = detect(daily(np.zeros(60)), defaults_for(kind))

        assert _anomalies(detections) == []
        assert all(np.isfinite(d.expected) for d in detections[7:])

    def test_missing_values_are_missing_and_stay_out_of_training(self):
        values = weekly_rows(10, seed=1)
        values[[14, 21, 28]] = np.nan

        detections = detect(daily(values), FLOORED)

        assert [detections[i].state for i in (14, 21, 28)] == [State.MISSING] * 3
        assert not any(detections[i].is_anomaly for i in (14, 21, 28))
        assert detections[35].expected == _same_weekpart_median(values, 35, skip={14, 21, 28})

    def test_weekend_drop_raises_no_alarm(self, rows_with_weekend_drop):
        detections = detect(rows_with_weekend_drop, VOLUME, unit=Unit.COUNT)

        assert _anomalies(detections) == []

    def test_expected_is_the_median_of_the_same_weekday_before(self):
        values = shaped_rows(12, MONDAY_PEAK, seed=2)

        detections = detect(daily(values), PLAIN)

        for i in (21, 30, 57, 83):
            assert detections[i].expected == _same_weekday_median(values, i)
            assert detections[i].lower < detections[i].expected < detections[i].upper
        assert "for a " in detections[83].reason

    def test_weekdays_against_weekends_when_that_is_all_the_pattern(self):
        values = weekly_rows(12, seed=2)

        detections = detect(daily(values), PLAIN)

        for i in (21, 30, 57, 83):
            assert detections[i].expected == _same_weekpart_median(values, i)
        assert "on weekends" in detections[83].reason

    def test_without_a_pattern_expected_is_the_median_of_the_window(self):
        values = 100 + np.random.default_rng(3).normal(0, 2, 90)

        detections = detect(daily(values), PLAIN.merged({"seasonality": "none"}))

        for i in (10, 40, 89):
            assert detections[i].expected == pytest.approx(np.median(values[max(0, i - 56) : i]))

    def test_a_point_is_judged_only_on_points_before_it(self):
        values = weekly_rows(10, seed=4)
        changed = values.copy()
        changed[40:] = changed[40:] * 3

        before = detect(daily(values), VOLUME)
        after = detect(daily(changed), VOLUME)

        for i in range(40):
            assert before[i].to_dict() == after[i].to_dict()
        assert after[40].expected == before[40].expected
        assert after[40].is_anomaly

    def test_with_precedent_a_repeat_is_held_unless_the_first_is_labeled(self):
        values = weekly_rows(16, seed=0)
        values[[64, 78]] *= 0.45  # the same partial load twice, two weeks apart
        incident = np.zeros(values.size, dtype=bool)
        incident[64] = True  # the first one labeled an incident: no precedent
        settings = VOLUME.merged({"precedent": True})

        unlabeled = detect(daily(values), settings, unit=Unit.COUNT)
        labeled = detect(daily(values, excluded=incident), settings, unit=Unit.COUNT)

        assert _anomalies(unlabeled) == [64]
        assert "moved as far this way" in unlabeled[78].reason
        assert _anomalies(labeled) == [64, 78]

    def test_a_past_incident_does_not_hide_the_next_one(self):
        values = weekly_rows(14, seed=5)
        values[[70, 71]] *= 0.5  # a two-day partial load on Monday and Tuesday of week 11
        values[84] *= 0.5  # the same fault two weeks later, still inside the training window

        detections = detect(daily(values), FLOORED)

        assert _anomalies(detections) == [70, 71, 84]
        assert detections[77].expected == _same_weekpart_median(values, 77, skip={70, 71})

    def test_level_shift_flags_the_start_then_relearns(self):
        values = weekly_rows(14, seed=3)
        values[56:] *= 2  # from Monday of week 9 on, every day loads twice the rows

        detections = detect(daily(values), VOLUME, unit=Unit.COUNT)

        _, _, confirm = resolved_windows(VOLUME, 86400)
        assert _anomalies(detections) == list(range(56, 56 + confirm))
        assert "level shift confirmed" in detections[56 + confirm - 1].reason
        relearned = detections[70]  # a Monday: compare with the weekdays after the shift
        assert relearned.expected == pytest.approx(np.median(values[56:61]), rel=0.1)
        assert not relearned.is_anomaly

    def test_a_changed_weekday_is_relearned_after_three_weeks(self):
        values = weekly_rows(18, seed=12)
        saturdays = np.flatnonzero(
            (np.arange(values.size) % 7 == 5) & (np.arange(values.size) >= 70)
        )
        values[saturdays] *= 3  # a new Saturday batch from week 11 on

        detections = detect(daily(values), FLOORED)

        assert _anomalies(detections) == saturdays[:3].tolist()
        assert "re-learned" in detections[saturdays[2]].reason
        assert detections[saturdays[5]].expected == pytest.approx(values[saturdays[4]], rel=0.1)

    def test_expected_labels_are_never_anomalies_and_join_training(self):
        values = weekly_rows(12, seed=6)
        values[[50, 57]] *= 3
        labels = np.zeros(values.size, dtype=bool)
        labels[50] = True

        detections = detect(daily(values, expected=labels), WEEKLY)

        assert detections[50].state is State.EXPECTED
        assert not detections[50].is_anomaly
        assert "labeled expected" in detections[50].reason
        assert detections[57].is_anomaly
        assert detections[64].expected == _same_weekday_median(values, 64, skip={57})

    def test_incident_labels_stay_out_of_training(self):
        values = weekly_rows(12, seed=7)
        labels = np.zeros(values.size, dtype=bool)
        labels[[43, 50]] = True  # ordinary-looking days a user marked as incidents

        detections = detect(daily(values, excluded=labels), FLOORED)

        assert "labeled incident" in detections[50].reason
        assert detections[57].expected == _same_weekpart_median(values, 57, skip={43, 50})

    def test_null_rate_wiggle_from_zero_never_fires(self, null_rate_mostly_zero):
        detections = detect(null_rate_mostly_zero, NULL_RATE, unit=Unit.FRACTION)

        assert _anomalies(detections) == []

    def test_null_rate_jump_from_zero_fires(self, null_rate_mostly_zero):
        values = null_rate_mostly_zero.values.copy()
        values[70] = 0.05

        detections = detect(daily(values), NULL_RATE, unit=Unit.FRACTION, label="null rate")

        assert _anomalies(detections) == [70]
        assert detections[70].reason.startswith("null rate 5.0% is 5.0 points above the usual")

    def test_an_unwatched_direction_is_explained_not_alerted(self):
        rate = 0.1 + np.random.default_rng(8).normal(0, 0.002, 60)
        rate[50] = 0.0

        detections = detect(daily(rate), NULL_RATE, unit=Unit.FRACTION, label="null rate")

        assert not detections[50].is_anomaly
        assert detections[50].state is State.OK
        assert "only rises are watched" in detections[50].reason

    def test_hourly_daily_and_weekly_cycles_raise_no_alarm(self):
        stamps = hours(24 * 7 * 6)
        hour = np.arange(stamps.size) % 24
        weekend = (np.arange(stamps.size) // 24) % 7 >= 5
        level = 1000 * (1.5 + np.sin(2 * np.pi * hour / 24)) * np.where(weekend, 0.5, 1.0)
        rows = np.round(level * np.exp(np.random.default_rng(9).normal(0, 0.01, stamps.size)))
        rows[-30] = 0.5 * level[-30]

        detections = detect(Series(stamps, rows), VOLUME, unit=Unit.COUNT)

        assert _anomalies(detections) == [stamps.size - 30]
        assert "at " in detections[-30].reason

    def test_sustained_small_drop_on_noisy_hourly_data_fires(self):
        stamps = hours(24 * 7 * 5)
        rng = np.random.default_rng(10)
        rows = np.round(500 * np.exp(rng.normal(0, 0.12, stamps.size)))
        rows[-8:] = np.round(rows[-8:] * 0.7)  # 30% fewer rows for eight hours

        detections = detect(Series(stamps, rows), VOLUME, unit=Unit.COUNT, label="rows")

        flagged = _anomalies(detections)
        assert flagged
        assert min(flagged) >= stamps.size - 8
        assert any("sustained" in detections[i].reason for i in flagged)

    @settings(max_examples=40, deadline=None)
    @given(
        values=st.lists(
            st.one_of(
                st.floats(allow_nan=True, allow_infinity=True, width=32),
                st.sampled_from([0.0, 1.0, 1e12, -5.0]),
            ),
            min_size=0,
            max_size=80,
        ),
        kind=st.sampled_from(["volume", "null_rate", "distribution", "freshness"]),
        step_hours=st.sampled_from([1, 24, 24 * 7]),
    )
    def test_any_values_give_sane_verdicts(self, values, kind, step_hours):
        stamps = MONDAY + np.arange(len(values)) * np.timedelta64(step_hours, "h")
        series = Series(stamps, values)

        try:
            detections = detect(series, defaults_for(kind), unit=Unit.COUNT)
        except MonitorError:
            return

        assert len(detections) == len(values)
        for d in detections:
            assert d.is_anomaly in (True, False)
            assert d.is_anomaly == (d.state is State.ANOMALY)
            assert not d.is_anomaly or np.isfinite(d.value)
            if d.state is State.MISSING:
                assert not np.isfinite(d.value)
            if np.isfinite(d.lower) and np.isfinite(d.value) and d.state is State.OK:
                assert d.lower <= d.value <= d.upper or "not alerted" in d.reason


class TestFitBands:
    def test_arrays_match_the_detections(self, rows_with_weekend_drop):
        bands = fit_bands(rows_with_weekend_drop, VOLUME, unit=Unit.COUNT)
        detections = detect(rows_with_weekend_drop, VOLUME, unit=Unit.COUNT)

        assert bands.anomaly.tolist() == [d.is_anomaly for d in detections]
        assert np.array_equal(bands.expected, [d.expected for d in detections], equal_nan=True)

    def test_rule_flags_stay_out_of_training(self):
        values = weekly_rows(10, seed=11)
        flagged = np.zeros(values.size, dtype=bool)
        flagged[[42, 49]] = True

        bands = fit_bands(daily(values), WEEKLY, flagged=flagged)

        assert bands.expected[56] == _same_weekday_median(values, 56, skip={42, 49})


class TestForwardBackward:
    def test_log_transform_round_trips_including_zero_and_negatives(self):
        values = np.array([-10.0, 0.0, 0.5, 1e9])

        assert backward(forward(values, "log"), "log") == pytest.approx(values)
        assert forward(values, "none") is values


class TestResolvedWindows:
    def test_windows_follow_the_cadence(self):
        assert resolved_windows(PLAIN, 86400) == (56, 7, 4)
        assert resolved_windows(PLAIN, 3600) == (56 * 24, 7 * 24, 4 * 24)
        assert resolved_windows(PLAIN.merged({"training_window": 30}), 86400)[0] == 30


def test_days_helper_starts_on_a_monday():
    assert str(days(1)[0]) == "2024-01-01"


# ---------------------------------------------------------------- real-data behaviours


class TestPoissonBand:
    @pytest.mark.parametrize("mean", [0.5, 5.0, 50.0, 500.0, 50_000.0])
    def test_a_poisson_count_leaves_the_4_sigma_band_rarely(self, mean):
        from scipy.stats import poisson

        low, high = poisson_band(mean, 4.0)

        outside = poisson.cdf(np.ceil(low) - 1, mean) + poisson.sf(np.floor(high), mean)
        assert outside < 2e-3  # a normal's 4-sigma tails hold 6e-5; counts are discrete

    def test_the_band_widens_like_the_square_root_of_the_count(self):
        low, high = poisson_band(10_000.0, 4.0)

        assert high - 10_000 == pytest.approx(4 * np.sqrt(10_000), rel=0.02)
        assert 10_000 - low == pytest.approx(4 * np.sqrt(10_000), rel=0.02)


def _binomial_tail_above(count: int, rows: int, p: float) -> float:
    """Hand computation: P(X > count) for X ~ Binomial(rows, p), summed term by term."""
    terms = (math.comb(rows, x) * p**x * (1 - p) ** (rows - x) for x in range(count + 1, rows + 1))
    return sum(terms)


def _binomial_tail_below(count: int, rows: int, p: float) -> float:
    """Hand computation: P(X < count)."""
    return sum(math.comb(rows, x) * p**x * (1 - p) ** (rows - x) for x in range(0, count))


FOUR_SIGMA_TAIL = 3.167e-5  # one-sided tail of a normal beyond 4 sigma


class TestBinomialBand:
    def test_is_close_to_the_normal_approximation_on_a_large_bucket(self):
        low, high = binomial_band(0.85, 400.0, 3.0)

        sd = np.sqrt(0.85 * 0.15 / 400)  # hand computation
        assert (low, high) == pytest.approx((0.85 - 3 * sd, 0.85 + 3 * sd), abs=0.005)

    @pytest.mark.parametrize(("rate", "rows"), [(0.85, 100), (0.02, 60), (0.4, 25), (0.5, 7)])
    def test_binomial_noise_leaves_the_band_no_more_often_than_its_sigmas_say(self, rate, rows):
        low, high = binomial_band(rate, float(rows), 4.0)

        above = _binomial_tail_above(round(high * rows), rows, rate)
        below = _binomial_tail_below(round(low * rows), rows, rate)
        assert above <= FOUR_SIGMA_TAIL
        assert below <= FOUR_SIGMA_TAIL

    def test_two_nulls_in_five_rows_of_a_column_never_null_on_700_rows_are_outside(self):
        low, high = binomial_band(0.0, 5.0, 4.0, history_rows=700.0)

        assert low == 0.0
        assert 1 / 5 <= high < 2 / 5

    def test_without_history_a_never_null_column_allows_the_odd_null_row(self):
        low, high = binomial_band(0.0, 50.0, 4.0)

        assert low == 0.0
        assert high > 1 / 50

    def test_no_rows_means_any_rate(self):
        assert binomial_band(0.3, 0.0, 4.0) == (0.0, 1.0)


class TestWatches:
    @pytest.mark.parametrize(("direction", "up", "down"),
                             [("up", True, False), ("down", False, True), ("both", True, True)])
    def test_each_direction_watches_its_sides_and_never_no_move(self, direction, up, down):
        assert (watches(direction, 1), watches(direction, -1)) == (up, down)
        assert not watches(direction, 0)


class TestBandScore:
    def test_is_k_at_the_band_edges_on_either_side(self):
        assert band_score(120.0, 100.0, 90.0, 120.0, 4.0) == pytest.approx(4.0)
        assert band_score(90.0, 100.0, 90.0, 120.0, 4.0) == pytest.approx(-4.0)

    def test_a_zero_width_side_scores_infinite_only_when_left(self):
        assert band_score(1.0, 0.0, 0.0, 0.0, 4.0) == np.inf
        assert band_score(0.0, 0.0, 0.0, 0.0, 4.0) == 0.0


class TestTailFactor:
    def test_normal_errors_keep_the_band(self):
        scores = np.random.default_rng(3).normal(size=2000)

        assert tail_factor(scores, np.ones(2000, bool)) == pytest.approx(1.0, abs=0.05)

    def test_heavy_tailed_errors_widen_it_by_their_90_percent_quantile(self):
        scores = np.random.default_rng(4).laplace(size=5000)
        # Laplace(1): P(|x| > q) = exp(-q), so q90 = ln 10 (hand computation).
        expected = np.log(10) / 1.6449

        assert tail_factor(scores, np.ones(5000, bool)) == pytest.approx(expected, rel=0.05)

    def test_few_errors_say_nothing(self):
        assert tail_factor(np.full(10, 9.0), np.ones(10, bool)) == 1.0

    def test_flagged_storms_widen_it_when_all_judged_points_are_passed(self):
        # 90 quiet days with unit errors and 10 storm days 8 fitted sigmas out, all flagged.
        scores = np.r_[np.tile([-1.0, 1.0], 45), np.full(10, 8.0)]
        unflagged = np.r_[np.ones(90, bool), np.zeros(10, bool)]
        judged = np.ones(100, bool)
        # 95% quantile of |scores| (numpy's linear rule, by hand): 8.0, against 1.96.
        expected = 8.0 / 1.95996

        assert tail_factor(scores, unflagged) == 1.0
        assert tail_factor(scores, unflagged, judged) == pytest.approx(expected, rel=1e-3)

    def test_rare_flagged_faults_do_not_widen_it(self):
        # 3 faults in 100 points stay above the 95% quantile of all judged points.
        scores = np.r_[np.tile([-1.0, 1.0], 48) * 0.5, np.full(4, 20.0)]
        judged = np.ones(100, bool)

        assert tail_factor(scores, np.r_[np.ones(96, bool), np.zeros(4, bool)], judged) == 1.0

    def test_the_widening_from_all_points_is_capped_at_six(self):
        scores = np.r_[np.zeros(50), np.full(50, 100.0)]

        assert tail_factor(scores, np.ones(100, bool) & (scores == 0), np.ones(100, bool)) == 6.0


class TestRealDataBehaviours:
    def test_a_holiday_dip_in_history_does_not_disturb_later_weeks(self):
        values = shaped_rows(10, [1000, 1050, 1000, 1020, 950, 550, 450], noise=0.05, seed=21)
        values[17] = 0.5 * values[17]  # a public holiday on the third Thursday

        detections = detect(daily(values), VOLUME, unit=Unit.COUNT, label="rows")

        assert _anomalies(detections) == [17]  # the holiday itself is unusual, nothing after

    def test_growing_snapshot_counts_are_followed_by_the_trend(self):
        rng = np.random.default_rng(5)
        daily_rows = rng.poisson(2000 * np.linspace(1.0, 1.6, 120))
        total = 50_000 + np.cumsum(daily_rows).astype(float)
        truncated = total.copy()
        truncated[100] *= 0.7  # a failed reload kept 70% of the table for a day

        quiet = detect(daily(total), VOLUME, unit=Unit.COUNT)
        loud = detect(daily(truncated), VOLUME, unit=Unit.COUNT)

        assert _anomalies(quiet) == []
        assert _anomalies(loud) == [100]
        assert quiet[-1].expected == pytest.approx(total[-1], rel=0.03)  # not lagging behind

    def test_after_a_lasting_level_shift_alerts_stop_within_a_week(self):
        values = shaped_rows(14, [1000] * 5 + [500] * 2, noise=0.04, seed=8)
        values[60:] *= 0.6  # a source was switched off for good

        flagged = _anomalies(detect(daily(values), VOLUME, unit=Unit.COUNT))

        assert flagged
        assert min(flagged) == 60
        assert max(flagged) < 67

    def test_a_sparse_hourly_count_with_zeros_raises_no_alarm(self):
        stamps = hours(24 * 7 * 6)
        hour = np.arange(stamps.size) % 24
        mean = np.where((hour >= 8) & (hour < 20), 3.0, 0.3)  # a few rows a day, zeros at night
        rows = np.random.default_rng(6).poisson(mean).astype(float)

        detections = detect(Series(stamps, rows), VOLUME, unit=Unit.COUNT)

        assert _anomalies(detections) == []

    def test_a_null_rate_with_frequent_storms_learns_to_tolerate_them(self):
        rng = np.random.default_rng(11)
        rate = np.clip(rng.normal(0.015, 0.003, 150), 0, 1)
        storms = rng.choice(np.arange(10, 150), 12, replace=False)  # one day in twelve
        rate[storms] = rng.uniform(0.03, 0.07, storms.size)  # a storm cancels 3-7% of flights
        rate[140] = 0.6  # a broken load: most of the column null

        flagged = _anomalies(detect(daily(rate), NULL_RATE, unit=Unit.FRACTION))

        late_storms = [int(i) for i in storms if i >= 100]
        assert 140 in flagged
        assert not set(late_storms) & set(flagged)  # by then storms are the usual tail

    def test_a_never_null_column_on_tiny_buckets_alerts_when_two_of_five_rows_are_null(self):
        rng = np.random.default_rng(5)
        rows = rng.integers(3, 12, 100).astype(float)  # a few rows a day, never null
        rate = np.zeros(100)
        rate[90], rows[90] = 2 / 5, 5.0  # 2 of 5 rows null

        bands = fit_bands(daily(rate), NULL_RATE, unit=Unit.FRACTION, rows=rows)

        assert np.flatnonzero(bands.anomaly).tolist() == [90]

    def test_a_never_null_column_turning_20_percent_null_on_day_four_alerts_while_learning(self):
        rows = np.full(30, 2000.0)
        rate = np.zeros(30)
        rate[3] = 0.2

        detections = detect(daily(rate), NULL_RATE, unit=Unit.FRACTION, label="null rate")
        bands = fit_bands(daily(rate), NULL_RATE, unit=Unit.FRACTION, rows=rows)

        assert _anomalies(detections) == [3]
        assert "judged against the median of the 3 points so far" in detections[3].reason
        assert bands.state[4] is State.LEARNING  # the point stays out of training
        assert np.flatnonzero(bands.anomaly).tolist() == [3]

    def test_first_days_of_a_noisy_null_rate_stay_quiet_inside_half_their_median(self):
        rng = np.random.default_rng(2)
        rows = rng.integers(800, 1200, 7).astype(float)
        rate = rng.binomial(rows.astype(int), 0.04) / rows
        rate[5] = 1.4 * np.median(rate[:5])  # 40% above the first days: inside half

        bands = fit_bands(daily(rate), NULL_RATE, unit=Unit.FRACTION, rows=rows)

        assert not bands.anomaly.any()
        assert bands.state[5] is State.LEARNING

    def test_an_85_percent_null_column_on_small_buckets_stays_inside_its_sampling_noise(self):
        rng = np.random.default_rng(7)
        rows = rng.integers(80, 120, 120).astype(float)
        rate = rng.binomial(rows.astype(int), 0.85) / rows

        without = detect(daily(rate), NULL_RATE, unit=Unit.FRACTION)
        with_rows = fit_bands(daily(rate), NULL_RATE, unit=Unit.FRACTION, rows=rows)

        assert _anomalies(without) == []
        # The chance that binomial noise alone puts the last bucket above its band is at
        # most the one-sided tail of the band's sigmas (hand-summed binomial tail).
        n, p = int(rows[-1]), float(with_rows.expected[-1])
        assert _binomial_tail_above(int(with_rows.upper[-1] * n + 1e-9), n, p) <= 1e-4

    def test_storms_like_an_earlier_one_are_not_alerted_but_a_bigger_fault_is(self):
        rng = np.random.default_rng(3)
        delay = np.round(rng.normal(12.0, 1.0, 120), 2)  # a mean delay in minutes
        delay[[40, 61, 83]] = [40.0, 35.0, 38.0]  # storms: the first is the largest
        delay[100] = 60.0  # a broken load: far beyond any storm

        settings = defaults_for("distribution").merged({"precedent": True})
        detections = detect(daily(delay), settings)

        assert _anomalies(detections) == [40, 100]
        assert "moved as far this way" in detections[61].reason
        assert "moved as far this way" in detections[83].reason

    def test_by_default_every_storm_alerts(self):
        rng = np.random.default_rng(3)
        delay = np.round(rng.normal(12.0, 1.0, 120), 2)
        delay[[40, 61, 83]] = [40.0, 35.0, 38.0]

        detections = detect(daily(delay), defaults_for("distribution"))

        assert _anomalies(detections) == [40, 61, 83]

