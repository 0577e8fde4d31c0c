"""Calendar phases of a series (weekday, weekend, hour of day, hour of week) for profiles."""

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

    ``groups[i]`` is the phase of point ``i`` in ``0..size-1``. Intra-day profiles have
    ``per_day`` slots of ``slot_seconds`` each (24 one-hour slots for hourly data); the
    slot of a phase is ``phase % per_day``.
    """

    name: str  # plain, weekpart, weekday, hour_of_day, hour_of_weekpart, hour_of_week
    groups: np.ndarray
    size: int
    slot_seconds: float = DAY
    per_day: int = 1

    def context(self, group: int) -> str:
        """Words for the baseline of one phase: 'for a Tuesday', 'at 14:00'."""
        part, slot = divmod(group, self.per_day)
        clock = _clock(slot * self.slot_seconds)
        if self.name == "weekday":
            return f"for a {_WEEKDAYS[group]}"
        if self.name == "weekpart":
            return _PARTS[group]
        if self.name == "hour_of_day":
            return f"at {clock}"
        if self.name == "hour_of_weekpart":
            return f"at {clock} {_PARTS[part]}"
        if self.name == "hour_of_week":
            return f"for a {_WEEKDAYS[part]} at {clock}"
        return ""


_PARTS = ("on weekdays", "on weekends")


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


def weekpart_of(timestamps: np.ndarray) -> np.ndarray:
    """0 Monday to Friday, 1 on Saturday and Sunday."""
    return (weekday_of(timestamps) >= 5).astype(np.int64)


def candidate_profiles(timestamps: np.ndarray, step_seconds: float) -> list[Profile]:
    """Seasonal groupings that fit the cadence, finest first.

    Daily data: weekday, weekpart (weekdays against weekends). Sub-daily data: the
    same crossed with the slot of the day (one step wide), then hour of day alone.
    Weekly or sparser data: none.
    """
    kind = cadence(step_seconds)
    weekday = weekday_of(timestamps)
    part = weekpart_of(timestamps)
    daily = [Profile("weekday", weekday, 7), Profile("weekpart", part, 2)]
    if kind == "daily":
        return daily
    if kind == "subdaily":
        slot = max(float(step_seconds), 60.0)
        per_day = math.ceil(DAY / slot)
        in_day = np.minimum((_seconds(timestamps) % DAY) // slot, per_day - 1).astype(np.int64)
        return [
            Profile("hour_of_week", weekday * per_day + in_day, 7 * per_day, slot, per_day),
            Profile("hour_of_weekpart", part * per_day + in_day, 2 * per_day, slot, per_day),
            Profile("hour_of_day", in_day, per_day, slot, per_day),
            *daily,
        ]
    return []


def points_in(seconds: float, step_seconds: float) -> int:
    """How many points of this cadence fit in a duration (at least 1)."""
    if not math.isfinite(step_seconds) or step_seconds <= 0:
        return 1
    return max(1, round(seconds / step_seconds))
