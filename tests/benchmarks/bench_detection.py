"""Detection benchmark on labeled synthetic histories (not part of the test run).

    .venv/bin/python tests/benchmarks/bench_detection.py [--quick] [--scenarios N]

Generates metric histories with weekly (and daily) seasonality, trend, noise and sparse
loads, injects faults, and scores our detector (``detect_metric`` with default
settings) and, in the same run, a plain z-score baseline: the previous 14 days, 3 sigma
(the tested point is not in its own window). Prints one markdown table. These histories
are built the way the detector models data (weekday multipliers, log-normal noise); see
bench_detection_real.py for real series.

Scoring is per episode:
- a fault counts as caught when at least one point inside its window (plus one point
  after it, for the recovery) is flagged;
- a false-alarm episode is a run of consecutive flagged points outside every fault
  window; precision = caught faults / (caught faults + false-alarm episodes);
- false-alarm episodes per 30 days are counted on separate clean (fault-free) series.

Large faults: drop to zero, partial load -30% to -60%, duplicate load +100%, null-rate
jump (+5 to +30 points and at least doubling the usual rate), freshness stall, level
shift (x0.5 or x1.8, lasting). Small
faults: 20-30% up or down (volume and distribution metrics). Faults are placed in the
first weeks (from day 8, after the one-week learning period; drops to zero from day 2)
and close to each other (so earlier faults sit inside the training window of later ones).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# Run as a script from anywhere: import this checkout's monitor, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.detection.combine import flagged_mask
from monitor.detection.detect import detect_metric
from monitor.detection.series import Series

HOUR = 3600
DAY = 24 * HOUR


@dataclass
class Fault:
    kind: str
    size: str  # "large" or "small"
    start: int  # first point affected
    end: int  # one past the last point affected (window end for scoring)


@dataclass
class Case:
    metric: str  # benchmark row name
    kind: str  # MetricKind passed to detect_metric
    direction: str  # for the z-score baseline
    timestamps: np.ndarray
    values: np.ndarray
    faults: list[Fault] = field(default_factory=list)
    per_day: int = 1


# ---------------------------------------------------------------- generators


def _stamps(days: int, per_day: int, rng: np.random.Generator) -> np.ndarray:
    start = np.datetime64("2023-01-02") + np.timedelta64(int(rng.integers(0, 7)), "D")
    step = np.timedelta64(DAY // per_day, "s")
    return start + step * np.arange(days * per_day)


def _weekday(stamps: np.ndarray) -> np.ndarray:
    return (stamps.astype("datetime64[D]").astype(np.int64) + 3) % 7


def _weekly_shape(rng: np.random.Generator) -> np.ndarray:
    """Multiplicative factor per weekday (Monday first)."""
    style = rng.choice(["weekend", "uneven", "flat"], p=[0.5, 0.3, 0.2])
    if style == "weekend":
        return np.array([1, 1, 1, 1, 1, *([rng.uniform(0.3, 0.8)] * 2)])
    if style == "uneven":
        return np.exp(rng.normal(0, 0.15, 7))
    return np.ones(7)


def _plan_faults(
    rng: np.random.Generator,
    n_points: int,
    per_day: int,
    kinds: list[tuple[str, str, int, int]],
    valid: np.ndarray,
    shift: bool,
) -> list[Fault]:
    """Place 3-6 non-overlapping faults, one early, some close together; maybe a level shift.

    ``kinds`` holds (kind, size, min_len, max_len) in points. ``valid`` marks points
    where a fault can start (a bucket that normally has rows).
    """
    faults: list[Fault] = []
    taken = np.zeros(n_points, dtype=bool)
    count = int(rng.integers(3, 7))
    tries = 0
    while len(faults) < count and tries < 500:
        tries += 1
        kind, size, low, high = kinds[int(rng.integers(len(kinds)))]
        length = int(rng.integers(low, high + 1))
        earliest = (2 if kind == "zero" else 8) * per_day
        if not faults and rng.random() < 0.6:  # an early fault (first weeks)
            start = int(rng.integers(earliest, 21 * per_day))
        elif faults and rng.random() < 0.5:  # close after a previous fault
            previous = faults[-1].start
            start = previous + int(rng.integers(3 * per_day, 40 * per_day))
        else:
            start = int(rng.integers(earliest, n_points - 8 * per_day))
        end = start + length
        if end >= n_points - per_day or not valid[start]:
            continue
        if taken[max(0, start - 3 * per_day) : end + 3 * per_day].any():
            continue
        taken[start:end] = True
        faults.append(Fault(kind, size, start, end))
    if shift:
        for _ in range(100):
            start = int(rng.integers(30 * per_day, n_points - 20 * per_day))
            if valid[start] and not taken[start - 3 * per_day : start + 10 * per_day].any():
                faults.append(Fault("level_shift", "large", start, start + 7 * per_day))
                break
    return sorted(faults, key=lambda f: f.start)


def _apply(values: np.ndarray, faults: list[Fault], rng: np.random.Generator) -> np.ndarray:
    out = values.copy()
    for fault in faults:
        span = slice(fault.start, fault.end)
        if fault.kind == "zero":
            out[span] = 0
        elif fault.kind == "partial":
            out[span] *= 1 - rng.uniform(0.3, 0.6)
        elif fault.kind == "duplicate":
            out[span] *= 2
        elif fault.kind == "small":
            out[span] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.2, 0.3)
        elif fault.kind == "level_shift":
            out[fault.start :] *= rng.choice([0.5, 1.8])
    return out


def volume_daily(rng: np.random.Generator, days: int, faulty: bool) -> Case:
    stamps = _stamps(days, 1, rng)
    level = np.exp(rng.uniform(np.log(200), np.log(2e6)))
    shape = _weekly_shape(rng)
    if rng.random() < 0.15:  # no loads on weekends (sparse)
        shape[5:] = 0
    growth = rng.uniform(-0.2, 0.6)  # per year
    t = np.arange(days) / 365
    noise = rng.uniform(0.02, 0.06)
    mean = level * shape[_weekday(stamps)] * np.exp(growth * t)
    valid = mean > 0
    kinds = [
        ("zero", "large", 1, 2),
        ("partial", "large", 1, 2),
        ("duplicate", "large", 1, 1),
        ("small", "small", 1, 2),
    ]
    faults = _plan_faults(rng, days, 1, kinds, valid, rng.random() < 0.3) if faulty else []
    mean = _apply(mean, faults, rng)
    values = rng.poisson(mean * np.exp(rng.normal(0, noise, days))).astype(float)
    return Case("volume, daily", "volume", "both", stamps, values, faults)


def volume_hourly(rng: np.random.Generator, days: int, faulty: bool) -> Case:
    stamps = _stamps(days, 24, rng)
    hours = (stamps.astype("datetime64[h]").astype(np.int64)) % 24
    level = np.exp(rng.uniform(np.log(50), np.log(50_000)))
    daily = 1 + rng.uniform(0.2, 0.8) * np.sin(2 * np.pi * (hours - rng.uniform(6, 10)) / 24)
    weekly = _weekly_shape(rng)[_weekday(stamps)]
    style = rng.choice(["continuous", "business", "every3h"], p=[0.5, 0.25, 0.25])
    mean = level * daily * weekly
    if style == "business":
        mean = np.where((hours >= 8) & (hours < 19) & (_weekday(stamps) < 5), mean, 0)
    elif style == "every3h":
        mean = np.where(hours % 3 == 2, 3 * mean, 0)
    noise = rng.uniform(0.03, 0.08)
    valid = mean > 0
    kinds = [
        ("zero", "large", 2, 6),
        ("partial", "large", 3, 12),
        ("duplicate", "large", 1, 3),
        ("small", "small", 6, 24),
    ]
    faults = _plan_faults(rng, stamps.size, 24, kinds, valid, rng.random() < 0.3) if faulty else []
    mean = _apply(mean, faults, rng)
    values = rng.poisson(mean * np.exp(rng.normal(0, noise, stamps.size))).astype(float)
    return Case("volume, hourly", "volume", "both", stamps, values, faults, per_day=24)


def null_rate_daily(rng: np.random.Generator, days: int, faulty: bool) -> Case:
    stamps = _stamps(days, 1, rng)
    rows = np.exp(rng.uniform(np.log(500), np.log(1e6)))
    if rng.random() < 0.4:  # a column that is (nearly) never null: 0% with rare wiggles
        rate = np.where(rng.random(days) < 0.1, rng.uniform(0, 0.005, days), 0.0)
    else:
        base = np.exp(rng.uniform(np.log(0.002), np.log(0.3)))
        rate = base * np.exp(rng.normal(0, rng.uniform(0.03, 0.12), days))
    kinds = [("null_jump", "large", 1, 3)]
    faults = (
        _plan_faults(rng, days, 1, kinds, np.ones(days, bool), rng.random() < 0.3) if faulty else []
    )
    usual = float(np.median(rate))
    for fault in faults:
        jump = max(rng.uniform(0.05, 0.3), usual * rng.uniform(1, 2))
        if fault.kind == "level_shift":
            rate[fault.start :] += jump
        else:
            rate[fault.start : fault.end] += jump
    values = rng.binomial(int(rows), np.clip(rate, 0, 1)) / int(rows)
    return Case("null rate, daily", "null_rate", "up", stamps, values, faults)


def freshness_hourly(rng: np.random.Generator, days: int, faulty: bool) -> Case:
    stamps = _stamps(days, 24, rng)
    cadence = int(rng.choice([1, 2, 6, 24])) * HOUR
    delay = rng.uniform(5, 40) * 60
    checks = (stamps - stamps[0]).astype("timedelta64[s]").astype(np.int64).astype(float)
    loads = np.arange(-cadence, checks[-1] + cadence, cadence, dtype=float)
    loads = loads + delay + rng.normal(0, 0.05 * cadence, loads.size)
    faults: list[Fault] = []
    if faulty:
        kinds = [("stall", "large", max(4, 2 * cadence // HOUR), max(8, 3 * cadence // HOUR))]
        faults = _plan_faults(rng, stamps.size, 24, kinds, np.ones(stamps.size, bool), False)
        for fault in faults:
            gone = (loads > checks[fault.start]) & (loads < checks[min(fault.end, checks.size - 1)])
            loads = loads[~gone]
    loads = np.sort(loads)
    last = loads[np.searchsorted(loads, checks, side="right") - 1]
    values = checks - last + rng.uniform(0, 60, checks.size)
    case = Case("freshness, hourly", "freshness", "up", stamps, values, faults, per_day=24)
    # A stall is visible from the moment the missing load was due until the next load.
    for fault in case.faults:
        after = np.flatnonzero(np.diff(values[fault.start :]) < 0)
        fault.end = fault.start + (int(after[0]) + 1 if after.size else values.size)
    return case


def distribution_daily(rng: np.random.Generator, days: int, faulty: bool) -> Case:
    stamps = _stamps(days, 1, rng)
    base = np.exp(rng.uniform(np.log(1), np.log(1e5)))
    shape = np.exp(rng.normal(0, 0.03, 7))[_weekday(stamps)] if rng.random() < 0.3 else 1.0
    drift = np.exp(rng.uniform(-0.1, 0.1) * np.arange(days) / 365)
    mean = base * shape * drift
    kinds = [("shift_large", "large", 1, 3), ("small", "small", 1, 3)]
    faults = (
        _plan_faults(rng, days, 1, kinds, np.ones(days, bool), rng.random() < 0.3) if faulty else []
    )
    for fault in faults:
        span = slice(fault.start, fault.end if fault.kind != "level_shift" else None)
        if fault.kind == "shift_large":
            mean[span] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.4, 0.8)
        elif fault.kind == "small":
            mean[span] *= 1 + rng.choice([-1, 1]) * rng.uniform(0.2, 0.3)
        else:
            mean[span] *= rng.choice([0.5, 1.8])
    values = mean * (1 + rng.normal(0, rng.uniform(0.01, 0.04), days))
    return Case("distribution (mean), daily", "distribution", "both", stamps, values, faults)


GENERATORS: list[tuple[Callable[..., Case], int]] = [
    (volume_daily, 365),
    (volume_hourly, 91),
    (null_rate_daily, 365),
    (freshness_hourly, 61),
    (distribution_daily, 365),
]

# ---------------------------------------------------------------- detectors


def ours(case: Case) -> np.ndarray:
    return flagged_mask(detect_metric(Series(case.timestamps, case.values), case.kind))


def zscore(case: Case) -> np.ndarray:
    """Plain z-score: the previous 14 days (the tested point excluded), 3 sigma."""
    window = 14 * case.per_day
    values = pd.Series(case.values)
    rolling = values.shift(1).rolling(window, min_periods=max(3, window // 2))
    z = (values - rolling.mean()) / rolling.std()
    z = z.replace([np.inf, -np.inf], np.nan).fillna(0).to_numpy()
    if case.direction == "up":
        return z > 3
    if case.direction == "down":
        return z < -3
    return np.abs(z) > 3


# ---------------------------------------------------------------- scoring


def _runs(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask[1:] & ~mask[:-1]) + (1 if mask.size and mask[0] else 0))


@dataclass
class Score:
    caught: dict[str, int] = field(default_factory=lambda: {"large": 0, "small": 0})
    total: dict[str, int] = field(default_factory=lambda: {"large": 0, "small": 0})
    false_faulty: int = 0
    false_clean: int = 0
    clean_days: float = 0.0
    seconds: float = 0.0
    points: int = 0

    def add_faulty(self, case: Case, flags: np.ndarray) -> None:
        window = np.zeros(flags.size, dtype=bool)
        for fault in case.faults:
            end = min(fault.end + (2 if case.per_day > 1 else 1), flags.size)
            window[fault.start : end] = True
            self.total[fault.size] += 1
            self.caught[fault.size] += bool(flags[fault.start : end].any())
        self.false_faulty += _runs(flags & ~window)

    def add_clean(self, case: Case, flags: np.ndarray) -> None:
        self.false_clean += _runs(flags)
        self.clean_days += case.values.size / case.per_day

    def row(self) -> list[str]:
        caught = self.caught["large"] + self.caught["small"]
        total = self.total["large"] + self.total["small"]
        recall = caught / total if total else float("nan")
        precision = caught / (caught + self.false_faulty) if caught + self.false_faulty else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

        def ratio(kind: str) -> str:
            if not self.total[kind]:
                return "–"
            return f"{self.caught[kind] / self.total[kind]:.2f} ({self.total[kind]})"

        return [
            ratio("large"),
            ratio("small"),
            f"{precision:.2f}",
            f"{f1:.2f}",
            f"{self.false_clean / (self.clean_days / 30):.2f}",
            f"{1e6 * self.seconds / max(self.points, 1):.0f}",
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=40, help="faulty series per metric")
    parser.add_argument("--quick", action="store_true", help="10 series per metric")
    parser.add_argument("--only", default="", help="run metrics whose name contains this")
    args = parser.parse_args()
    n = 10 if args.quick else args.scenarios
    started = time.perf_counter()
    header = [
        "metric",
        "detector",
        "recall, large faults (n)",
        "recall, 20–30% changes (n)",
        "precision",
        "F1",
        "false-alarm episodes / 30 days (clean)",
        "µs / point",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for number, (generator, days) in enumerate(GENERATORS):
        scores = {"dq-monitor": Score(), "z-score (previous 14 d, 3σ)": Score()}
        name = ""
        for seed in range(2 * n):
            faulty = seed < n
            if args.only and args.only not in generator.__name__:
                break
            rng = np.random.default_rng(1000 * number + seed)
            case = generator(rng, days, faulty)
            name = case.metric
            for label, detector in (("dq-monitor", ours), ("z-score (previous 14 d, 3σ)", zscore)):
                began = time.perf_counter()
                flags = detector(case)
                scores[label].seconds += time.perf_counter() - began
                scores[label].points += flags.size
                if faulty:
                    scores[label].add_faulty(case, flags)
                else:
                    scores[label].add_clean(case, flags)
        if not name:
            continue
        for label, score in scores.items():
            lines.append("| " + " | ".join([name, label, *score.row()]) + " |")
    print("\n".join(lines))
    print(
        f"\n{n} faulty + {n} clean series per metric; ran in {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
