"""Calendar phases of a series (weekday, hour of day, hour of week) for seasonal profiles."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

DAY = 86_400
WEEK = 7 * DAY
_NS = 1_000_000_000
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Profile:
    """A grouping of the points of a series by calendar phase.

    ``groups[i]`` is the phase of point ``i`` in ``0..size-1``; ``slot_seconds`` is the
    width of one intra-day slot (one hour for hourly data).
    """

    name: str  # "plain", "weekday", "hour_of_day", "hour_of_week"
    groups: np.ndarray
    size: int
    slot_seconds: float = DAY

    def context(self, group: int) -> str:
        """Words for the baseline of one phase: 'for a Tuesday', 'at 14:00'."""
        if self.name == "weekday":
            return f"for a {_WEEKDAYS[group]}"
        if self.name == "hour_of_day":
            return f"at {_clock(group * self.slot_seconds)}"
        if self.name == "hour_of_week":
            slots = self.size // 7
            day, slot = divmod(group, slots)
            return f"for a {_WEEKDAYS[day]} at {_clock(slot * self.slot_seconds)}"
        return ""


def _clock(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def plain_profile(size: int) -> Profile:
    """Every point in one group."""
    return Profile("plain", np.zeros(size, dtype=np.int64), 1)


def _seconds(timestamps: np.ndarray) -> np.ndarray:
    return timestamps.astype("datetime64[s]").astype(np.int64)


def weekday_of(timestamps: np.ndarray) -> np.ndarray:
    """Monday=0 ... Sunday=6 (1970-01-01 was a Thursday)."""
    return (_seconds(timestamps) // DAY + 3) % 7


def cadence(step_seconds: float) -> str:
    """'subdaily', 'daily' or 'coarse' (weekly or sparser, or unknown)."""
    if not math.isfinite(step_seconds) or step_seconds <= 0:
        return "coarse"
    if step_seconds < 20 * 3600:
        return "subdaily"
    if step_seconds < 5 * DAY:
        return "daily"
    return "coarse"


def candidate_profiles(timestamps: np.ndarray, step_seconds: float) -> list[Profile]:
    """Seasonal groupings that fit the cadence, finest first.

    Daily data: weekday. Sub-daily data: hour of week, hour of day (slots of one
    step), weekday. Weekly or sparser data: none.
    """
    kind = cadence(step_seconds)
    if kind == "daily":
        return [Profile("weekday", weekday_of(timestamps), 7)]
    if kind == "subdaily":
        slot = max(float(step_seconds), 60.0)
        per_day = math.ceil(DAY / slot)
        seconds = _seconds(timestamps)
        in_day = np.minimum((seconds % DAY) // slot, per_day - 1).astype(np.int64)
        week = weekday_of(timestamps) * per_day + in_day
        return [
            Profile("hour_of_week", week, 7 * per_day, slot),
            Profile("hour_of_day", in_day, per_day, slot),
            Profile("weekday", weekday_of(timestamps), 7),
        ]
    return []


def points_in(seconds: float, step_seconds: float) -> int:
    """How many points of this cadence fit in a duration (at least 1)."""
    if not math.isfinite(step_seconds) or step_seconds <= 0:
        return 1
    return max(1, round(seconds / step_seconds))
