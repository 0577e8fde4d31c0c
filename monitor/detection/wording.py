"""One-line reasons a data owner understands: units, numbers and sentences."""

from __future__ import annotations

import math
from enum import StrEnum

from monitor import formatting
from monitor.detection.settings import MetricKind


class Unit(StrEnum):
    """How values of a metric are printed (and whether they can be negative)."""

    COUNT = "count"  # rows: 1,090
    FRACTION = "fraction"  # 0..1 printed as a percentage: 0.5%
    SECONDS = "seconds"  # durations: 2h 5m
    NUMBER = "number"  # anything else: 3 significant digits

    @property
    def non_negative(self) -> bool:
        return self is not Unit.NUMBER


UNIT_FOR_KIND = {
    MetricKind.VOLUME: Unit.COUNT,
    MetricKind.NULL_RATE: Unit.FRACTION,
    MetricKind.FRESHNESS: Unit.SECONDS,
    MetricKind.ARRIVAL_DELAY: Unit.SECONDS,
    MetricKind.DISTRIBUTION: Unit.NUMBER,
}

LABEL_FOR_KIND = {
    MetricKind.VOLUME: "rows",
    MetricKind.NULL_RATE: "null rate",
    MetricKind.FRESHNESS: "data age",
    MetricKind.ARRIVAL_DELAY: "arrival delay",
    MetricKind.DISTRIBUTION: "value",
}


def format_value(value: float, unit: Unit = Unit.NUMBER) -> str:
    """A value as a data owner reads it.

    >>> format_value(1090.4, Unit.COUNT), format_value(0.005, Unit.FRACTION)
    ('1,090', '0.5%')
    >>> format_value(0.000123), format_value(123456.7)
    ('0.000123', '123,457')
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit is Unit.COUNT:
        return formatting.number(round(value) if abs(value) >= 10 else value, significant=3)
    if unit is Unit.FRACTION:
        return formatting.percent(value)
    if unit is Unit.SECONDS:
        return formatting.duration(value)
    return formatting.number(value, significant=3)


def _verb(label: str) -> str:
    return "are" if label.endswith("s") and not label.endswith("ss") else "is"


def change_text(value: float, expected: float, unit: Unit) -> str:
    """'58% below', '2.0 points above', '1h 05m above'."""
    word = "above" if value > expected else "below"
    if unit is Unit.FRACTION:
        points = abs(value - expected) * 100
        return f"{points:.1f} points {word}"
    if unit is Unit.SECONDS:
        return f"{formatting.duration(abs(value - expected))} {word}"
    if expected != 0 and math.isfinite(expected):
        percent = abs(value - expected) / abs(expected) * 100
        shown = f"{percent:.0f}" if percent >= 1 else f"{percent:.1g}"
        return f"{shown}% {word}"
    return word


def band_text(lower: float, upper: float, unit: Unit) -> str:
    """'870–1,090'"""
    return f"{format_value(lower, unit)}–{format_value(upper, unit)}"


def deviation_reason(
    label: str,
    value: float,
    expected: float,
    lower: float,
    upper: float,
    unit: Unit,
    context: str = "",
) -> str:
    """Why a point is outside its band.

    >>> deviation_reason("rows", 412, 980, 870, 1090, Unit.COUNT, "for a Tuesday")
    'rows 412 are 58% below the usual 980 for a Tuesday (band 870–1,090)'
    """
    where = f" {context}" if context else ""
    return (
        f"{label} {format_value(value, unit)} {_verb(label)} "
        f"{change_text(value, expected, unit)} the usual {format_value(expected, unit)}{where} "
        f"(band {band_text(lower, upper, unit)})"
    )


def within_reason(
    label: str, value: float, lower: float, upper: float, unit: Unit, context: str = ""
) -> str:
    """Why a point is fine.

    >>> within_reason("null rate", 0.004, 0.0, 0.01, Unit.FRACTION)
    'null rate 0.4% is within the usual band 0.0%–1.0%'
    """
    where = f" {context}" if context else ""
    return (
        f"{label} {format_value(value, unit)} {_verb(label)} within the usual band "
        f"{band_text(lower, upper, unit)}{where}"
    )


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 22nd.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 22)]
    ['1st', '2nd', '3rd', '4th', '11th', '22nd']
    """
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
