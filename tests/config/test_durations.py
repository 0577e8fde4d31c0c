"""Durations and schedules as written in config files."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config.durations import parse_duration, parse_schedule


class TestParseDuration:
    @pytest.mark.parametrize(("text", "seconds"), [
        ("30s", 30), ("15m", 900), ("26h", 93600), ("2d", 172800), ("1w", 604800),
        ("1.5h", 5400), (45, 45), (2.5, 2.5), (" 10 M ", 600),
    ])
    def test_units(self, text: str | float, seconds: float) -> None:
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize("bad", ["", "soon", "-5m", "0s", "5 parsecs", True])
    def test_rejects_what_is_not_a_positive_duration(self, bad: object) -> None:
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)  # type: ignore[arg-type]

    @given(st.text(max_size=12))
    def test_any_text_parses_or_raises_value_error(self, text: str) -> None:
        with contextlib.suppress(ValueError):
            assert parse_duration(text) > 0


class TestParseSchedule:
    def test_interval(self) -> None:
        schedule = parse_schedule("every 15m")

        assert (schedule.kind, schedule.interval_seconds, str(schedule)) == ("interval", 900,
                                                                             "every 15m")

    def test_cron(self) -> None:
        schedule = parse_schedule("0  *  * * 1-5")

        assert (schedule.kind, schedule.cron, schedule.max_gap_seconds) == (
            "cron", "0 * * * 1-5", None)

    @pytest.mark.parametrize("bad", ["hourly", "0 * * *", "every", "every never", "; rm -rf /"])
    def test_rejects_garbage(self, bad: str) -> None:
        with pytest.raises(ValueError, match="cron|duration"):
            parse_schedule(bad)
