"""UTC handling at the edges."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.errors import InputError
from monitor.timeutil import (
    CLOCK_SKEW,
    as_utc,
    bucket_width,
    floor_time,
    iso,
    not_in_future,
    parse_time,
    to_naive_utc,
)


class TestParseTime:
    @pytest.mark.parametrize(("text", "expected"), [
        ("2026-01-31", dt.datetime(2026, 1, 31, tzinfo=dt.UTC)),
        ("2026-01-31T06:00:00Z", dt.datetime(2026, 1, 31, 6, tzinfo=dt.UTC)),
        ("2026-01-31T08:00:00+02:00", dt.datetime(2026, 1, 31, 6, tzinfo=dt.UTC)),
        ("2026-01-31 06:00", dt.datetime(2026, 1, 31, 6, tzinfo=dt.UTC)),
    ])
    def test_iso_forms(self, text: str, expected: dt.datetime) -> None:
        assert parse_time(text) == expected

    def test_rejects_other_text_with_an_example(self) -> None:
        with pytest.raises(ValueError, match="ISO 8601 time such as 2026-01-31"):
            parse_time("yesterday")  # no clock given: config files take absolute times

    NOW = dt.datetime(2026, 12, 1, 8, 19, 30, tzinfo=dt.UTC)

    @pytest.mark.parametrize(("text", "expected"), [
        ("7d", dt.datetime(2026, 11, 24, 8, 19, 30, tzinfo=dt.UTC)),
        ("36h", dt.datetime(2026, 11, 29, 20, 19, 30, tzinfo=dt.UTC)),
        ("90m", dt.datetime(2026, 12, 1, 6, 49, 30, tzinfo=dt.UTC)),
        ("30s", dt.datetime(2026, 12, 1, 8, 19, tzinfo=dt.UTC)),
        ("2w", dt.datetime(2026, 11, 17, 8, 19, 30, tzinfo=dt.UTC)),
        ("1.5d", dt.datetime(2026, 11, 29, 20, 19, 30, tzinfo=dt.UTC)),
        ("7d ago", dt.datetime(2026, 11, 24, 8, 19, 30, tzinfo=dt.UTC)),
        (" 36H ", dt.datetime(2026, 11, 29, 20, 19, 30, tzinfo=dt.UTC)),
        ("today", dt.datetime(2026, 12, 1, tzinfo=dt.UTC)),
        ("Yesterday", dt.datetime(2026, 11, 30, tzinfo=dt.UTC)),
        ("now", NOW),
        ("2026-01-31", dt.datetime(2026, 1, 31, tzinfo=dt.UTC)),  # absolute still works
    ])
    def test_relative_to_a_fixed_clock(self, text: str, expected: dt.datetime) -> None:
        assert parse_time(text, now=self.NOW) == expected

    def test_a_naive_clock_is_utc(self) -> None:
        assert parse_time("today", now=dt.datetime(2026, 12, 1, 23, 59)) == dt.datetime(
            2026, 12, 1, tzinfo=dt.UTC)

    @pytest.mark.parametrize("bad", ["7", "7x", "-7d", "d", "tomorrow", "7 days", ""])
    def test_rejects_other_relative_text_with_both_forms(self, bad: str) -> None:
        with pytest.raises(ValueError, match="2026-01-31T06:00:00Z, or 7d, 36h, today"):
            parse_time(bad, now=self.NOW)

    def test_an_amount_before_year_one_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="before the year 1"):
            parse_time("99999999w", now=self.NOW)

    @given(st.integers(min_value=0, max_value=10**4), st.sampled_from("smhdw"))
    def test_an_amount_ago_is_that_many_seconds_before_now(self, amount: int, unit: str) -> None:
        seconds = amount * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]

        assert (self.NOW - parse_time(f"{amount}{unit}", now=self.NOW)).total_seconds() == seconds


class TestNotInFuture:
    NOW = dt.datetime(2026, 12, 1, 8, 19, tzinfo=dt.UTC)

    @given(st.integers(min_value=-10**9, max_value=int(CLOCK_SKEW.total_seconds())))
    def test_now_the_past_and_the_clock_skew_pass(self, seconds: int) -> None:
        when = self.NOW + dt.timedelta(seconds=seconds)

        assert not_in_future(when, self.NOW) == when

    @given(st.integers(min_value=int(CLOCK_SKEW.total_seconds()) + 1, max_value=10**9))
    def test_beyond_the_skew_is_bad_input_naming_the_option(self, seconds: int) -> None:
        when = self.NOW + dt.timedelta(seconds=seconds)

        with pytest.raises(InputError, match="^--as-of .* UTC is in the future"):
            not_in_future(when, self.NOW, what="--as-of")

    def test_naive_times_are_utc(self) -> None:
        with pytest.raises(InputError, match="2027-01-01 00:00 UTC"):
            not_in_future(dt.datetime(2027, 1, 1), self.NOW)


class TestFloorTime:
    def test_hour_and_day(self) -> None:
        when = dt.datetime(2026, 5, 4, 13, 45, 12, tzinfo=dt.UTC)

        assert floor_time(when, "hour") == dt.datetime(2026, 5, 4, 13, tzinfo=dt.UTC)
        assert floor_time(when, "day") == dt.datetime(2026, 5, 4, tzinfo=dt.UTC)
        assert bucket_width("hour") == dt.timedelta(hours=1)


class TestAsUtc:
    def test_naive_is_taken_as_utc_and_dates_become_midnight(self) -> None:
        assert as_utc(dt.datetime(2026, 1, 1, 5)).tzinfo == dt.UTC
        assert as_utc(dt.date(2026, 1, 1)) == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        offset = dt.timezone(dt.timedelta(hours=-5))
        assert to_naive_utc(dt.datetime(2026, 1, 1, 5, tzinfo=offset)) == dt.datetime(2026, 1, 1,
                                                                                      10)
        assert iso(None) is None
