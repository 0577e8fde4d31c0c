"""Fit a robust baseline on training points: which seasonal profile, medians, scale.

The profile is decided from the training data itself: a weekly (or daily) profile is
used only when a Kruskal-Wallis rank test says the phases differ, and only once every
phase has been seen at least twice. Before that, when a pattern cannot be ruled out,
the baseline asks for the band to cover the values seen so far (``cover``), so a first
weekend is not mistaken for an incident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from monitor.detection.phases import Profile, plain_profile
from monitor.detection.robust import GroupStats, group_stats, kruskal_p, pooled_scales, robust_scale

# Rank-test level for adopting a seasonal profile. Adopting one on data without a
# pattern costs little (medians of fewer points), missing one costs a weekly alarm.
SEASONAL_ALPHA = 0.01
# A profile is testable when this share of its phases has at least two training points.
TESTABLE_SHARE = 0.9


@dataclass(frozen=True)
class Baseline:
    """A fitted baseline in the detector's (possibly log) space."""

    profile: Profile
    medians: np.ndarray  # per phase of ``profile``
    counts: np.ndarray
    lows: np.ndarray
    highs: np.ndarray
    scales: np.ndarray  # robust sigma of leave-one-out residuals per phase (0: constant)
    scale: float  # the same over all phases that vary
    plain_median: float
    plain_low: float
    plain_high: float
    cover: bool  # a finer pattern could not be tested yet: band covers seen values

    @property
    def choice(self) -> tuple[Profile | None, bool]:
        """The profile decision, to pass back to :func:`fit_baseline`."""
        return (None if self.profile.name == "plain" else self.profile), self.cover

    def center(self, phase: int) -> tuple[float, float, float, float, bool]:
        """(expected, low, high, scale, cover) for a point of this phase.

        Falls back to the plain median (with cover) when the phase has fewer than
        two training points, e.g. after an incident was kept out of training.
        """
        if self.counts[phase] >= 2:
            return (
                float(self.medians[phase]),
                float(self.lows[phase]),
                float(self.highs[phase]),
                float(self.scales[phase]),
                self.cover,
            )
        return self.plain_median, self.plain_low, self.plain_high, self.scale, True


def _phase_scales(
    profile: Profile, groups: np.ndarray, stats: GroupStats
) -> tuple[np.ndarray, float]:
    """Noise scale per phase, and overall.

    Phases whose training values are all equal (a column never null, hours without
    loads) get 0 and leave the pool: their exact zeros would otherwise shrink every
    other phase's band. Sub-daily profiles pool by hour of day, because noise differs
    between busy and quiet hours; daily ones pool over all weekdays.
    """
    n_phases = stats.medians.size
    varies = (stats.counts >= 2) & (stats.highs > stats.lows)
    # Two or three equal counts can be chance; four or more equal values are a pattern.
    live = varies | (stats.counts < 4)
    if profile.name == "hour_of_week":
        pool_of_phase = np.arange(n_phases) % (n_phases // 7)
    elif profile.name == "hour_of_day":
        pool_of_phase = np.arange(n_phases)
    else:
        pool_of_phase = np.zeros(n_phases, dtype=np.int64)
    residuals = np.where(varies[groups], stats.loo_residuals, np.nan)
    n_pools = int(pool_of_phase.max()) + 1 if n_phases else 1
    pool_scales, overall = pooled_scales(residuals, pool_of_phase[groups], n_pools)
    return np.where(live, pool_scales[pool_of_phase], 0.0), overall


def _testable(counts: np.ndarray) -> bool:
    return counts.size > 0 and float(np.mean(counts >= 2)) >= TESTABLE_SHARE


def _loo_error(values: np.ndarray, groups: np.ndarray, size: int) -> float:
    """Mean absolute leave-one-out residual: the honest one-step error of a profile."""
    residuals = group_stats(values, groups, size).loo_residuals
    finite = residuals[np.isfinite(residuals)]
    return float(np.mean(np.abs(finite))) if finite.size else float("inf")


def _better(values: np.ndarray, groups: np.ndarray, size: int, base_error: float) -> bool:
    """Does grouping by phase explain the training data better than the baseline does?

    Yes when a rank test says the phases differ, or when the profile predicts held-out
    points better (a rank test has little power with two weeks of data, while a
    weekend drop halves the prediction error).
    """
    if kruskal_p(values, groups, size) < SEASONAL_ALPHA:
        return True
    return _loo_error(values, groups, size) < base_error


def _choose(
    values: np.ndarray, profiles: dict[str, Profile], index: np.ndarray, seasonality: str
) -> tuple[Profile | None, bool]:
    """The profile to use (None: plain) and whether a pattern is still untested."""
    if seasonality == "none" or not profiles:
        return None, False
    groups = {name: p.groups[index] for name, p in profiles.items()}
    testable = {
        name: _testable(np.bincount(groups[name], minlength=p.size)) for name, p in profiles.items()
    }
    weekly = "hour_of_week" if "hour_of_week" in profiles else "weekday"
    if seasonality == "weekly":
        if testable[weekly]:
            return profiles[weekly], False
        if testable.get("hour_of_day"):
            return profiles["hour_of_day"], True
        return None, True
    if seasonality == "daily":
        if "hour_of_day" not in profiles:
            return None, False
        return (profiles["hour_of_day"], False) if testable["hour_of_day"] else (None, True)

    # auto: finer profiles only when the data shows them
    plain_error = _loo_error(values, np.zeros(values.size, dtype=np.int64), 1)
    base: Profile | None = None
    base_error = plain_error
    if "hour_of_day" in profiles:
        if not testable["hour_of_day"]:
            return None, True
        hod = profiles["hour_of_day"]
        if _better(values, groups["hour_of_day"], hod.size, plain_error):
            base, base_error = hod, _loo_error(values, groups["hour_of_day"], hod.size)
    if not testable[weekly]:
        return base, True
    candidate = profiles[weekly] if base is not None else profiles["weekday"]
    if base is not None:
        residuals = (
            values - group_stats(values, groups[base.name], base.size).medians[groups[base.name]]
        )
    else:
        residuals = values
    if kruskal_p(residuals, groups["weekday"], 7) < SEASONAL_ALPHA:
        return candidate, False
    if _loo_error(values, groups[candidate.name], candidate.size) < base_error:
        return candidate, False
    return base, False


def robust_trend(residuals: np.ndarray, index: np.ndarray) -> float:
    """Slope per point of de-seasonalised residuals, or 0.0 when it is not clearly there.

    The slope compares the medians of the older and the newer half of the training
    window; it is used only when the difference exceeds twice its standard error,
    so a flat series keeps a flat baseline (a spurious trend adds its own noise).

    >>> robust_trend(np.arange(20) * 0.5 + np.tile([0.0, 0.3], 10), np.arange(20))
    0.5
    >>> robust_trend(np.tile([0.0, 0.3, -0.2, 0.1], 5), np.arange(20))
    0.0
    """
    middle = np.median(index)
    early, late = index <= middle, index > middle
    if early.sum() < 4 or late.sum() < 4:
        return 0.0
    distance = float(np.median(index[late]) - np.median(index[early]))
    change = float(np.median(residuals[late]) - np.median(residuals[early]))
    sigma = robust_scale(residuals - np.median(residuals))
    error = 1.25 * sigma * math.sqrt(1 / early.sum() + 1 / late.sum())
    if distance <= 0 or abs(change) <= 2 * error:
        return 0.0
    return change / distance


def choose_profile(
    values: np.ndarray, index: np.ndarray, profiles: dict[str, Profile], seasonality: str = "auto"
) -> tuple[Profile | None, bool]:
    """Which profile the training data supports (None: plain), and whether a pattern is
    still untested (then the band covers the values seen so far)."""
    return _choose(values, profiles, index, seasonality)


def fit_baseline(
    values: np.ndarray,
    index: np.ndarray,
    profiles: dict[str, Profile],
    seasonality: str = "auto",
    choice: tuple[Profile | None, bool] | None = None,
    trend_to: int | None = None,
) -> Baseline:
    """Fit on training ``values`` taken at positions ``index`` of the full series.

    ``choice`` reuses an earlier :func:`choose_profile` answer (it changes slowly).
    ``trend_to``: estimate a robust linear trend and project the baseline to this
    position (only when the trend is clearly there, see :func:`robust_trend`).

    >>> from monitor.detection.phases import candidate_profiles
    >>> days = np.arange("2024-01-01", "2024-02-26", dtype="datetime64[D]")
    >>> rows = np.where((np.arange(56) % 7) >= 5, 100.0, 1000.0) + np.arange(56) % 3
    >>> profiles = {p.name: p for p in candidate_profiles(days, 86400)}
    >>> fit = fit_baseline(rows, np.arange(56), profiles)
    >>> fit.profile.name, float(fit.medians[5]), float(fit.medians[0])
    ('weekday', 101.0, 1001.0)
    """
    chosen, cover = choice or _choose(values, profiles, index, seasonality)
    plain = group_stats(values, np.zeros(values.size, dtype=np.int64), 1)
    if chosen is None:
        profile, groups, stats = plain_profile(0), np.zeros(values.size, dtype=np.int64), plain
    else:
        profile, groups = chosen, chosen.groups[index]
        stats = group_stats(values, groups, chosen.size)
    if trend_to is not None and values.size >= 8:
        slope = robust_trend(values - stats.medians[groups], index)
        if slope:
            values = values + slope * (trend_to - index)
            stats = group_stats(values, groups, stats.medians.size)
    scales, overall = _phase_scales(profile, groups, stats)
    return Baseline(
        profile=profile,
        medians=stats.medians,
        counts=stats.counts,
        lows=stats.lows,
        highs=stats.highs,
        scales=scales,
        scale=overall,
        plain_median=float(plain.medians[0]),
        plain_low=float(plain.lows[0]),
        plain_high=float(plain.highs[0]),
        cover=cover,
    )
