"""How values read in every output: CLI tables, alert text, the dashboard.

One style for each kind of value, so the same number never shows two ways:

>>> duration(5400), duration(108000), duration(45), duration(0.5)
('1h 30m', '1d 6h', '45s', '0.5s')
>>> number(1263.1067555555544), number(76608), number(0.031249), number(None)
('1,263.11', '76,608', '0.0312', '–')
>>> percent(0.332222), percent(0.0004), percent(0), percent(1)
('33.2%', '0.04%', '0.0%', '100.0%')
>>> identifier(76657), identifier(76657.0), text(None), text(True)
('76657', '76657', '–', 'yes')
>>> timestamp(dt.datetime(2026, 1, 5, 6, 0))
'2026-01-05 06:00 UTC'
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from monitor.timeutil import as_utc

#: What a missing value shows as (never "None").
MISSING = "–"
#: What a value that is not a number (NaN) shows as.
NOT_A_NUMBER = "n/a"

# (larger unit, its size, smaller unit, its size): a duration shows at most two units.
_UNIT_PAIRS = ((("d", 86400), ("h", 3600)), (("h", 3600), ("m", 60)), (("m", 60), ("s", 1)))


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def _strip_zeros(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration(seconds: float | int | None) -> str:
    """A duration in at most two units, largest first, rounded to the smaller one.

    >>> duration(3600), duration(3599.7), duration(86399), duration(90), duration(-75)
    ('1h', '1h', '1d', '1m 30s', '-1m 15s')
    """
    if seconds is None:
        return MISSING
    value = float(seconds)
    if math.isnan(value):
        return NOT_A_NUMBER
    if value < 0:
        return "-" + duration(-value)
    if math.isinf(value):
        return "∞"
    for (big, big_size), (small, small_size) in _UNIT_PAIRS:
        rounded = _round_half_up(value / small_size) * small_size
        if rounded >= big_size:
            count, rest = divmod(rounded, big_size)
            parts = [f"{count}{big}"]
            if rest:
                parts.append(f"{rest // small_size}{small}")
            return " ".join(parts)
    if value >= 1 or value == 0:
        return f"{_round_half_up(value)}s"
    return f"{_strip_zeros(f'{value:.1g}' if value < 0.1 else f'{value:.1f}')}s"


def number(value: float | int | Decimal | str | None, *, significant: int | None = None) -> str:
    """A measured number: thousands separators, no float noise.

    Whole numbers show every digit; others two decimals from 1 up, three
    significant digits below 1; beyond 1e15 or under 1e-6 scientific notation.
    ``significant`` rounds to that many significant digits instead (whole
    digits are never dropped): for estimates, where more digits are noise.
    Text (an observed value that is not a number) shows as written.

    >>> number(1234567), number(12.5), number(-0.000123), number(2.5e-8), number(float("nan"))
    ('1,234,567', '12.5', '-0.000123', '2.5e-08', 'n/a')
    >>> number(999.29, significant=3), number(1030.03, significant=3), number(0.0312, significant=2)
    ('999', '1,030', '0.031')
    """
    if value is None:
        return MISSING
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    value = float(value)
    if math.isnan(value):
        return NOT_A_NUMBER
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    size = abs(value)
    if size >= 1e15 or (0 < size < 1e-6):
        return f"{value:.3g}"
    if value == int(value):
        return f"{int(value):,}"
    if significant is not None:
        decimals = max(0, significant - 1 - math.floor(math.log10(size)))
        shown = f"{value:,.{decimals}f}"
    elif size >= 1:
        shown = f"{value:,.2f}"
    else:
        decimals = 2 - math.floor(math.log10(size))  # three significant digits
        shown = f"{value:.{decimals}f}"
    shown = _strip_zeros(shown)
    return "0" if shown in ("-0", "") else shown


def percent(rate: float | None) -> str:
    """A rate (0.25 is a quarter) as a percentage with one decimal: ``25.0%``.

    Below 0.1% two significant digits remain, so a small rate never reads 0%.

    >>> percent(0.05), percent(0.000432), percent(1e-9), percent(None)
    ('5.0%', '0.043%', '0.0000001%', '–')
    """
    if rate is None:
        return MISSING
    value = float(rate) * 100
    if math.isnan(value):
        return NOT_A_NUMBER
    if math.isinf(value):
        return "∞%" if value > 0 else "-∞%"
    size = abs(value)
    if size == 0 or size >= 0.1:
        return f"{value:.1f}%"
    decimals = 1 - math.floor(math.log10(size))  # two significant digits
    return f"{_strip_zeros(f'{value:.{decimals}f}')}%"


def measure(value: float | int | str | None, metric: str | None = None) -> str:
    """A metric's value in its unit: rates as percentages, ``*_seconds`` as durations.

    >>> measure(0.31, "null_rate"), measure(9000, "freshness_seconds"), measure(412, "row_count")
    ('31.0%', '2h 30m', '412')
    """
    if value is None or isinstance(value, str | bool):
        return number(value)
    name = (metric or "").lower()
    if name.endswith(("_rate", "_fraction", "_ratio")):
        return percent(value)
    if name.endswith("_seconds"):
        return duration(value)
    return number(value)


def identifier(value: Any) -> str:
    """An id (incident, row key, batch) exactly as stored: no separators, no ``.0``.

    >>> identifier(1234567), identifier("ord-7"), identifier(None)
    ('1234567', 'ord-7', '–')
    """
    if value is None:
        return MISSING
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def timestamp(value: dt.datetime | dt.date | None) -> str:
    """A point in time in prose: ``2026-01-05 06:00 UTC``."""
    return MISSING if value is None else f"{as_utc(value):%Y-%m-%d %H:%M} UTC"


def text(value: Any) -> str:
    """Any value in a table cell or a sentence: numbers via ``number``, never ``None``.

    >>> text(None), text(1234), text(dt.datetime(2026, 1, 5, 6, 0, 9)), text(dt.date(2026, 1, 5))
    ('–', '1,234', '2026-01-05 06:00:09', '2026-01-05')
    """
    if value is None:
        return MISSING
    if isinstance(value, bool | int | float | Decimal):
        return number(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
