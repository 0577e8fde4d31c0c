"""Human durations and schedules as they are written in config files.

>>> parse_duration("90s"), parse_duration("15m"), parse_duration("26h"), parse_duration(45)
(90.0, 900.0, 93600.0, 45.0)
>>> parse_schedule("every 30s")
Schedule(kind='interval', interval_seconds=30.0, cron=None)
>>> parse_schedule("0 * * * *").cron
'0 * * * *'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from monitor import formatting

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_EVERY = re.compile(r"^\s*every\s+(.+)$", re.IGNORECASE)
_CRON_FIELD = re.compile(r"^[\d*/,\-A-Za-z?]+$")


def parse_duration(value: str | float | int) -> float:
    """Seconds in a duration such as ``45``, ``"30s"``, ``"15m"``, ``"26h"`` or ``"2d"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '30s', '15m' or '2h', got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"expected a duration such as '30s', '15m' or '2h', got {value!r}")
        number, unit = match.groups()
        seconds = float(number) * _UNITS[(unit or "s").lower()]
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    return seconds


@dataclass(frozen=True)
class Schedule:
    """When a table is monitored: a fixed interval or a five-field cron expression."""

    kind: Literal["interval", "cron"]
    interval_seconds: float | None = None
    cron: str | None = None

    @property
    def max_gap_seconds(self) -> float | None:
        """The longest normal gap between two runs (None when cron makes it irregular)."""
        return self.interval_seconds

    def __str__(self) -> str:
        if self.kind == "interval":
            return f"every {formatting.duration(self.interval_seconds or 0)}"
        return str(self.cron)


def parse_schedule(value: str) -> Schedule:
    """Parse ``"every 30s"`` / ``"every 15m"`` or a five-field cron expression."""
    text = str(value).strip()
    every = _EVERY.match(text)
    if every:
        return Schedule(kind="interval", interval_seconds=parse_duration(every.group(1)))
    fields = text.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise ValueError(
            f"expected a five-field cron expression such as '0 * * * *' or an interval "
            f"such as 'every 15m', got {value!r}"
        )
    return Schedule(kind="cron", cron=" ".join(fields))
