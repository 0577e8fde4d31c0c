from __future__ import annotations

import math

import pytest

from monitor.detection.wording import (
    Unit,
    change_text,
    deviation_reason,
    format_value,
    ordinal,
    within_reason,
)


class TestFormatValue:
    @pytest.mark.parametrize(
        ("value", "unit", "text"),
        [
            (1090.4, Unit.COUNT, "1,090"),
            (3.0, Unit.COUNT, "3"),
            (0.005, Unit.FRACTION, "0.5%"),
            (0.0, Unit.FRACTION, "0.0%"),
            (0.0004, Unit.FRACTION, "0.04%"),
            (7500, Unit.SECONDS, "2h 5m"),
            (12.345, Unit.NUMBER, "12.3"),
            (math.nan, Unit.COUNT, "n/a"),
        ],
    )
    def test_formats_for_a_reader(self, value, unit, text):
        assert format_value(value, unit) == text


class TestChangeText:
    def test_relative_for_counts_points_for_fractions(self):
        assert change_text(412, 980, Unit.COUNT) == "58% below"
        assert change_text(0.07, 0.02, Unit.FRACTION) == "5.0 points above"
        assert change_text(5, 0, Unit.COUNT) == "above"


class TestDeviationReason:
    def test_reads_like_a_sentence(self):
        text = deviation_reason("rows", 2010, 980, 870, 1090, Unit.COUNT, "for a Tuesday")

        assert text == "rows 2,010 are 105% above the usual 980 for a Tuesday (band 870–1,090)"


class TestWithinReason:
    def test_names_the_band(self):
        text = within_reason("data age", 600, 0, 5400, Unit.SECONDS)

        assert text == "data age 10m is within the usual band 0s–1h 30m"


class TestOrdinal:
    def test_english_suffixes(self):
        assert [ordinal(n) for n in (1, 2, 3, 11, 12, 13, 21, 102)] == [
            "1st",
            "2nd",
            "3rd",
            "11th",
            "12th",
            "13th",
            "21st",
            "102nd",
        ]
