"""Dataset builders for detector tests: plain arrays with a story."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.detection.series import Series

MONDAY = np.datetime64("2024-01-01")  # 2024-01-01 was a Monday


def days(count: int, start: np.datetime64 = MONDAY) -> np.ndarray:
    return start + np.arange(count) * np.timedelta64(1, "D")


def hours(count: int, start: np.datetime64 = MONDAY) -> np.ndarray:
    return start.astype("datetime64[h]") + np.arange(count) * np.timedelta64(1, "h")


def daily(values, **labels) -> Series:
    values = np.asarray(values, dtype=float)
    return Series(days(values.size), values, **labels)


def shaped_rows(weeks: int, levels, noise: float = 0.02, seed: int = 0) -> np.ndarray:
    """Daily row counts starting on a Monday, one usual level per weekday."""
    rng = np.random.default_rng(seed)
    level = np.tile(np.asarray(levels, dtype=float), weeks)
    return np.round(level * np.exp(rng.normal(0, noise, level.size)))


def weekly_rows(
    weeks: int, weekday: float = 1000.0, weekend: float = 400.0, noise: float = 0.02, seed: int = 0
) -> np.ndarray:
    """Daily row counts starting on a Monday: weekdays high, Saturday and Sunday low."""
    return shaped_rows(weeks, [weekday] * 5 + [weekend] * 2, noise, seed)


# Monday catches up on the weekend, Friday is short, weekends are quiet.
MONDAY_PEAK = [1500.0, 1000.0, 1000.0, 1000.0, 800.0, 400.0, 300.0]


@pytest.fixture
def rows_with_weekend_drop() -> Series:
    """Sixteen weeks of daily volume; weekends load 60% fewer rows."""
    return daily(weekly_rows(16))


@pytest.fixture
def null_rate_mostly_zero() -> Series:
    """Twelve weeks of a column that is never null, with rare 0.1-0.5% wiggles."""
    rate = np.zeros(84)
    rate[[9, 23, 40, 41, 66, 80]] = [0.001, 0.005, 0.002, 0.004, 0.005, 0.003]
    return daily(rate)
