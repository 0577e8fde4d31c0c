"""Fit a robust baseline on training points: which seasonal profile, medians, scale.

The profile is decided from the training data itself, coarse to fine: plain, then
weekdays against weekends, then each weekday (crossed with the hour of day for
sub-daily data). A finer profile is adopted when a Kruskal-Wallis rank test says its
phases differ or when it predicts held-out points better (so one bad Thursday among
two cannot split Thursdays off), and only once its phases have been seen twice. While a finer
pattern cannot be tested yet, the band also covers the values seen before on the same
weekday (``cover``), so a first Monday peak is not mistaken for an incident.
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
# A profile is testable when this share of its phases has MIN_PHASE_POINTS points.
TESTABLE_SHARE = 0.9
MIN_PHASE_POINTS = 3
# Intra-day phases (an hour of the week) fill up 24 times slower: two are enough there.
MIN_SLOT_POINTS = 2
# Refinements tried after the base profile, coarse to fine, with the grouping that the
# rank test uses on what the coarser profile leaves unexplained.
_DAILY_CHAIN = (("weekpart", "weekpart"), ("weekday", "weekday"))
_HOURLY_CHAIN = (("hour_of_weekpart", "weekpart"), ("hour_of_week", "weekday"))


@dataclass(frozen=True)
class Baseline:
    """A fitted baseline in the detector's (possibly log) space."""

    profile: Profile
    medians: np.ndarray  # per phase of ``profile``
    counts: np.ndarray
    scales: np.ndarray  # robust sigma of leave-one-out residuals per phase (0: constant)
    scale: float  # the same over all phases that vary
    plain_median: float
    cover: bool  # a finer pattern could not be tested yet: band covers seen values
    ranges: tuple[Profile, np.ndarray, np.ndarray] | None  # finest phases: lows, highs
    plain_range: tuple[float, float]

    @property
    def choice(self) -> tuple[Profile | None, bool]:
        """The profile decision, to pass back to :func:`fit_baseline`."""
        return (None if self.profile.name == "plain" else self.profile), self.cover

    def center(self, position: int) -> tuple[float, float, float, float, bool]:
        """(expected, low, high, scale, cover) for the point at ``position``.

        ``low``/``high`` are the values seen before in the same finest phase (the same
        weekday, or hour of the week); the band covers them while ``cover`` is set.
        Falls back to the plain median (with cover) when the phase has fewer than two
        training points, e.g. after an incident was kept out of training.
        """
        phase = 0 if self.profile.name == "plain" else int(self.profile.groups[position])
        low, high = self.plain_range
        if self.ranges is not None:
            finest, lows, highs = self.ranges
            same = int(finest.groups[position])
            if np.isfinite(lows[same]):
                low, high = float(lows[same]), float(highs[same])
        if self.counts[phase] >= 2:
            return float(self.medians[phase]), low, high, float(self.scales[phase]), self.cover
        return self.plain_median, *self.plain_range, self.scale, True

    def context(self, position: int) -> str:
        """Which baseline judged the point, in words ('for a Tuesday')."""
        if self.profile.name == "plain":
            return ""
        return self.profile.context(int(self.profile.groups[position]))


def _phase_scales(
    profile: Profile, groups: np.ndarray, stats: GroupStats, counts: bool = False
) -> tuple[np.ndarray, float]:
    """Noise scale per phase, and overall.

    Phases whose training values are all equal (a column never null, hours without
    loads) get 0 and leave the pool: their exact zeros would otherwise shrink every
    other phase's band. Intra-day profiles pool by slot of the day, because noise
    differs between busy and quiet hours; daily ones pool over all phases.

    ``counts``: values are log1p row counts. Counting noise then differs by phase (a
    quiet night hour with 50 rows wobbles by 14%, a busy one with 5,000 by 1.4%), so
    each phase gets the pool's extra noise plus its own Poisson part, 1 / (rows + 1).
    """
    n_phases = stats.medians.size
    varies = (stats.counts >= 2) & (stats.highs > stats.lows)
    # Two or three equal counts can be chance; four or more equal values are a pattern.
    live = varies | (stats.counts < 4)
    pool_of_phase = np.arange(n_phases) % profile.per_day
    residuals = np.where(varies[groups], stats.loo_residuals, np.nan)
    pool_scales, overall = pooled_scales(residuals, pool_of_phase[groups], profile.per_day)
    if not counts:
        return np.where(live, pool_scales[pool_of_phase], 0.0), overall
    rows = np.expm1(np.maximum(np.nan_to_num(stats.medians), 0.0))
    # The leave-one-out residual also carries the error of a median of n - 1 points.
    spread = 1.0 + (math.pi / 2) / np.maximum(stats.counts - 1, 1)
    poisson = spread / (rows + 1.0)
    used = np.isfinite(residuals)
    pools = pool_of_phase[groups][used]
    typical = np.bincount(pools, weights=poisson[groups][used], minlength=profile.per_day)
    typical = typical / np.maximum(np.bincount(pools, minlength=profile.per_day), 1)
    # Data smoother than Poisson (a snapshot table) keeps its own spread, shared out
    # across phases in proportion to their counting noise.
    share = np.minimum(1.0, pool_scales**2 / np.maximum(typical, 1e-300))
    extra = np.maximum(pool_scales**2 - typical, 0.0)
    phase_scales = np.sqrt(extra[pool_of_phase] + share[pool_of_phase] * poisson)
    return np.where(live, phase_scales, 0.0), overall


def _testable(profile: Profile, groups: np.ndarray) -> bool:
    counts = np.bincount(groups, minlength=profile.size)
    needed = MIN_PHASE_POINTS if profile.per_day == 1 else MIN_SLOT_POINTS
    return float(np.mean(counts >= needed)) >= TESTABLE_SHARE


def _loo_error(values: np.ndarray, groups: np.ndarray, size: int) -> float:
    """Mean absolute leave-one-out residual: the honest one-step error of a profile."""
    residuals = group_stats(values, groups, size).loo_residuals
    finite = residuals[np.isfinite(residuals)]
    return float(np.mean(np.abs(finite))) if finite.size else float("inf")


def _residuals(values: np.ndarray, groups: np.ndarray | None, size: int) -> np.ndarray:
    if groups is None:
        return values - np.median(values)
    return values - group_stats(values, groups, size).medians[groups]


def _choose_auto(
    values: np.ndarray, profiles: dict[str, Profile], groups: dict[str, np.ndarray]
) -> tuple[Profile | None, bool]:
    current: Profile | None = None
    error = _loo_error(values, np.zeros(values.size, dtype=np.int64), 1)
    chain = _DAILY_CHAIN
    if "hour_of_day" in profiles:
        hod = profiles["hour_of_day"]
        if not _testable(hod, groups[hod.name]):
            return None, True
        hod_error = _loo_error(values, groups[hod.name], hod.size)
        if kruskal_p(values, groups[hod.name], hod.size) < SEASONAL_ALPHA or hod_error < error:
            current, error, chain = hod, hod_error, _HOURLY_CHAIN
    for name, test in chain:
        candidate = profiles[name]
        if not _testable(candidate, groups[name]):
            return current, True
        residuals = _residuals(
            values,
            None if current is None else groups[current.name],
            1 if current is None else current.size,
        )
        candidate_error = _loo_error(values, groups[name], candidate.size)
        shows = kruskal_p(residuals, groups[test], profiles[test].size) < SEASONAL_ALPHA
        if shows or candidate_error < error:
            current, error = candidate, candidate_error
    return current, False


def _choose_fixed(
    profiles: dict[str, Profile], groups: dict[str, np.ndarray], wanted: tuple[str, ...]
) -> tuple[Profile | None, bool]:
    """The first testable of ``wanted`` (finest first); cover while the finest is not."""
    present = [name for name in wanted if name in profiles]
    for rank, name in enumerate(present):
        if _testable(profiles[name], groups[name]):
            return profiles[name], rank > 0
    return None, True


def choose_profile(
    values: np.ndarray, index: np.ndarray, profiles: dict[str, Profile], seasonality: str = "auto"
) -> tuple[Profile | None, bool]:
    """Which profile the training data supports (None: plain), and whether a finer
    pattern is still untested (then the band covers what the same weekday did before).

    ``values`` are training values at positions ``index`` of the series.
    """
    if seasonality == "none" or not profiles:
        return None, False
    groups = {name: p.groups[index] for name, p in profiles.items()}
    if seasonality == "weekly":
        wanted = ("hour_of_week", "hour_of_weekpart", "hour_of_day", "weekday", "weekpart")
        return _choose_fixed(profiles, groups, wanted)
    if seasonality == "daily":
        if "hour_of_day" not in profiles:
            return None, False
        return _choose_fixed(profiles, groups, ("hour_of_day",))
    return _choose_auto(values, profiles, groups)


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


def fit_baseline(
    values: np.ndarray,
    index: np.ndarray,
    profiles: dict[str, Profile],
    seasonality: str = "auto",
    choice: tuple[Profile | None, bool] | None = None,
    trend_to: int | None = None,
    counts: bool = False,
) -> Baseline:
    """Fit on training ``values`` taken at positions ``index`` of the full series.

    ``choice`` reuses an earlier :func:`choose_profile` answer (it changes slowly).
    ``trend_to``: estimate a robust linear trend and project the baseline to this
    position (only when the trend is clearly there, see :func:`robust_trend`).
    ``counts``: values are log1p row counts (adds counting noise per phase).

    >>> from monitor.detection.phases import candidate_profiles
    >>> days = np.arange("2024-01-01", "2024-02-26", dtype="datetime64[D]")
    >>> rows = np.where((np.arange(56) % 7) >= 5, 100.0, 1000.0) + np.arange(56) % 3
    >>> profiles = {p.name: p for p in candidate_profiles(days, 86400)}
    >>> fit = fit_baseline(rows, np.arange(56), profiles)
    >>> fit.profile.name, float(fit.medians[1]), float(fit.medians[0])
    ('weekpart', 101.0, 1001.0)
    """
    chosen, cover = choice or choose_profile(values, index, profiles, seasonality)
    plain_groups = np.zeros(values.size, dtype=np.int64)
    plain = group_stats(values, plain_groups, 1)
    if chosen is None:
        profile, groups, stats = plain_profile(0), plain_groups, plain
    else:
        profile, groups = chosen, chosen.groups[index]
        stats = group_stats(values, groups, chosen.size)
    if trend_to is not None and values.size >= 8:
        slope = robust_trend(values - stats.medians[groups], index)
        if slope:
            values = values + slope * (trend_to - index)
            stats = group_stats(values, groups, stats.medians.size)
    scales, overall = _phase_scales(profile, groups, stats, counts)
    ranges = None
    finest = profiles.get("hour_of_week") or profiles.get("weekday")
    if cover and finest is not None:
        seen = group_stats(values, finest.groups[index], finest.size)
        ranges = (finest, seen.lows, seen.highs)
    return Baseline(
        profile=profile,
        medians=stats.medians,
        counts=stats.counts,
        scales=scales,
        scale=overall,
        plain_median=float(plain.medians[0]),
        cover=cover,
        ranges=ranges,
        plain_range=(float(plain.lows[0]), float(plain.highs[0])),
    )
