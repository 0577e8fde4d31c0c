"""Timeliness: late bucket arrivals against the learned load cadence, and freshness stalls.

Freshness lag measured at each check is a saw-tooth: it grows until a load lands, then
drops. The stall detector learns how high the tooth usually gets (the peaks just before
a drop) and flags a lag beyond that. Arrival delay (how long after its start a bucket's
data landed) is an ordinary series judged by the seasonal detector, upward only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from monitor.detection import seasonal
from monitor.detection.combine import combine
from monitor.detection.explain import explain
from monitor.detection.phases import DAY, cadence, candidate_profiles, points_in
from monitor.detection.result import Bands, Detection, State
from monitor.detection.robust import MAD_TO_SIGMA
from monitor.detection.rules import above_limit
from monitor.detection.series import Series, _as_timestamps
from monitor.detection.settings import DetectorSettings, MetricKind, defaults_for
from monitor.detection.wording import Unit, format_value
from monitor.errors import InputError

STALL = "timeliness.stall"
# A cadence change (loads now every 6h instead of hourly) is learned after this many
# consecutive load cycles that each went past the usual maximum.
CONFIRM_CYCLES = 3
_NS = 1_000_000_000


def load_cadence(arrived_at: Sequence[Any] | np.ndarray) -> float:
    """Typical seconds between loads: the median gap between distinct arrival times.

    >>> load_cadence(["2024-01-01T01:00", "2024-01-01T02:00", "2024-01-01T03:10"])
    3900.0
    """
    stamps = np.unique(_as_timestamps(np.asarray(arrived_at, dtype=object)))
    if stamps.size < 2:
        return float("nan")
    return float(np.median(np.diff(stamps).astype(np.int64))) / _NS


def arrival_delays(
    bucket_starts: Sequence[Any] | np.ndarray,
    arrived_at: Sequence[Any] | np.ndarray,
    *,
    now: Any = None,
) -> Series:
    """Series of arrival delays in seconds, indexed by bucket start.

    ``arrived_at`` is when each bucket's data landed (e.g. its max loaded-at) or
    ``None`` when it has not yet; such a bucket gets ``now - start`` (a lower bound
    of its delay) when ``now`` is given, else it is missing.

    >>> s = arrival_delays(["2024-01-01", "2024-01-02"], ["2024-01-01T02:00", None],
    ...                    now="2024-01-02T05:00")
    >>> s.values.tolist()
    [7200.0, 18000.0]
    """
    starts = _as_timestamps(np.asarray(bucket_starts, dtype=object))
    raw = np.asarray(arrived_at, dtype=object)
    if raw.shape != starts.shape:
        raise InputError(f"{starts.size} bucket starts but {raw.size} arrival times")
    present = np.array([item is not None and item == item for item in raw], dtype=bool)
    delays = np.full(starts.size, np.nan)
    if present.any():
        arrived = _as_timestamps(raw[present])
        delays[present] = (arrived - starts[present]).astype(np.int64) / _NS
    if now is not None and (~present).any():
        current = _as_timestamps(np.array([now], dtype=object))[0]
        pending = (current - starts[~present]).astype(np.int64) / _NS
        delays[~present] = np.where(pending > 0, pending, np.nan)
    return Series(starts, delays)


def judge_delays(
    series: Series, settings: DetectorSettings | None = None, *, sla_seconds: float | None = None
) -> list[Detection]:
    """Arrival delays against their learned usual value (upward only) and the SLA."""
    settings = settings or defaults_for(MetricKind.ARRIVAL_DELAY)
    rules = []
    if sla_seconds is not None:
        rules.append(
            above_limit(
                series,
                sla_seconds,
                label="arrival delay",
                unit=Unit.SECONDS,
                what="the arrival SLA",
            )
        )
    flagged = np.zeros(len(series), dtype=bool)
    for rule in rules:
        flagged |= np.fromiter((d.is_anomaly for d in rule), dtype=bool, count=len(series))
    primary = seasonal.detect(
        series, settings, unit=Unit.SECONDS, label="arrival delay", flagged=flagged
    )
    return combine(primary, rules)


def detect_late_arrivals(
    bucket_starts: Sequence[Any] | np.ndarray,
    arrived_at: Sequence[Any] | np.ndarray,
    settings: DetectorSettings | None = None,
    *,
    sla_seconds: float | None = None,
    now: Any = None,
) -> list[Detection]:
    """Flag buckets whose data landed later than usual (or beyond ``sla_seconds``).

    >>> days = [f"2024-01-{d:02d}" for d in range(1, 31)]
    >>> landed = [f"2024-01-{d:02d}T02:{d % 5:02d}" for d in range(1, 30)] + [None]
    >>> out = detect_late_arrivals(days, landed, now="2024-01-30T09:00")
    >>> out[-1].is_anomaly, out[-1].reason.split(" (")[0]
    (True, 'arrival delay 9h is 6h 58m above the usual 2h 2m')
    """
    return judge_delays(
        arrival_delays(bucket_starts, arrived_at, now=now), settings, sla_seconds=sla_seconds
    )


def _peaks(train: np.ndarray) -> np.ndarray:
    """Lags just before a drop: how old the data got before each load landed."""
    return train[:-1][train[1:] < train[:-1]]


def _relearned(values: np.ndarray, train_ok: np.ndarray, since: int, start: int, i: int) -> bool:
    """After a cadence change the new cycles themselves are enough to judge by."""
    return since > 0 and _peaks(values[start:i][train_ok[start:i]]).size >= CONFIRM_CYCLES


def _stall_limit(
    train: np.ndarray, settings: DetectorSettings
) -> tuple[float, float, float, float]:
    """(usual peak, its robust scale, the stall limit, the typical lag) from training lags."""
    peaks = _peaks(train)
    if peaks.size < 3:
        peaks = train
    usual = float(np.median(peaks))
    deviations = np.abs(peaks - usual)
    # Gaps between arrivals are skewed (a quiet night, a slow Sunday): the 90% quantile
    # of the deviations, read as a normal's, keeps the band honest where the MAD is not.
    spread = MAD_TO_SIGMA * float(np.median(deviations))
    if deviations.size >= 10:
        spread = max(spread, float(np.quantile(deviations, 0.9)) / 1.6449)
    scale = max(spread, settings.min_scale, 1e-9)
    k = settings.sensitivity
    limit = usual + max(k * scale, settings.min_change, settings.min_relative_change * usual)
    return usual, scale, limit, float(np.median(train))


def load_gap(check_seconds: np.ndarray, lags: np.ndarray) -> float:
    """Typical seconds between loads, read back from lags: each check says when the
    newest data landed (check time minus lag); NaN with fewer than three loads seen.

    >>> checks = np.arange(5) * 86400.0 + 6 * 3600  # daily checks at 06:00
    >>> float(load_gap(checks, np.full(5, 5 * 3600.0)))  # a load at 01:00 every day
    86400.0
    """
    landed = np.sort((check_seconds - lags)[np.isfinite(lags)])
    if landed.size < 2:
        return float("nan")
    # Checks see one load with some jitter: times closer than a quarter of the checks'
    # spacing (and five minutes) are the same load.
    spacing = float(np.median(np.diff(np.sort(check_seconds)))) if check_seconds.size > 1 else 0
    tolerance = max(300.0, 0.25 * spacing)
    steps = np.diff(landed)
    gaps = steps[steps > tolerance]
    if gaps.size < 2:
        return float("nan")
    return float(np.median(gaps))


# A check is compared with the lags seen at the same time of the week (or of the day,
# while fewer weeks are known): nightly and weekend gaps are normal where they recur.
SEASONAL_LOOKBACK = 8  # past checks of the same phase
# On sub-daily checks a lag must be past its limit at this many checks in a row before it
# alerts: one late check that the next load answers is a wobble (chosen on the real-series
# benchmark's tuning half). Daily or sparser checks alert at once: a check is a day.
PERSIST = 2


def _phase_groups(series: Series) -> list[np.ndarray]:
    """Phase arrays a check is compared within, per check.

    Sub-daily data: the hour of the week, and the same hour of the day on weekdays only
    for a weekday check, or on any day for a weekend check. A weekend gap (a call centre
    closed from Friday night to Monday morning) is routine on weekends, and must not make
    a Wednesday stall look normal; a weekend check may still lean on weekdays, which only
    adds examples where weekdays had the longer gaps. Daily data: the weekday.
    """
    profiles = {
        p.name: p.groups for p in candidate_profiles(series.timestamps, series.step_seconds)
    }
    if "hour_of_day" in profiles:
        weekend = profiles["weekpart"] == 1
        # Weekend checks get the plain hour of day, shifted past every hour_of_weekpart
        # label so the two never meet.
        offset = int(profiles["hour_of_weekpart"].max(initial=0)) + 1
        pool = np.where(weekend, profiles["hour_of_day"] + offset, profiles["hour_of_weekpart"])
        return [profiles["hour_of_week"], pool, profiles["hour_of_day"] + offset]
    return [profiles[name] for name in ("weekday",) if name in profiles]


def _seasonal_range(
    values: np.ndarray, usable: np.ndarray, phases: list[np.ndarray], i: int, start: int
) -> tuple[float, float]:
    """(lowest, highest) lag of the last few checks at the same hour of the week and of
    the day as ``i``; NaNs while no phase was seen twice yet."""
    if len(phases) == 3:  # sub-daily: a weekend check pools the hour over all days
        week, pool, any_day = phases
        phases = [week, any_day if pool[i] == any_day[i] else pool]
    seen = [
        values[start:i][usable[start:i] & (groups[start:i] == groups[i])][-SEASONAL_LOOKBACK:]
        for groups in phases
    ]
    seen = [s for s in seen if s.size >= 2]
    if not seen:
        return float("nan"), float("nan")
    both = np.concatenate(seen)
    return float(np.min(both)), float(np.max(both))


def stall_bands(
    series: Series, settings: DetectorSettings | None = None, *, flagged: np.ndarray | None = None
) -> Bands:
    """Walk a freshness-lag series and flag lags beyond the usual peak of the saw-tooth."""
    settings = settings or defaults_for(MetricKind.FRESHNESS)
    size = len(series)
    bands = Bands(size)
    window, min_history, _ = seasonal.resolved_windows(settings, series.step_seconds)
    values = series.values
    finite = np.isfinite(values)
    outside = np.zeros(size, dtype=bool) if flagged is None else np.asarray(flagged, dtype=bool)
    train_ok = finite & ~series.excluded & (~outside | series.expected)
    # The usual maximum moves slowly: refit it once a day on sub-daily checks.
    subdaily = cadence(series.step_seconds) == "subdaily"
    refit_every = points_in(DAY, series.step_seconds) if subdaily else 1
    persist = PERSIST if subdaily else 1
    fit: tuple[float, float, float, float] | None = None
    phases = _phase_groups(series)
    seconds = series.timestamps.astype("datetime64[s]").astype(np.int64).astype(float)
    fitted_at, fitted_since = 0, 0
    cycle = 0.0
    cycle_start, cycle_flagged = 0, False
    streak_start, streak = 0, 0
    since = 0  # training restarts here after a cadence change
    previous = np.nan
    over_run = 0
    alerted_last = None
    for i in range(size):
        if finite[i] and values[i] < previous:  # a load landed: a cycle ended
            if cycle_flagged:
                streak_start = cycle_start if streak == 0 else streak_start
                streak += 1
            else:
                streak = 0
            if streak >= CONFIRM_CYCLES:
                since = streak_start
                train_ok[since:i] = finite[since:i] & ~series.excluded[since:i]
                bands.note[i] = "loads now come less often; learned as the new cadence"
                streak = 0
            cycle_start, cycle_flagged = i, False
        if finite[i]:
            previous = values[i]
        start = max(since, i - window)
        history = int(np.count_nonzero(train_ok[start:i]))
        bands.history[i] = history
        if not finite[i]:
            bands.state[i] = State.MISSING
        elif series.expected[i]:
            bands.state[i] = State.EXPECTED
        if history < min_history and not _relearned(values, train_ok, since, start, i):
            if finite[i] and not series.expected[i]:
                bands.state[i] = State.LEARNING
            continue
        if fit is None or i - fitted_at >= refit_every or fitted_since != since:
            fit = _stall_limit(values[start:i][train_ok[start:i]], settings)
            gap = load_gap(seconds[start:i][train_ok[start:i]], values[start:i][train_ok[start:i]])
            cycle = 0.0
            if np.isfinite(gap):  # a healthy table is never older than one load cycle
                cycle = gap + max(settings.min_change, settings.min_relative_change * gap)
            fitted_at, fitted_since = i, since
        usual, scale, limit, typical = fit
        low, high = _seasonal_range(values, train_ok, phases, i, start)
        if np.isfinite(high):
            # What this hour of the week (and of the day) looked like replaces the overall
            # saw-tooth: a nightly gap is normal at night only. The margin is the spread
            # seen at this hour, so an evening that varies keeps a wide band.
            spread = max(settings.min_change, settings.min_relative_change * high, 2 * (high - low))
            limit = high + spread
        limit = max(limit, cycle)
        bands.expected[i] = typical
        bands.lower[i], bands.upper[i] = 0.0, limit
        if not finite[i]:
            continue
        bands.score[i] = (values[i] - usual) / scale
        over_run = over_run + 1 if values[i] > limit else 0
        # A stall goes on until a load lands: no new data since the alert is the same
        # incident, through the night hours where such a lag would be routine.
        ongoing = alerted_last is not None and values[i] >= alerted_last
        ongoing = ongoing and not series.expected[i]  # a labeled point is never an alert
        alerted_last = None
        if not ongoing and (values[i] <= limit or series.expected[i] or over_run < persist):
            bands.side[i] = 1 if values[i] > limit else 0
            if not series.expected[i]:
                bands.state[i] = State.OK
            continue
        bands.side[i] = 1
        bands.anomaly[i] = True
        if over_run == persist:  # the checks that led up to it do not train either
            train_ok[i - persist + 1 : i] = False
        bands.state[i] = State.ANOMALY
        last_load = series.timestamps[i] - np.timedelta64(int(values[i] * _NS), "ns")
        bands.note[i] = (
            f"no new data since {np.datetime_as_string(last_load, unit='m').replace('T', ' ')}; "
            f"the usual maximum is {format_value(usual, Unit.SECONDS)}"
        )
        train_ok[i] = False
        alerted_last = values[i]
        if not series.excluded[i] and not outside[i]:
            cycle_flagged = True
    return bands


def detect_stalls(
    series: Series, settings: DetectorSettings | None = None, *, flagged: np.ndarray | None = None
) -> list[Detection]:
    """Flag a freshness lag (seconds since the newest row) beyond its usual maximum.

    >>> hours = np.arange("2024-01-01T00", "2024-01-15T00", dtype="datetime64[h]")
    >>> lag = (np.arange(hours.size) % 6) * 3600.0 + 600  # a load every 6 hours
    >>> lag[-10:] = lag[-11] + 3600.0 * np.arange(1, 11)  # then loads stop
    >>> out = detect_stalls(Series(hours, lag))
    >>> [d.is_anomaly for d in out[-10:]]  # overdue a load cycle and a quarter, twice
    [False, False, False, False, False, False, False, True, True, True]
    """
    settings = settings or defaults_for(MetricKind.FRESHNESS)
    bands = stall_bands(series, settings, flagged=flagged)
    _, min_history, _ = seasonal.resolved_windows(settings, series.step_seconds)
    return explain(
        series, bands, label="data age", unit=Unit.SECONDS, detector=STALL, min_history=min_history
    )
