"""One style per kind of value: durations, numbers, percentages, ids, text."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.formatting import (
    MISSING,
    duration,
    identifier,
    number,
    percent,
    text,
    timestamp,
)

_DURATION_PART = re.compile(r"^(\d+)([dhms])$")
_SIZES = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def _seconds_of(shown: str) -> float:
    """Hand-written inverse of the documented style: '1d 6h' -> 108000."""
    sign = -1 if shown.startswith("-") else 1
    total = 0
    for part in shown.lstrip("-").split():
        count, unit = _DURATION_PART.match(part).groups()  # type: ignore[union-attr]
        total += int(count) * _SIZES[unit]
    return sign * total


class TestDuration:
    @pytest.mark.parametrize(("seconds", "shown"), [
        (0, "0s"), (45, "45s"), (59.4, "59s"), (59.6, "1m"), (60, "1m"), (90, "1m 30s"),
        (900, "15m"), (3600, "1h"), (5400, "1h 30m"), (15180, "4h 13m"), (3599.7, "1h"),
        (86399, "1d"), (86400, "1d"), (108000, "1d 6h"), (110000, "1d 7h"),
        (30 * 86400 + 3 * 3600, "30d 3h"), (-75, "-1m 15s"), (0.5, "0.5s"), (0.04, "0.04s"),
    ])
    def test_hand_computed(self, seconds: float, shown: str) -> None:
        assert duration(seconds) == shown

    @pytest.mark.parametrize(("value", "shown"), [
        (None, MISSING), (float("nan"), "n/a"), (float("inf"), "∞")])
    def test_values_that_are_not_durations(self, value: float | None, shown: str) -> None:
        assert duration(value) == shown

    @given(st.floats(min_value=1, max_value=1e9))
    def test_two_units_at_most_and_close_to_the_value(self, seconds: float) -> None:
        shown = duration(seconds)

        parts = shown.split()
        units = [_DURATION_PART.match(p).group(2) for p in parts]  # type: ignore[union-attr]
        assert len(parts) <= 2
        assert units == sorted(units, key=lambda u: -_SIZES[u])  # largest unit first
        # off by at most half the smaller unit shown (the rounding)
        smallest = _SIZES[units[-1]] if len(parts) == 2 else _SIZES[units[0]]
        assert abs(_seconds_of(shown) - seconds) <= max(smallest, 1) / 2 + 1e-6 * seconds


class TestNumber:
    @pytest.mark.parametrize(("value", "shown"), [
        (1263.1067555555544, "1,263.11"), (76608, "76,608"), (1234567, "1,234,567"),
        (1234567.0, "1,234,567"), (12.5, "12.5"), (3.14159, "3.14"), (1.005, "1"),
        (0.031249, "0.0312"), (0.5, "0.5"), (0.000123, "0.000123"), (-2.25, "-2.25"),
        (2.5e-8, "2.5e-08"), (1.5e20, "1.5e+20"), (0, "0"), (0.0, "0"),
        (Decimal("19.990"), "19.99"), (10**20, "100,000,000,000,000,000,000"),
        ("EUR", "EUR"), (None, MISSING), (float("nan"), "n/a"), (float("-inf"), "-∞"),
    ])
    def test_hand_computed(self, value: object, shown: str) -> None:
        assert number(value) == shown  # type: ignore[arg-type]

    @pytest.mark.parametrize(("value", "shown"), [
        (999.29, "999"), (1030.03, "1,030"), (12.345, "12.3"), (9.999, "10"), (0.031249, "0.0312"),
        (-0.000123456, "-0.000123"), (3.0, "3"), (76608.4, "76,608"),
    ])
    def test_significant_digits(self, value: float, shown: str) -> None:
        assert number(value, significant=3) == shown

    @given(st.floats(min_value=-1e14, max_value=1e14, allow_nan=False))
    def test_reads_back_close_without_noise(self, value: float) -> None:
        shown = number(value)

        if abs(value) < 1e-6 and value != 0:
            assert "e" in shown
            return
        digits = shown.replace(",", "")
        assert re.fullmatch(r"-?\d+(\.\d+)?", digits), shown
        assert abs(float(digits) - value) <= max(0.005, abs(value) * 0.005)
        assert len(digits.partition(".")[2]) <= 8  # never 1263.1067555555544

    @given(st.integers())
    def test_whole_numbers_keep_every_digit(self, value: int) -> None:
        assert number(value).replace(",", "") == str(value)


class TestPercent:
    @pytest.mark.parametrize(("rate", "shown"), [
        (0.332222, "33.2%"), (0.0004, "0.04%"), (0.000432, "0.043%"), (0.05, "5.0%"),
        (1, "100.0%"), (0, "0.0%"), (0.001, "0.1%"), (0.00099, "0.099%"), (-0.25, "-25.0%"),
        (1e-9, "0.0000001%"), (None, MISSING), (float("nan"), "n/a"),
    ])
    def test_hand_computed(self, rate: float | None, shown: str) -> None:
        assert percent(rate) == shown

    @given(st.floats(min_value=1e-9, max_value=10))
    def test_a_positive_rate_never_reads_zero(self, rate: float) -> None:
        shown = percent(rate)

        assert shown.endswith("%")
        assert float(shown[:-1]) > 0
        assert abs(float(shown[:-1]) - rate * 100) <= max(0.05, rate * 100 * 0.05)


class TestIdentifier:
    @pytest.mark.parametrize(("value", "shown"), [
        (76657, "76657"), (76657.0, "76657"), ("ord-7", "ord-7"), (None, MISSING),
    ])
    def test_hand_computed(self, value: object, shown: str) -> None:
        assert identifier(value) == shown

    @given(st.integers(min_value=-10**30, max_value=10**30))
    def test_no_separators(self, value: int) -> None:
        assert identifier(value) == str(value)


class TestTimestamp:
    def test_naive_is_utc_and_aware_is_converted(self) -> None:
        plus_one = dt.timezone(dt.timedelta(hours=1))

        assert timestamp(dt.datetime(2026, 1, 5, 6, 0)) == "2026-01-05 06:00 UTC"
        assert timestamp(dt.datetime(2026, 1, 5, 7, 0, tzinfo=plus_one)) == "2026-01-05 06:00 UTC"
        assert timestamp(None) == MISSING


class TestText:
    @pytest.mark.parametrize(("value", "shown"), [
        (None, MISSING), (True, "yes"), (False, "no"), (1234, "1,234"), (0.5, "0.5"),
        (dt.datetime(2026, 1, 5, 6, 0, 9), "2026-01-05 06:00:09"),
        (dt.date(2026, 1, 5), "2026-01-05"), ("[critical]", "[critical]"),
    ])
    def test_hand_computed(self, value: object, shown: str) -> None:
        assert text(value) == shown

    @given(st.one_of(st.none(), st.integers(), st.floats(), st.text(), st.booleans()))
    def test_never_shows_python_none(self, value: object) -> None:
        shown = text(value)

        assert isinstance(shown, str)
        if not isinstance(value, str):
            assert "None" not in shown
            assert shown != "nan"
