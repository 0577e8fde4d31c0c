"""History-free rules: empty buckets, freshness beyond the SLA, null rate above a limit.

Rules work from the first points, so they are what protects a metric while the
statistical detectors are still learning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from monitor.detection.phases import DAY, cadence, candidate_profiles, points_in
from monitor.detection.result import Detection, State, as_datetimes
from monitor.detection.series import Series
from monitor.detection.wording import Unit, format_value

ZERO_ROWS = "rules.zero_rows"
STALLED_GROWTH = "rules.stalled_growth"
ABOVE_LIMIT = "rules.above_limit"
# An empty bucket is an incident only where buckets normally have enough rows that an
# empty one is not chance: at 5 rows on average a random empty bucket has p < 1%.
ZERO_ROWS_MIN_USUAL = 5.0
# How many past buckets of the same phase describe what is "normal" for this bucket.
ZERO_ROWS_LOOKBACK = 8
# Share of those that must have had rows (all of them when falling back to a coarser phase).
ZERO_ROWS_USUAL_SHARE = 0.75
# A row count is a snapshot of a growing table when it never fell over at least this
# many earlier steps of the window (a per-bucket count rises and falls within days).
SNAPSHOT_MIN_STEPS = 14
# Growth is judged only over a gap of at least this share of the usual spacing.
SNAPSHOT_MIN_GAP = 0.75


def _plain(series: Series, i: int, stamp, detector: str, *, upper: float = np.nan) -> Detection:
    value = float(series.values[i])
    if not np.isfinite(value):
        state, reason = State.MISSING, "no value for this bucket"
    elif series.expected[i]:
        state, reason = State.EXPECTED, "labeled expected by a user"
    else:
        state, reason = State.OK, "no rule broken"
    return Detection(
        stamp, value, np.nan, np.nan, upper, np.nan, False, None, state, reason, detector
    )


_LEVEL_WORDS = {
    "hour_of_week": "buckets at this hour and weekday",
    "hour_of_day": "buckets at this hour",
    "weekday": "buckets on this weekday",
    "all": "buckets",
}


def _phase_levels(series: Series) -> list[tuple[str, np.ndarray]]:
    """Phase arrays from the finest to the coarsest to compare a bucket with."""
    step = series.step_seconds
    profiles = {p.name: p.groups for p in candidate_profiles(series.timestamps, step)}
    if cadence(step) == "subdaily":
        # Never compare an hour with the whole day: nights without loads are normal.
        return [(name, profiles[name]) for name in ("hour_of_week", "hour_of_day")]
    levels = [("weekday", profiles["weekday"])] if "weekday" in profiles else []
    return [*levels, ("all", np.zeros(len(series), dtype=np.int64))]


def _reference(
    values: np.ndarray,
    usable: np.ndarray,
    hit: np.ndarray,
    levels: list[tuple[str, np.ndarray]],
    i: int,
    start: int,
) -> tuple[int, str, np.ndarray] | None:
    """The last few usable past values of the finest phase level that has any.

    Comparisons keep earlier empty buckets even when this rule flagged them: a second
    empty Saturday means Saturdays are empty. Only the comparison with all buckets
    (daily data in its first week) leaves them out, so an outage that started
    yesterday still alarms today.
    """
    for depth, (level, groups) in enumerate(levels):
        known = usable[start:i] & ~hit[start:i] if level == "all" else usable[start:i]
        same = known & (groups[start:i] == groups[i])
        reference = values[start:i][same][-ZERO_ROWS_LOOKBACK:]
        if reference.size:
            return depth, level, reference
    return None


@dataclass(frozen=True)
class ZeroRowHits:
    """Verdicts of the zero-rows rule, plus which hits compared like with like.

    ``confident`` marks hits judged against the same weekday or hour of week. Hits
    that fell back to a coarser comparison (the first Saturday of a table that never
    loads on weekends looks like an outage) may be a pattern not seen yet, so the
    seasonal detector keeps them in training.
    """

    detections: list[Detection]
    confident: np.ndarray
    #: Per hit, the buckets it was compared with ("the last 5 buckets on this weekday").
    compared_with: dict[int, str]


def zero_row_hits(
    series: Series,
    *,
    min_usual: float = ZERO_ROWS_MIN_USUAL,
    window: int | None = None,
    label: str = "rows",
) -> ZeroRowHits:
    """:func:`zero_rows` with the confidence of each hit.

    >>> s = Series(["2024-01-01", "2024-01-02", "2024-01-03"], [900.0, 950.0, 0.0])
    >>> zero_row_hits(s).confident.tolist()
    [False, False, False]
    """
    size = len(series)
    stamps = as_datetimes(series.timestamps)
    values = series.values
    usable = np.isfinite(values) & ~series.excluded
    hit = np.zeros(size, dtype=bool)
    confident = np.zeros(size, dtype=bool)
    window = window or max(points_in(56 * DAY, series.step_seconds), 8)
    levels = _phase_levels(series)
    out = [_plain(series, i, stamps[i], ZERO_ROWS) for i in range(size)]
    compared_with: dict[int, str] = {}
    for i in np.flatnonzero(values == 0):
        if series.expected[i]:
            continue
        found = _reference(values, usable, hit, levels, i, max(0, i - window))
        if found is None:
            continue
        depth, level, reference = found
        share = ZERO_ROWS_USUAL_SHARE if depth == 0 else 1.0
        usual = float(np.median(reference))
        if usual < min_usual or np.mean(reference > 0) < share:
            continue
        compared_with[int(i)] = f"the last {reference.size} {_LEVEL_WORDS[level]}"
        reason = (
            f"{label} 0: the bucket is empty, where {compared_with[int(i)]} "
            f"had {format_value(usual, Unit.COUNT)} rows on median"
        )
        hit[i] = True
        confident[i] = depth == 0
        out[i] = Detection(
            stamps[i],
            0.0,
            usual,
            np.nan,
            np.nan,
            np.nan,
            True,
            "down",
            State.ANOMALY,
            reason,
            ZERO_ROWS,
        )
    return ZeroRowHits(out, confident, compared_with)


def zero_rows(
    series: Series,
    *,
    min_usual: float = ZERO_ROWS_MIN_USUAL,
    window: int | None = None,
    label: str = "rows",
) -> list[Detection]:
    """Flag a bucket with zero rows where the same buckets before it had rows.

    "The same buckets" are the last few of the same weekday (daily data) or hour of
    week, falling back to the hour of day (sub-daily data) or to any bucket (daily
    data) while the series is young, so a drop to zero alarms on its first day. Only
    buckets that usually hold at least ``min_usual`` rows count, so a small table can
    have an empty hour by chance.

    >>> s = Series(["2024-01-01", "2024-01-02", "2024-01-03"], [900.0, 950.0, 0.0])
    >>> [d.is_anomaly for d in zero_rows(s)]
    [False, False, True]
    >>> zero_rows(s)[-1].reason
    'rows 0: the bucket is empty, where the last 2 buckets had 925 rows on median'
    """
    return zero_row_hits(series, min_usual=min_usual, window=window, label=label).detections


def stalled_growth(
    series: Series,
    *,
    min_usual: float = ZERO_ROWS_MIN_USUAL,
    window: int | None = None,
    label: str = "rows",
) -> list[Detection]:
    """Flag a bucket where a table's growing row count (a snapshot) stopped growing.

    A snapshot of a table's size only grows, so a day without new rows moves it by a
    fraction of a percent: far inside any band on the count itself. When the count never
    fell over the last :data:`SNAPSHOT_MIN_STEPS` or more steps of the window, its growth
    per bucket is judged like rows per bucket by the zero-rows rule: no growth, where
    the same buckets before grew by at least ``min_usual`` rows, is an incident. A point
    sooner after the previous one than three quarters of the usual spacing (a second
    run on the same day) is not judged: no load had to arrive in between.

    >>> days = [f"2024-01-{d:02d}" for d in range(1, 21)]
    >>> counts = [1000.0 + 50 * d for d in range(19)] + [1900.0]
    >>> out = stalled_growth(Series(days, counts))
    >>> [d.is_anomaly for d in out][-3:], out[-1].reason
    ([False, False, True], 'rows +0: the row count did not grow (1,900), where the last 2 \
buckets on this weekday grew by 50 rows on median')
    """
    values = series.values
    size = len(series)
    stamps = as_datetimes(series.timestamps)
    out = [_plain(series, i, stamps[i], STALLED_GROWTH) for i in range(size)]
    growth = np.full(size, np.nan)
    growth[1:] = values[1:] - values[:-1]
    if size > 1:
        # A run sooner than the usual spacing (a rerun at 22:00 of a table loaded at
        # night) has had no load to grow from: no growth there is no stall.
        gaps = np.diff(series.timestamps).astype("timedelta64[s]").astype(float)
        growth[1:][gaps < SNAPSHOT_MIN_GAP * series.step_seconds] = np.nan
    window = window or max(points_in(56 * DAY, series.step_seconds), 8)
    steps = np.r_[0, np.cumsum(np.isfinite(growth))]
    falls = np.r_[0, np.cumsum(np.isfinite(growth) & (growth < 0))]
    grown = Series(series.timestamps, growth, excluded=series.excluded, expected=series.expected)
    hits = zero_row_hits(grown, min_usual=min_usual, window=window, label=label)
    for i, compared_with in hits.compared_with.items():
        start = max(1, i - window)
        if steps[i] - steps[start] < SNAPSHOT_MIN_STEPS or falls[i] - falls[start]:
            continue
        usual = float(hits.detections[i].expected)
        reason = (
            f"{label} +0: the row count did not grow ({format_value(values[i], Unit.COUNT)}), "
            f"where {compared_with} grew by {format_value(usual, Unit.COUNT)} rows on median"
        )
        out[i] = Detection(
            stamps[i], float(values[i]), float(values[i - 1]) + usual, np.nan, np.nan,
            np.nan, True, "down", State.ANOMALY, reason, STALLED_GROWTH,
        )
    return out


def above_limit(
    series: Series,
    limit: float,
    *,
    label: str = "value",
    unit: Unit = Unit.NUMBER,
    what: str = "the limit",
) -> list[Detection]:
    """Flag every point above an absolute ``limit`` (an SLA, a maximum null rate).

    >>> s = Series(["2024-01-01", "2024-01-02"], [1800.0, 30000.0])
    >>> out = above_limit(s, 21600, label="data age", unit=Unit.SECONDS, what="the 6h SLA")
    >>> [d.is_anomaly for d in out], out[1].reason
    ([False, True], 'data age 8h 20m is beyond the 6h SLA (6h)')
    """
    stamps = as_datetimes(series.timestamps)
    out = []
    for i, value in enumerate(series.values):
        if np.isfinite(value) and value > limit and not series.expected[i]:
            reason = (
                f"{label} {format_value(value, unit)} is beyond {what} "
                f"({format_value(limit, unit)})"
            )
            out.append(
                Detection(
                    stamps[i],
                    float(value),
                    np.nan,
                    np.nan,
                    float(limit),
                    np.nan,
                    True,
                    "up",
                    State.ANOMALY,
                    reason,
                    ABOVE_LIMIT,
                )
            )
        else:
            out.append(_plain(series, i, stamps[i], ABOVE_LIMIT, upper=float(limit)))
    return out


def freshness_sla(series: Series, sla_seconds: float) -> list[Detection]:
    """Data age (lag seconds) beyond the table's freshness SLA.

    >>> s = Series(["2024-01-01T06:00"], [90000.0])
    >>> freshness_sla(s, 86400)[0].reason
    'data age 1d 1h is beyond the freshness SLA (1d)'
    """
    return above_limit(
        series, sla_seconds, label="data age", unit=Unit.SECONDS, what="the freshness SLA"
    )


def null_rate_limit(series: Series, max_null_rate: float) -> list[Detection]:
    """Null rate (fraction 0..1) above an absolute limit.

    >>> s = Series(["2024-01-01", "2024-01-02"], [0.01, 0.2])
    >>> [d.is_anomaly for d in null_rate_limit(s, 0.05)]
    [False, True]
    """
    return above_limit(
        series, max_null_rate, label="null rate", unit=Unit.FRACTION, what="the allowed maximum"
    )
