from __future__ import annotations

import numpy as np
import pytest

from monitor.detection.calendar import holiday_mask
from monitor.errors import ConfigError


class TestHolidayMask:
    def test_us_holidays_and_the_days_next_to_them(self):
        days = np.arange("2013-07-01", "2013-07-08", dtype="datetime64[D]")

        mask = holiday_mask(days, "US")

        # Independence Day, Thursday 4 July 2013, and one day either side (by hand).
        assert days[mask].astype(str).tolist() == ["2013-07-03", "2013-07-04", "2013-07-05"]

    def test_christmas_eve_and_new_years_eve_count(self):
        days = np.array(["2013-12-24", "2013-12-31", "2013-12-10"], dtype="datetime64[D]")

        assert holiday_mask(days, "US", margin_days=0).tolist() == [True, True, False]

    def test_hourly_points_follow_their_day(self):
        hours = np.arange("2013-11-28T00", "2013-11-28T03", dtype="datetime64[h]")

        assert holiday_mask(hours, "us", margin_days=0).tolist() == [True, True, True]

    def test_no_points_no_mask(self):
        assert holiday_mask(np.array([], dtype="datetime64[D]")).size == 0

    def test_an_unknown_calendar_is_a_config_error(self):
        with pytest.raises(ConfigError, match="unknown holiday calendar"):
            holiday_mask(np.array(["2013-01-01"], dtype="datetime64[D]"), "Narnia")
