"""Cases of the real-series detection benchmark: real series, copies with injected faults.

The series come from ``data/real_series.csv`` (see ``data/README.md``): counts of real
records per day or hour, null counts of real columns, means of real columns, and the lag
since the newest real record. They are used as they are: their own holidays, storms and
spikes stay in, and a detector that flags them raises false alarms.

Faults are injected into copies. Their kinds are what breaks warehouse loads (partial
loads, empty buckets, duplicated loads, null-rate jumps, stalled freshness, level shifts,
slow drifts); their sizes, lengths and positions are drawn from wide distributions that
know nothing of any detector's thresholds or learning period (a fault can start on the
fourth point). Every case also has its clean copy, on which every flag is a false alarm.

Series are split into a tuning half and a held-out half by a fixed seed, per metric kind,
before anything is run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA = Path(__file__).with_name("data") / "real_series.csv"
HOUR = 3600
DAY = 24 * HOUR
SPLIT_SEED = 20261201  # fixed before any detector was run on these series
FAULT_SEED = 7

KINDS = ("volume daily", "volume hourly", "null rate", "freshness", "distribution")
DETECTOR_KIND = {
    "volume daily": "volume",
    "volume hourly": "volume",
    "null rate": "null_rate",
    "freshness": "freshness",
    "distribution": "distribution",
}
DIRECTION = {
    "volume daily": "both",
    "volume hourly": "both",
    "null rate": "up",
    "freshness": "up",
    "distribution": "both",
}


@dataclass
class Fault:
    kind: str
    start: int  # first point affected
    end: int  # one past the last point of the scoring window


@dataclass
class Case:
    name: str
    kind: str  # one of KINDS
    source: str
    timestamps: np.ndarray
    values: np.ndarray
    rows: np.ndarray | None = None  # rows per bucket (null rates)
    faults: list[Fault] = field(default_factory=list)
    per_day: int = 1
    snapshot: bool = False

    @property
    def days(self) -> float:
        return self.values.size / self.per_day


@dataclass(frozen=True)
class Raw:
    id: str
    kind: str
    source: str
    start: np.datetime64
    step: int
    values: np.ndarray
    rows: np.ndarray | None


def _floats(text: str) -> np.ndarray:
    return np.array([float(item) for item in text.split()], dtype=float)


def load_raw(path: Path = DATA) -> list[Raw]:
    out = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            out.append(
                Raw(
                    row["id"],
                    row["kind"],
                    row["source"],
                    np.datetime64(row["start"], "s"),
                    int(row["step_seconds"]),
                    _floats(row["values"]),
                    _floats(row["rows"]) if row["rows"] else None,
                )
            )
    return out


def _windows(size: int, length: int, count: int) -> list[int]:
    """Start positions of ``count`` windows of ``length`` spread over ``size`` points."""
    if size < length:
        return []
    if count == 1 or size == length:
        return [0]
    return [round(k * (size - length) / (count - 1)) for k in range(count)]


def _stamps(raw: Raw, begin: int, length: int) -> np.ndarray:
    step = np.timedelta64(raw.step, "s")
    return raw.start + step * np.arange(begin, begin + length)


def base_cases(raws: list[Raw]) -> list[Case]:
    """Windows of the real series, one clean case each (no faults yet)."""
    cases: list[Case] = []
    rng = np.random.default_rng(SPLIT_SEED + 1)
    for raw in raws:
        if raw.kind == "volume_daily":
            count = 4 if raw.values.size > 1000 else 2 if raw.values.size >= 364 else 1
            for begin in _windows(raw.values.size, 182, count):
                values = raw.values[begin : begin + 182]
                cases.append(
                    Case(
                        f"{raw.id}@{begin}",
                        "volume daily",
                        raw.source,
                        _stamps(raw, begin, 182),
                        values,
                    )
                )
                # The same counts as a cumulative row-count snapshot of a growing table.
                if len(cases) % 3 == 0:
                    base = float(np.mean(values)) * rng.uniform(20, 1000)
                    cases.append(
                        Case(
                            f"{raw.id}@{begin}/snapshot",
                            "volume daily",
                            raw.source,
                            _stamps(raw, begin, 182),
                            base + np.cumsum(values),
                            snapshot=True,
                        )
                    )
        elif raw.kind == "volume_hourly":
            for begin in _windows(raw.values.size, 42 * 24, 3):
                cases.append(
                    Case(
                        f"{raw.id}@{begin}",
                        "volume hourly",
                        raw.source,
                        _stamps(raw, begin, 42 * 24),
                        raw.values[begin : begin + 42 * 24],
                        per_day=24,
                    )
                )
        elif raw.kind == "null_rate":
            count = 4 if raw.values.size > 1000 else 2
            for begin in _windows(raw.values.size, 182, count):
                nulls = raw.values[begin : begin + 182]
                rows = raw.rows[begin : begin + 182]
                cases.append(
                    _null_case(
                        f"{raw.id}@{begin}", raw.source, _stamps(raw, begin, 182), nulls, rows
                    )
                )
        elif raw.kind == "freshness":
            for begin in _windows(raw.values.size, 42 * 24, 3):
                minutes = raw.values[begin : begin + 42 * 24]
                cases.append(
                    Case(
                        f"{raw.id}@{begin}",
                        "freshness",
                        raw.source,
                        _stamps(raw, begin, 42 * 24),
                        minutes * 60.0,
                        per_day=24,
                    )
                )
        elif raw.kind == "distribution":
            count = 4 if raw.values.size > 1000 else 2
            for begin in _windows(raw.values.size, 182, count):
                cases.append(
                    Case(
                        f"{raw.id}@{begin}",
                        "distribution",
                        raw.source,
                        _stamps(raw, begin, 182),
                        raw.values[begin : begin + 182],
                    )
                )
    cases.extend(_binomial_columns(raws))
    return cases


def _null_case(name, source, stamps, nulls, rows) -> Case:
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(rows > 0, nulls / np.maximum(rows, 1), np.nan)
    return Case(name, "null rate", source, stamps, rate, rows=rows.copy())


def _binomial_columns(raws: list[Raw]) -> list[Case]:
    """Null counts of columns with base rates 0%, 2%, 40% and 85% on real row counts.

    The row counts are real (flights per day, tweets per day); the null counts are drawn
    from a beta-binomial whose extra day-to-day spread is drawn per column over a wide
    range (from pure binomial noise to a rate that wobbles by a fifth of itself).
    """
    rng = np.random.default_rng(SPLIT_SEED + 2)
    sources = [
        raw
        for raw in raws
        if raw.id in ("flights_EWR_rows_daily", "flights_MQ_rows_daily", "tweets_daily")
    ]
    out = []
    for raw in sources:
        for base in (0.0, 0.02, 0.40, 0.85):
            begin = int(rng.integers(0, raw.values.size - 182 + 1))
            rows = raw.values[begin : begin + 182]
            if base == 0.0:
                rate = np.zeros(rows.size)
            else:
                concentration = np.exp(rng.uniform(np.log(30), np.log(1e5)))
                rate = rng.beta(base * concentration, (1 - base) * concentration, rows.size)
            nulls = rng.binomial(rows.astype(np.int64), rate)
            label = f"binomial{int(base * 100)}%:{raw.id}@{begin}"
            source = f"{raw.source}; null counts drawn at {base:.0%}"
            out.append(_null_case(label, source, _stamps(raw, begin, 182), nulls, rows))
    return out


def split(cases: list[Case]) -> tuple[list[Case], list[Case]]:
    """(tuning, held-out): half of each metric kind's series each, by a fixed seed."""
    rng = np.random.default_rng(SPLIT_SEED)
    tuning, held_out = [], []
    for kind in KINDS:
        members = [case for case in cases if case.kind == kind]
        order = rng.permutation(len(members))
        for rank, index in enumerate(order):
            (tuning if rank % 2 == 0 else held_out).append(members[index])
    return tuning, held_out


# ---------------------------------------------------------------- faults


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def _menu(case: Case) -> list[str]:
    if case.snapshot:
        return ["stall_growth", "truncate", "duplicate_table", "level_shift"]
    if case.kind in ("volume daily", "volume hourly"):
        return ["partial", "zero", "duplicate", "level_shift", "drift"]
    if case.kind == "null rate":
        return ["null_jump", "null_jump", "null_shift"]
    if case.kind == "freshness":
        return ["stall"]
    return ["spike", "level_shift", "drift"]


def _length(rng: np.random.Generator, kind: str, per_day: int) -> tuple[int, int]:
    """(points affected, points in the scoring window) for one fault."""
    daily = per_day == 1
    if kind in ("level_shift", "null_shift"):
        return 0, 7 * per_day if daily else 2 * per_day  # persists to the end
    if kind == "drift":
        ramp = int(rng.integers(7, 29)) if daily else int(rng.integers(24, 7 * 24 + 1))
        return 0, ramp + (3 if daily else 24)
    if kind == "stall":
        hours = round(_log_uniform(rng, 2, 48))
        return hours, hours
    if kind in ("duplicate", "duplicate_table"):
        n = 1 if daily else int(rng.integers(1, 4))
        return n, n
    n = int(rng.integers(1, 4)) if daily else int(rng.integers(1, 13))
    return n, n


def inject(case: Case, rng: np.random.Generator) -> Case:
    """A copy of ``case`` with 1 to 3 faults at random positions."""
    values = case.values.copy()
    rows = None if case.rows is None else case.rows.copy()
    size = values.size
    taken = np.zeros(size, dtype=bool)
    faults: list[Fault] = []
    wanted = int(rng.integers(1, 4))
    menu = _menu(case)
    for _ in range(200):
        if len(faults) == wanted:
            break
        kind = menu[int(rng.integers(len(menu)))]
        affected, window = _length(rng, kind, case.per_day)
        start = int(rng.integers(3, size - max(window, affected) - 1))
        end = start + window
        persistent = kind in ("level_shift", "null_shift", "drift")
        span_end = size if persistent else start + affected
        guard = 2 * case.per_day if case.per_day > 1 else 2
        if taken[max(0, start - guard) : (size if persistent else end + guard)].any():
            continue
        if persistent and any(f.start > start for f in faults):
            continue
        if not _applies(case, values, kind, start, start + max(affected, 1)):
            continue
        _apply(case, values, rows, kind, start, affected, window, rng)
        taken[start:span_end] = True
        faults.append(Fault(kind, start, end))
    faults.sort(key=lambda f: f.start)
    out = Case(
        case.name,
        case.kind,
        case.source,
        case.timestamps,
        values,
        rows,
        faults,
        case.per_day,
        case.snapshot,
    )
    return out


def _applies(case: Case, values: np.ndarray, kind: str, start: int, end: int) -> bool:
    """A fault must change something: no empty bucket made empty, no stall at a gap."""
    part = values[start:end]
    if not np.isfinite(part).all():
        return False
    if case.kind in ("volume daily", "volume hourly"):
        return bool((part > 0).all())
    if case.kind == "null rate":
        return bool(case.rows is not None and (case.rows[start:end] > 0).all())
    return True


def _apply(case, values, rows, kind, start, affected, window, rng) -> None:
    span = slice(start, start + affected)
    if kind == "partial":
        values[span] = np.round(values[span] * (1 - rng.uniform(0.2, 0.95)))
    elif kind == "zero":
        values[span] = 0.0
    elif kind == "duplicate":
        values[span] *= 2
    elif kind == "level_shift" and case.kind != "distribution":
        factor = rng.uniform(0.3, 0.8) if rng.random() < 0.5 else rng.uniform(1.3, 2.5)
        values[start:] = np.round(values[start:] * factor)
    elif kind == "drift" and case.kind != "distribution":
        ramp = window - (3 if case.per_day == 1 else 24)
        target = 1 + (1 if rng.random() < 0.5 else -1) * rng.uniform(0.2, 0.6)
        factor = np.ones(values.size - start)
        factor[:ramp] = np.linspace(1, target, ramp + 1)[1:]
        factor[ramp:] = target
        values[start:] = np.round(values[start:] * factor)
    elif kind == "stall_growth":
        growth = np.diff(values[start - 1 :])
        growth[:affected] = 0  # no rows arrive; later loads add their own rows only
        values[start:] = values[start - 1] + np.cumsum(growth)
    elif kind == "truncate":
        values[span] = np.round(values[span] * (1 - rng.uniform(0.2, 0.95)))
    elif kind == "duplicate_table":
        values[span] *= 2
    elif kind in ("null_jump", "null_shift"):
        jump = _log_uniform(rng, 0.005, 0.5)
        stop = start + affected if kind == "null_jump" else values.size
        counts = rows[start:stop]
        nulls = np.round(np.nan_to_num(values[start:stop]) * counts)
        extra = rng.binomial((counts - nulls).astype(np.int64), jump)
        with np.errstate(invalid="ignore", divide="ignore"):
            values[start:stop] = np.where(counts > 0, (nulls + extra) / counts, np.nan)
    elif kind == "stall":
        ahead = np.arange(affected) * float(HOUR)
        base = values[start]
        values[span] = np.maximum(values[span], base + ahead)
    elif kind == "spike":
        size = _log_uniform(rng, 0.02, 0.5) * (1 if rng.random() < 0.5 else -1)
        level = float(np.nanmedian(np.abs(values)))
        values[span] = values[span] + size * level
    elif kind == "level_shift":  # distribution
        size = _log_uniform(rng, 0.02, 0.5) * (1 if rng.random() < 0.5 else -1)
        values[start:] = values[start:] + size * float(np.nanmedian(np.abs(values)))
    elif kind == "drift":  # distribution
        ramp = window - 3
        size = _log_uniform(rng, 0.05, 0.5) * (1 if rng.random() < 0.5 else -1)
        shift = np.full(values.size - start, size * float(np.nanmedian(np.abs(values))))
        shift[:ramp] *= np.linspace(0, 1, ramp + 1)[1:]
        values[start:] = values[start:] + shift
    else:
        raise ValueError(kind)


def all_cases() -> tuple[list[tuple[Case, Case]], list[tuple[Case, Case]]]:
    """(tuning, held-out) lists of (faulty, clean) pairs."""
    tuning, held_out = split(base_cases(load_raw()))
    pairs = []
    for half in (tuning, held_out):
        rng = np.random.default_rng(FAULT_SEED)
        pairs.append([(inject(case, rng), case) for case in half])
    return pairs[0], pairs[1]
