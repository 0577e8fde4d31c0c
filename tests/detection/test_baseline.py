from __future__ import annotations

import numpy as np
import pytest

from monitor.detection.baseline import choose_profile, fit_baseline, robust_trend
from monitor.detection.phases import candidate_profiles

from .conftest import MONDAY_PEAK, days, hours, shaped_rows, weekly_rows


def _profiles(stamps, step):
    return {p.name: p for p in candidate_profiles(stamps, step)}


class TestChooseProfile:
    def test_weekend_drop_picks_weekdays_against_weekends(self):
        values = np.log1p(weekly_rows(8))

        profile, cover = choose_profile(values, np.arange(56), _profiles(days(56), 86400))

        assert profile.name == "weekpart"
        assert not cover

    def test_distinct_weekdays_pick_the_weekday_profile(self):
        values = np.log1p(shaped_rows(8, MONDAY_PEAK))

        profile, cover = choose_profile(values, np.arange(56), _profiles(days(56), 86400))

        assert profile.name == "weekday"
        assert not cover

    def test_one_bad_thursday_does_not_split_thursdays_off(self):
        values = weekly_rows(2)
        values[10] *= 0.5  # Thursday of week 2: a partial load that slipped into training

        profile, _ = choose_profile(np.log1p(values), np.arange(14), _profiles(days(14), 86400))

        assert profile.name == "weekpart"

    def test_noise_without_a_pattern_stays_plain(self):
        values = np.random.default_rng(0).normal(100, 5, 56)

        profile, cover = choose_profile(values, np.arange(56), _profiles(days(56), 86400))

        assert profile is None
        assert not cover

    def test_in_the_first_week_the_band_covers_what_was_seen(self):
        values = np.log1p(weekly_rows(1)[:6])

        profile, cover = choose_profile(values, np.arange(6), _profiles(days(6), 86400))

        assert profile is None
        assert cover

    def test_until_each_weekday_was_seen_three_times_the_band_still_covers(self):
        # 17 days: weekends seen twice (4 points), Thursday to Sunday only twice each.
        values = np.log1p(weekly_rows(3)[:17])

        profile, cover = choose_profile(values, np.arange(17), _profiles(days(17), 86400))

        assert profile.name == "weekpart"
        assert cover

    def test_hourly_data_with_a_weekly_pattern_picks_hour_of_week(self):
        stamps = hours(24 * 21)
        hour = np.arange(stamps.size) % 24
        weekend = (np.arange(stamps.size) // 24) % 7 >= 5
        monday = (np.arange(stamps.size) // 24) % 7 == 0
        values = np.sin(hour / 3.0) + np.where(weekend, -1.0, 0.0) + np.where(monday, 0.5, 0.0)
        values = values + np.random.default_rng(1).normal(0, 0.05, stamps.size)

        profile, _ = choose_profile(values, np.arange(stamps.size), _profiles(stamps, 3600))

        assert profile.name == "hour_of_week"

    @pytest.mark.parametrize(("seasonality", "name"), [("none", None), ("weekly", "weekday")])
    def test_a_configured_seasonality_is_obeyed(self, seasonality, name):
        values = np.random.default_rng(2).normal(100, 5, 56)

        profile, _ = choose_profile(
            values, np.arange(56), _profiles(days(56), 86400), seasonality=seasonality
        )

        assert (profile.name if profile else None) == name


class TestFitBaseline:
    def test_medians_per_weekday_match_numpy(self):
        values = shaped_rows(8, MONDAY_PEAK, seed=3)

        fit = fit_baseline(values, np.arange(56), _profiles(days(56), 86400))

        assert fit.profile.name == "weekday"
        for weekday in range(7):
            assert fit.medians[weekday] == np.median(values[weekday::7])
        assert fit.plain_median == np.median(values)

    def test_medians_per_weekpart_match_numpy(self):
        values = weekly_rows(8, seed=3)
        weekend = np.arange(56) % 7 >= 5

        fit = fit_baseline(values, np.arange(56), _profiles(days(56), 86400))

        assert fit.medians.tolist() == [np.median(values[~weekend]), np.median(values[weekend])]

    def test_a_phase_without_history_falls_back_to_the_plain_median(self):
        values = weekly_rows(8, seed=4)
        keep = np.flatnonzero(np.arange(56) % 7 != 2)  # every Wednesday was an incident
        profiles = _profiles(days(63), 86400)

        fit = fit_baseline(values[keep], keep, profiles, choice=(profiles["weekday"], True))

        expected, low, high, scale, cover = fit.center(58)  # the Wednesday after
        assert expected == np.median(values[keep])
        assert (low, high) == (values[keep].min(), values[keep].max())
        assert cover
        assert scale == fit.scale

    def test_cover_spans_what_the_same_weekday_did_before(self):
        values = weekly_rows(2, seed=5)[:10]
        profiles = _profiles(days(14), 86400)

        fit = fit_baseline(values, np.arange(10), profiles)

        _, low, high, _, cover = fit.center(12)  # a Saturday: only day 5 was one
        assert cover
        assert low == high == values[5]

    def test_a_constant_phase_gets_no_noise_scale(self):
        values = np.where(np.arange(56) % 7 >= 5, 0.0, 1000 + np.arange(56) % 5)

        fit = fit_baseline(values, np.arange(56), _profiles(days(56), 86400))

        assert fit.profile.name == "weekpart"
        assert fit.scales[1] == 0.0
        assert fit.scales[0] > 0.0

    def test_trend_projects_the_baseline_to_the_tested_point(self):
        values = 100.0 + np.arange(56) + np.random.default_rng(5).normal(0, 0.5, 56)
        profiles = _profiles(days(56), 86400)

        flat = fit_baseline(values, np.arange(56), profiles, seasonality="none")
        trended = fit_baseline(values, np.arange(56), profiles, seasonality="none", trend_to=56)

        assert flat.plain_median == pytest.approx(np.median(values))
        assert trended.medians[0] == pytest.approx(156, abs=1.5)


class TestRobustTrend:
    def test_finds_a_clear_slope(self):
        residuals = 0.5 * np.arange(40) + np.random.default_rng(6).normal(0, 1, 40)

        assert robust_trend(residuals, np.arange(40)) == pytest.approx(0.5, abs=0.1)

    def test_no_slope_in_noise(self):
        residuals = np.random.default_rng(7).normal(0, 1, 40)

        assert robust_trend(residuals, np.arange(40)) == 0.0

    def test_too_few_points(self):
        assert robust_trend(np.arange(6.0), np.arange(6)) == 0.0
