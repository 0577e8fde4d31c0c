"""The robust seasonal detector: walk-forward median/MAD bands with level-shift handling.

Each point is judged only on points strictly before it (a training window of past
points). Points flagged earlier (unless labeled expected), points labeled incident and
points flagged by the history-free rules stay out of later training, so a past incident
does not widen the band. After ``shift_confirm`` points beyond the band on one side the
shift is accepted: earlier training points are moved to the new level (the learned
weekly shape is kept) and the shifted points join training, so alerts stop.
"""

from __future__ import annotations

import numpy as np

from monitor.detection.baseline import Baseline, choose_profile, fit_baseline
from monitor.detection.explain import explain
from monitor.detection.level_shift import ShiftWatch
from monitor.detection.phases import DAY, Profile, cadence, candidate_profiles, points_in
from monitor.detection.result import Bands, Detection, State
from monitor.detection.series import Series
from monitor.detection.settings import DetectorSettings
from monitor.detection.sustained import sustained_side, sustained_span
from monitor.detection.wording import Unit, change_text, ordinal

NAME = "seasonal"


def forward(values: np.ndarray, transform: str) -> np.ndarray:
    """Into detector space: identity, or a signed log1p for counts."""
    if transform == "log":
        return np.sign(values) * np.log1p(np.abs(values))
    return values


def backward(values: np.ndarray | float, transform: str) -> np.ndarray | float:
    """Back from detector space."""
    if transform == "log":
        return np.sign(values) * np.expm1(np.abs(values))
    return values


def resolved_windows(settings: DetectorSettings, step_seconds: float) -> tuple[int, int, int]:
    """(training_window, min_history, shift_confirm) in points for this cadence."""
    min_history = settings.min_history or max(5, points_in(7 * DAY, step_seconds))
    window = settings.training_window or max(points_in(56 * DAY, step_seconds), 4 * min_history)
    confirm = settings.shift_confirm or max(3, points_in(4 * DAY, step_seconds))
    return window, min_history, confirm


def _scale_floor(settings: DetectorSettings, center: float) -> float:
    floor = settings.min_scale
    if settings.transform == "log":
        floor = floor / (1.0 + abs(float(backward(center, "log"))))
    return max(floor, 1e-9 * max(1.0, abs(center)))


def fit_bands(
    series: Series,
    settings: DetectorSettings | None = None,
    *,
    unit: Unit = Unit.NUMBER,
    flagged: np.ndarray | None = None,
) -> Bands:
    """Walk the series and fill expected value, band, score and verdict per point.

    ``flagged`` marks points other detectors (the rules) already flagged: they stay
    out of training and out of level-shift runs.
    """
    settings = settings or DetectorSettings()
    size = len(series)
    bands = Bands(size)
    if size == 0:
        return bands
    step = series.step_seconds
    window, min_history, confirm = resolved_windows(settings, step)
    refit_every = points_in(DAY, step) if cadence(step) == "subdaily" else 1
    profiles = {p.name: p for p in candidate_profiles(series.timestamps, step)}
    raw = series.values
    values = forward(raw, settings.transform)
    finite = np.isfinite(values)
    labeled_ok = series.expected
    outside = np.zeros(size, dtype=bool) if flagged is None else np.asarray(flagged, dtype=bool)
    train_ok = finite & ~series.excluded & (~outside | labeled_ok)
    offsets = np.zeros(size)
    centers = np.full(size, np.nan)
    informative = np.zeros(size, dtype=bool)  # points that took part in shift runs
    covered = np.zeros(size, dtype=bool)  # judged while a pattern was still untested
    watch_up = settings.direction in ("up", "both")
    watch_down = settings.direction in ("down", "both")
    k = settings.sensitivity
    gap_floor, gap_share = settings.min_change, settings.min_relative_change
    watch = ShiftWatch(confirm, k / 2)
    span = sustained_span(step)
    fit: Baseline | None = None
    fitted_at = -(10**9)
    # The profile decision changes slowly: revisit it weekly once a pattern is testable.
    choice: tuple[Profile | None, bool] | None = None
    chosen_at = -(10**9)
    rechoose_every = points_in(7 * DAY, step)

    for i in range(size):
        start = max(0, i - window)
        history = int(np.count_nonzero(train_ok[start:i]))
        bands.history[i] = history
        if not finite[i]:
            bands.state[i] = State.MISSING
        elif labeled_ok[i]:
            bands.state[i] = State.EXPECTED
        if history < min_history:
            if finite[i] and not labeled_ok[i]:
                bands.state[i] = State.LEARNING
            continue
        if fit is None or i - fitted_at >= refit_every:
            index = start + np.flatnonzero(train_ok[start:i])
            trained = values[index] + offsets[index]
            if choice is None or choice[1] or i - chosen_at >= rechoose_every:
                choice = choose_profile(trained, index, profiles, settings.seasonality)
                chosen_at = i
            fit = fit_baseline(
                trained,
                index,
                profiles,
                settings.seasonality,
                choice,
                trend_to=i if settings.trend else None,
            )
            fitted_at = i
        phase = 0 if fit.profile.name == "plain" else int(fit.profile.groups[i])
        center, low, high, fitted_scale, cover = fit.center(phase)
        scale = max(fitted_scale, _scale_floor(settings, center))
        lo_t, hi_t = center - k * scale, center + k * scale
        if cover:
            lo_t, hi_t = min(lo_t, low - k * scale), max(hi_t, high + k * scale)
        expected = float(backward(center, settings.transform))
        lower = float(backward(lo_t, settings.transform))
        upper = float(backward(hi_t, settings.transform))
        gap = max(gap_floor, gap_share * abs(expected))
        lower, upper = min(lower, expected - gap), max(upper, expected + gap)
        if unit.non_negative:
            lower, upper = max(lower, 0.0), max(upper, 0.0)
        if unit is Unit.FRACTION:
            upper = min(upper, 1.0)
        centers[i] = center
        covered[i] = cover  # scores against an untested pattern do not add up
        bands.expected[i], bands.lower[i], bands.upper[i] = expected, lower, upper
        bands.context[i] = fit.profile.context(phase) if fit.profile.name != "plain" else ""
        if not finite[i]:
            continue
        bands.score[i] = (values[i] - center) / scale
        side = 1 if raw[i] > upper else -1 if raw[i] < lower else 0
        bands.side[i] = side
        if labeled_ok[i]:
            continue
        # A bucket that is always the same (no loads at 3am) says nothing of shifts.
        informative[i] = not (series.excluded[i] or outside[i] or (side == 0 and fitted_scale == 0))
        lean = side
        if side == 0 and informative[i] and not cover and abs(raw[i] - expected) >= gap:
            # Only points inside the band: one big outlier must not drag its neighbours.
            quiet = informative & (bands.side == 0) & ~covered
            lean, _ = sustained_side(bands.score, quiet, i, span, k)
            if lean:
                bands.note[i] = _sustained_note(raw, bands.expected, quiet, i, span, unit)
        watched = (lean > 0 and watch_up) or (lean < 0 and watch_down)
        bands.anomaly[i] = watched
        bands.state[i] = State.ANOMALY if watched else State.OK
        if side and not watched:
            bands.note[i] = "not alerted: only " + ("drops" if watch_down else "rises")
            bands.note[i] += " are watched"
        if lean:
            train_ok[i] = False
        if not informative[i]:
            continue
        shift = watch.add(i, float(bands.score[i]), lean)
        if watch.streak >= 2 and lean:
            bands.note[i] = _join(bands.note[i], f"{ordinal(watch.streak)} point in a row")
        if shift:
            movable = values != 0 if settings.transform == "log" else finite
            _accept_shift(watch.start, i, values, centers, offsets, train_ok, informative, movable)
            bands.note[i] = _join(
                bands.note[i], "level shift confirmed: the baseline now restarts at the new level"
            )
            watch.restart(i + 1)
            fit = choice = None
    return bands


def _sustained_note(
    raw: np.ndarray, expected: np.ndarray, informative: np.ndarray, i: int, span: int, unit: Unit
) -> str:
    begin = max(0, i - span + 1)
    used = informative[begin : i + 1] & np.isfinite(expected[begin : i + 1])
    mean_value = float(np.mean(raw[begin : i + 1][used]))
    mean_expected = float(np.mean(expected[begin : i + 1][used]))
    return (
        f"sustained: the last {int(used.sum())} points together are "
        f"{change_text(mean_value, mean_expected, unit)} the usual"
    )


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def _accept_shift(
    begin: int,
    end: int,
    values: np.ndarray,
    centers: np.ndarray,
    offsets: np.ndarray,
    train_ok: np.ndarray,
    informative: np.ndarray,
    movable: np.ndarray,
) -> None:
    """Move training before ``begin`` to the new level and let the run's points train.

    In log space zeros stay put: a shift multiplies counts, and an hour without loads
    stays without loads.
    """
    run = np.arange(begin, end + 1)
    usable = run[informative[run]]
    deviations = values[usable] - centers[usable]
    deviations = deviations[np.isfinite(deviations)]
    if deviations.size:
        offsets[:begin][movable[:begin]] += float(np.median(deviations))
    train_ok[usable] = True


def detect(
    series: Series,
    settings: DetectorSettings | None = None,
    *,
    unit: Unit = Unit.NUMBER,
    label: str = "value",
    flagged: np.ndarray | None = None,
) -> list[Detection]:
    """Judge every point of ``series`` against a robust seasonal baseline of its past.

    >>> days = np.arange("2024-01-01", "2024-03-01", dtype="datetime64[D]")
    >>> rows = 1000.0 + 10 * np.sin(np.arange(days.size))
    >>> rows[-1] = 300.0
    >>> out = detect(Series(days, rows), DetectorSettings(transform="log"), label="rows")
    >>> [d.state.value for d in out[:2]], out[-1].is_anomaly, out[-1].direction
    (['learning', 'learning'], True, 'down')
    >>> out[-1].reason
    'rows 300 are 70% below the usual 1,000 (band 971–1,030)'
    """
    settings = settings or DetectorSettings()
    bands = fit_bands(series, settings, unit=unit, flagged=flagged)
    _, min_history, _ = resolved_windows(settings, series.step_seconds)
    return explain(series, bands, label=label, unit=unit, detector=NAME, min_history=min_history)
