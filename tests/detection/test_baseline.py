from __future__ import annotations

import numpy as np
import pytest

from monitor.detection.baseline import choose_profile, fit_baseline, robust_trend
from monitor.detection.phases import candidate_profiles

from .conftest import days, hours, weekly_rows


def _profiles(stamps, step):
    return {p.name: p for p in candidate_profiles(stamps, step)}


class TestChooseProfile:
    def test_weekend_drop_picks_the_weekday_profile(self):
        values = np.log1p(weekly_rows(8))

        profile, cover = choose_profile(values, np.arange(56), _profiles(days(56), 86400))

        assert profile.name == "weekday"
        assert not cover

    def test_noise_without_a_pattern_stays_plain(self):
        values = np.random.default_rng(0).normal(100, 5, 56)

        profile, cover = choose_profile(values, np.arange(56), _profiles(days(56), 86400))

        assert profile is None
        assert not cover

    def test_under_two_weeks_the_band_covers_what_was_seen(self):
        values = np.log1p(weekly_rows(2)[:10])

        profile, cover = choose_profile(values, np.arange(10), _profiles(days(10), 86400))

        assert profile is None
        assert cover

    def test_hourly_data_with_a_weekly_pattern_picks_hour_of_week(self):
        stamps = hours(24 * 21)
        hour = np.arange(stamps.size) % 24
        weekend = (np.arange(stamps.size) // 24) % 7 >= 5
        values = np.sin(hour / 3.0) + np.where(weekend, -1.0, 0.0)
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
        values = weekly_rows(8, seed=3)

        fit = fit_baseline(values, np.arange(56), _profiles(days(56), 86400))

        for weekday in range(7):
            assert fit.medians[weekday] == np.median(values[weekday::7])
        assert fit.plain_median == np.median(values)

    def test_a_phase_without_history_falls_back_to_the_plain_median(self):
        values = weekly_rows(8, seed=4)
        keep = np.flatnonzero(np.arange(56) % 7 != 2)  # every Wednesday was an incident
        profiles = _profiles(days(56), 86400)

        fit = fit_baseline(values[keep], keep, profiles, choice=(profiles["weekday"], False))

        expected, low, high, scale, cover = fit.center(2)
        assert expected == np.median(values[keep])
        assert (low, high) == (values[keep].min(), values[keep].max())
        assert cover
        assert scale == fit.scale

    def test_a_constant_phase_gets_no_noise_scale(self):
        values = np.where(np.arange(56) % 7 >= 5, 0.0, 1000 + np.arange(56) % 5)

        fit = fit_baseline(values, np.arange(56), _profiles(days(56), 86400))

        assert fit.scales[5] == 0.0
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
