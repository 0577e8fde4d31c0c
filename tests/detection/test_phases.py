from __future__ import annotations

import numpy as np
import pandas as pd

from monitor.detection.phases import (
    Profile,
    cadence,
    candidate_profiles,
    plain_profile,
    points_in,
    weekday_of,
)

from .conftest import days, hours


class TestWeekdayOf:
    def test_matches_pandas(self):
        stamps = days(20, np.datetime64("2023-12-28"))

        assert weekday_of(stamps).tolist() == pd.DatetimeIndex(stamps).day_of_week.tolist()


class TestCadence:
    def test_names_cadences(self):
        assert [cadence(s) for s in (3600, 86400, 7 * 86400, float("nan"))] == [
            "subdaily",
            "daily",
            "coarse",
            "coarse",
        ]


class TestCandidateProfiles:
    def test_daily_data_groups_by_weekday_and_weekpart(self):
        weekday, weekpart = candidate_profiles(days(10), 86400)

        assert weekday.name == "weekday"
        assert weekday.groups.tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1, 2]
        assert weekpart.name == "weekpart"
        assert weekpart.groups.tolist() == [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]

    def test_hourly_data_groups_by_hour_of_week_and_hour_of_day(self):
        stamps = hours(24 * 8)

        profiles = {p.name: p for p in candidate_profiles(stamps, 3600)}

        assert profiles["hour_of_day"].groups[:26].tolist() == [*range(24), 0, 1]
        assert profiles["hour_of_week"].groups[24 * 7 + 5] == 5
        assert profiles["hour_of_week"].groups[24 + 5] == 24 + 5
        assert profiles["hour_of_week"].size == 168
        assert profiles["hour_of_weekpart"].groups[24 * 5 + 7] == 24 + 7
        assert list(profiles) == [
            "hour_of_week",
            "hour_of_weekpart",
            "hour_of_day",
            "weekday",
            "weekpart",
        ]

    def test_weekly_data_has_no_profile(self):
        assert candidate_profiles(days(5), 7 * 86400) == []


class TestProfile:
    def test_context_words(self):
        stamps = hours(24 * 7)
        profiles = {p.name: p for p in candidate_profiles(stamps, 3600)}

        assert profiles["hour_of_day"].context(14) == "at 14:00"
        assert profiles["hour_of_week"].context(24 + 9) == "for a Tuesday at 09:00"
        assert profiles["hour_of_weekpart"].context(24 + 9) == "at 09:00 on weekends"
        assert profiles["weekpart"].context(0) == "on weekdays"
        assert Profile("weekday", np.zeros(1, dtype=int), 7).context(5) == "for a Saturday"
        assert plain_profile(3).context(0) == ""


class TestPointsIn:
    def test_counts_points(self):
        assert points_in(7 * 86400, 3600) == 168
        assert points_in(3600, 86400) == 1
        assert points_in(86400, float("nan")) == 1
