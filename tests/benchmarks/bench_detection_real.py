"""Detection benchmark on real metric series with injected faults (not part of the test run).

    python tests/benchmarks/bench_detection_real.py [--half tuning|held-out|both] [--only KIND]

Every detector judges every point of a series walk-forward (on points strictly before
it), in the same run, on the same cases (see ``real_cases.py`` for the data and the
faults). Scoring, the same for all:

- a fault is caught when a point from one bucket before it to one bucket after its
  scoring window is flagged (a level shift's window is its first week on daily data,
  its first two days on hourly data; a drift's window is its ramp plus three days, or
  one day on hourly data);
- every other run of consecutive flagged points is one false-alarm episode;
  precision = caught / (caught + false-alarm episodes on the faulty copies);
- false-alarm episodes / series / 30 d are counted on the clean copies (the real series
  as they are, with their own holidays and spikes).

Rows: dq-monitor with its defaults; dq-monitor with the opt-in US holiday calendar
(``detect_metric(..., holidays="US")``; a data owner's setting, not a default: it is
reported apart, and the series are US data but for Victoria's electricity demand and
Seattle's weather); dq-monitor with the opt-in precedent rule (``precedent: true``, see
``monitor/detection/precedent.py``); and the baselines.

Baselines, each with the tested point outside its own window:
- z-score: mean and standard deviation of the previous 14 days, |z| > 3 (Elementary's
  recommended setting; at least 7 training points; a zero deviation scores 0);
- z-score, same weekday (daily) / same hour of day (hourly): the previous 14 values of
  that phase;
- Deequ OnlineNormal: running mean and variance over all earlier points, 3 deviations,
  flagged points do not update the running state (Deequ's ``ignoreAnomalies``);
- seasonal median/MAD: median of the last 8 same weekdays (daily) or 14 same hours
  (hourly), |value - median| > 3.5 x 1.4826 MAD;
- Holt-Winters (statsmodels, additive damped trend and season of 7 days or 24 hours,
  refitted every 14 days or every week): one-step forecast +- 3 x the standard deviation
  of its earlier one-step errors.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.detection.combine import flagged_mask
from monitor.detection.detect import detect_metric
from monitor.detection.series import Series
from tests.benchmarks.real_cases import (
    DETECTOR_KIND,
    DIRECTION,
    KINDS,
    Case,
    all_cases,
)

DQ = "dq-monitor"
DQ_HOLIDAYS = "dq-monitor + US holidays (opt-in)"
DQ_PRECEDENT = "dq-monitor + precedent (opt-in)"


def _gate(case: Case, z: np.ndarray) -> np.ndarray:
    z = np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0)
    direction = DIRECTION[case.kind]
    if direction == "up":
        return z > 3
    if direction == "down":
        return z < -3
    return np.abs(z) > 3


def ours(case: Case) -> np.ndarray:
    series = Series(case.timestamps, case.values)
    kwargs = {}
    if case.rows is not None:
        kwargs["rows"] = case.rows
    try:
        found = detect_metric(series, DETECTOR_KIND[case.kind], **kwargs)
    except TypeError:  # a detector without row counts
        found = detect_metric(series, DETECTOR_KIND[case.kind])
    return flagged_mask(found)


def ours_with_holidays(case: Case) -> np.ndarray:
    """dq-monitor with the opt-in US holiday calendar (not a default: the data owner's
    knowledge; the benchmark's series are US data but for Victoria's electricity)."""
    series = Series(case.timestamps, case.values)
    found = detect_metric(series, DETECTOR_KIND[case.kind], rows=case.rows, holidays="US")
    return flagged_mask(found)


def ours_with_precedent(case: Case) -> np.ndarray:
    """dq-monitor with the opt-in precedent rule (``precedent: true``): an alert is held
    back when the series moved as far the same way within its training window."""
    from monitor.detection.settings import defaults_for

    kind = DETECTOR_KIND[case.kind]
    settings = defaults_for(kind).merged({"precedent": True})
    found = detect_metric(Series(case.timestamps, case.values), kind, settings, rows=case.rows)
    return flagged_mask(found)


def _min_points(case: Case) -> int:
    return 7 * case.per_day if case.per_day > 1 else 7


def zscore(case: Case) -> np.ndarray:
    """Previous 14 days, tested point excluded."""
    window = 14 * case.per_day
    values = pd.Series(case.values)
    past = values.shift(1).rolling(window, min_periods=_min_points(case))
    std = past.std()
    z = (values - past.mean()) / std.where(std > 0)
    return _gate(case, z.to_numpy())


def _phase(case: Case) -> np.ndarray:
    if case.per_day > 1:
        return (case.timestamps.astype("datetime64[h]").astype(np.int64)) % 24
    return (case.timestamps.astype("datetime64[D]").astype(np.int64) + 3) % 7


def zscore_seasonal(case: Case) -> np.ndarray:
    """Previous 14 values of the same weekday (daily) or hour of day (hourly)."""
    values = pd.Series(case.values)
    phase = pd.Series(_phase(case))
    grouped = values.groupby(phase)
    past = grouped.transform(lambda s: s.shift(1).rolling(14, min_periods=7).mean())
    spread = grouped.transform(lambda s: s.shift(1).rolling(14, min_periods=7).std())
    z = (values - past) / spread.where(spread > 0)
    return _gate(case, z.to_numpy())


def online_normal(case: Case) -> np.ndarray:
    """Deequ's OnlineNormal (3 deviations, ignoreAnomalies), judged before updating."""
    flags = np.zeros(case.values.size, dtype=bool)
    n, mean, m2 = 0, 0.0, 0.0
    direction = DIRECTION[case.kind]
    for i, value in enumerate(case.values):
        if not np.isfinite(value):
            continue
        if n >= _min_points(case):
            std = np.sqrt(m2 / n)
            above = value > mean + 3 * std
            below = value < mean - 3 * std
            hit = (above and direction != "down") or (below and direction != "up")
            if hit:
                flags[i] = True
                continue  # anomalies do not update the running state
        n += 1
        delta = value - mean
        mean += delta / n
        m2 += delta * (value - mean)
    return flags


def seasonal_mad(case: Case) -> np.ndarray:
    """Median and MAD of the last 8 same weekdays (daily) or 14 same hours (hourly)."""
    depth = 14 if case.per_day > 1 else 8
    values = case.values
    phase = _phase(case)
    z = np.zeros(values.size)
    for p in np.unique(phase):
        members = np.flatnonzero(phase == p)
        for rank, i in enumerate(members):
            past = values[members[max(0, rank - depth) : rank]]
            past = past[np.isfinite(past)]
            if past.size < 4 or not np.isfinite(values[i]):
                continue
            median = np.median(past)
            mad = 1.4826 * np.median(np.abs(past - median))
            scale = max(mad, 1e-9 * max(1.0, abs(median)))
            z[i] = (values[i] - median) / scale * (3 / 3.5)
    return _gate(case, z)


def holt_winters(case: Case) -> np.ndarray:
    """statsmodels Holt-Winters one-step forecasts, +- 3 sd of earlier one-step errors."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    period = 24 if case.per_day > 1 else 7
    refit = 7 * 24 if case.per_day > 1 else 14
    y = pd.Series(case.values).ffill().bfill().to_numpy()
    size = y.size
    z = np.zeros(size)
    first = 2 * period + 1
    errors: list[float] = []
    options = {"trend": "add", "damped_trend": True, "seasonal": "add", "seasonal_periods": period}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for begin in range(first, size, refit):
            stop = min(size, begin + refit)
            try:
                fit = ExponentialSmoothing(
                    y[:begin], initialization_method="estimated", **options
                ).fit()
                p = fit.params
                known = ExponentialSmoothing(
                    y[:stop],
                    initialization_method="known",
                    initial_level=p["initial_level"],
                    initial_trend=p["initial_trend"],
                    initial_seasonal=p["initial_seasons"],
                    **options,
                ).fit(
                    smoothing_level=p["smoothing_level"],
                    smoothing_trend=p["smoothing_trend"],
                    smoothing_seasonal=p["smoothing_seasonal"],
                    damping_trend=p["damping_trend"],
                    optimized=False,
                )
            except (ValueError, np.linalg.LinAlgError):
                continue
            predicted = np.asarray(known.fittedvalues)
            if len(errors) >= 2 * period:
                sigma = float(np.std(errors))
            else:
                sigma = float(np.std(y[period:begin] - predicted[period:begin]))
            block = y[begin:stop] - predicted[begin:stop]
            if sigma > 0:
                z[begin:stop] = block / sigma
            errors.extend(block.tolist())
    finite = np.isfinite(case.values)
    return _gate(case, np.where(finite, z, 0.0))


DETECTORS: dict[str, Callable[[Case], np.ndarray]] = {
    DQ: ours,
    DQ_HOLIDAYS: ours_with_holidays,
    DQ_PRECEDENT: ours_with_precedent,
    "z-score 14 d": zscore,
    "z-score 14 d, seasonal": zscore_seasonal,
    "Deequ OnlineNormal": online_normal,
    "seasonal median/MAD": seasonal_mad,
    "Holt-Winters": holt_winters,
}


# ---------------------------------------------------------------- scoring


def _runs(mask: np.ndarray) -> int:
    if not mask.size:
        return 0
    return int(np.count_nonzero(mask[1:] & ~mask[:-1]) + int(mask[0]))


@dataclass
class Score:
    caught: int = 0
    total: int = 0
    false_faulty: int = 0
    false_clean: int = 0
    clean_days: float = 0.0
    by_fault: dict[str, list[int]] = field(default_factory=dict)

    def add(self, faulty: Case, flags: np.ndarray, clean: Case, clean_flags: np.ndarray) -> None:
        window = np.zeros(flags.size, dtype=bool)
        for fault in faulty.faults:
            begin, end = max(0, fault.start - 1), min(flags.size, fault.end + 1)
            window[begin:end] = True
            hit = bool(flags[begin:end].any())
            self.total += 1
            self.caught += hit
            tally = self.by_fault.setdefault(fault.kind, [0, 0])
            tally[0] += hit
            tally[1] += 1
        self.false_faulty += _runs(flags & ~window)
        self.false_clean += _runs(clean_flags)
        self.clean_days += clean.days

    def merge(self, other: Score) -> None:
        self.caught += other.caught
        self.total += other.total
        self.false_faulty += other.false_faulty
        self.false_clean += other.false_clean
        self.clean_days += other.clean_days
        for kind, (hit, total) in other.by_fault.items():
            tally = self.by_fault.setdefault(kind, [0, 0])
            tally[0] += hit
            tally[1] += total

    @property
    def recall(self) -> float:
        return self.caught / self.total if self.total else float("nan")

    @property
    def precision(self) -> float:
        flagged = self.caught + self.false_faulty
        return self.caught / flagged if flagged else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_per_30(self) -> float:
        return self.false_clean / (self.clean_days / 30) if self.clean_days else float("nan")


class Cache:
    """Flags of the baselines, keyed by detector and series, so tuning runs are quick."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.data: dict[str, np.ndarray] = {}
        if path is not None and path.exists():
            self.data = pickle.loads(path.read_bytes())

    def flags(self, label: str, case: Case, detector: Callable[[Case], np.ndarray]) -> np.ndarray:
        if self.path is None or label in (DQ, DQ_HOLIDAYS, DQ_PRECEDENT):
            return detector(case)
        key = label + hashlib.sha1(case.values.tobytes() + case.name.encode()).hexdigest()
        if key not in self.data:
            self.data[key] = detector(case)
        return self.data[key]

    def save(self) -> None:
        if self.path is not None:
            self.path.write_bytes(pickle.dumps(self.data))


def evaluate(pairs, labels, cache: Cache) -> tuple[dict, dict]:
    scores = {kind: {label: Score() for label in labels} for kind in KINDS}
    seconds = dict.fromkeys(labels, 0.0)
    for faulty, clean in pairs:
        for label in labels:
            detector = DETECTORS[label]
            began = time.perf_counter()
            flags = cache.flags(label, faulty, detector)
            clean_flags = cache.flags(label, clean, detector)
            seconds[label] += time.perf_counter() - began
            scores[faulty.kind][label].add(faulty, flags, clean, clean_flags)
    return scores, seconds


def table(title: str, scores: dict, labels: list[str], n_series: dict[str, int]) -> list[str]:
    header = [
        "metric kind",
        "detector",
        "recall",
        "precision",
        "F1",
        "false alarms / series / 30 d",
    ]
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    total = {label: Score() for label in labels}
    for kind in KINDS:
        if not any(scores[kind][label].total for label in labels):
            continue
        for label in labels:
            score = scores[kind][label]
            total[label].merge(score)
            name = f"{kind} ({n_series[kind]} series, {score.total} faults)"
            lines.append(_line(name, label, score))
    for label in labels:
        lines.append(_line("**all kinds**", label, total[label]))
    return lines


def _line(name: str, label: str, score: Score) -> str:
    bold = label in (DQ, DQ_HOLIDAYS, DQ_PRECEDENT)
    cells = [
        f"{score.recall:.2f}",
        f"{score.precision:.2f}",
        f"{score.f1:.2f}",
        f"{score.false_per_30:.2f}",
    ]
    if bold:
        cells = [f"**{cell}**" for cell in cells]
    return "| " + " | ".join([name, label, *cells]) + " |"


def by_fault(scores: dict, label: str) -> list[str]:
    merged = Score()
    for kind in KINDS:
        merged.merge(scores[kind][label])
    return [
        f"  {kind:16s} {hit:3d}/{total:3d}"
        for kind, (hit, total) in sorted(merged.by_fault.items())
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["tuning", "held-out", "both"], default="both")
    parser.add_argument("--only", default="", help="metric kinds whose name contains this")
    parser.add_argument("--detectors", default="", help="comma-separated labels (default all)")
    parser.add_argument("--cache", type=Path, default=None, help="pickle of baseline flags")
    parser.add_argument("--faults", action="store_true", help="recall per fault kind")
    args = parser.parse_args()
    labels = [name.strip() for name in args.detectors.split(",") if name.strip()] or list(DETECTORS)
    started = time.perf_counter()
    tuning, held_out = all_cases()
    halves = {"tuning": tuning, "held-out": held_out}
    chosen = list(halves) if args.half == "both" else [args.half]
    cache = Cache(args.cache)
    lines: list[str] = []
    timing = dict.fromkeys(labels, 0.0)
    points = 0
    for half in chosen:
        pairs = [pair for pair in halves[half] if args.only in pair[0].kind]
        points += 2 * sum(pair[0].values.size for pair in pairs)
        n_series = {kind: sum(1 for pair in pairs if pair[0].kind == kind) for kind in KINDS}
        scores, seconds = evaluate(pairs, labels, cache)
        for label in labels:
            timing[label] += seconds[label]
        lines += table(f"{half} half", scores, labels, n_series)
        if args.faults:
            for label in (name for name in (DQ, DQ_HOLIDAYS, DQ_PRECEDENT) if name in labels):
                lines += ["", f"recall per fault kind, {half} half ({label}):"]
                lines += by_fault(scores, label)
        lines.append("")
    cache.save()
    print("\n".join(lines))
    speed = ", ".join(f"{label} {1e6 * timing[label] / max(points, 1):.0f}" for label in labels)
    print(f"µs per point: {speed}")
    print(f"ran in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
