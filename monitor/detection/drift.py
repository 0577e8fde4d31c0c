"""Distribution drift: a point's quantiles or value shares against a reference window.

Pure functions of plain values (no database). Two tests:

- ``quantile_drift``: each point's quantile sketch (p1 .. p99) is turned into a
  pseudo-sample (its inverse CDF, piecewise linear, read at evenly spaced
  probabilities); the reference points' samples are pooled, and the
  Kolmogorov–Smirnov statistic D (``scipy.stats.ks_2samp``) between the pool and the
  point is the size of the shift, within p1 .. p99.
- ``category_drift``: the population stability index (PSI) of the point's value shares
  against the reference's pooled shares, with a chi-square test of its counts.

Either flags a point only when its statistic passes a floor (``min_ks``, ``min_psi``),
stands out from the reference's own spread (each reference point against the others,
times ``noise_factor``), and its p-value is below ``alpha`` for the rows it has.

>>> ref = [{"p1": 1, "p5": 2, "p25": 4, "p50": 5, "p75": 6, "p95": 8, "p99": 9}] * 8
>>> quantile_drift(ref, {k: v * 2 for k, v in ref[0].items()}, rows=[1000] * 8,
...                current_rows=1000, label="amount").is_drift
True
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

QUANTILE_LEVELS = {"p1": 0.01, "p5": 0.05, "p25": 0.25, "p50": 0.5, "p75": 0.75,
                   "p95": 0.95, "p99": 0.99}
_NAMES = {"p1": "p1", "p5": "p5", "p25": "p25", "p50": "median", "p75": "p75",
          "p95": "p95", "p99": "p99"}
OTHER = "(other values)"
_SKETCH = np.linspace(0.01, 0.99, 99)
_FLOOR = 1e-4  # a share never seen counts as this, so PSI stays finite


@dataclass(frozen=True)
class DriftSettings:
    """How drift is judged (defaults shown in docs/distribution.md)."""

    window: int = 14  # reference points before the judged one
    min_reference: int = 7  # fewer: no verdict yet
    min_ks: float = 0.1
    min_psi: float = 0.1
    noise_factor: float = 1.5
    alpha: float = 0.001


@dataclass(frozen=True)
class DriftVerdict:
    """The verdict on one point: statistic, the threshold it was held to, and why."""

    is_drift: bool
    statistic: float
    threshold: float
    p_value: float
    value: float  # the point's median (quantiles) or PSI (shares)
    expected: float  # the reference's median (quantiles) or 0
    reason: str


def sketch_sample(quantiles: Mapping[str, float]) -> np.ndarray:
    """A pseudo-sample of 99 values with these quantiles (inverse CDF read at 1% .. 99%).

    >>> [round(float(x), 6) for x in sketch_sample({"p1": 0.0, "p99": 98.0})[:3]]
    [0.0, 1.0, 2.0]
    """
    levels = [QUANTILE_LEVELS[k] for k in QUANTILE_LEVELS if k in quantiles]
    values = np.maximum.accumulate([float(quantiles[k]) for k in QUANTILE_LEVELS
                                    if k in quantiles])
    return np.interp(_SKETCH, levels, values)


def _ks(pool: Sequence[np.ndarray], sample: np.ndarray) -> float:
    from scipy import stats  # imported when judged: it costs every command a second

    return float(stats.ks_2samp(np.concatenate(pool), sample).statistic)


def _threshold(spread: Sequence[float], floor: float, settings: DriftSettings) -> float:
    return max(floor, settings.noise_factor * max(spread, default=0.0))


def quantile_drift(reference: Sequence[Mapping[str, float]], current: Mapping[str, float], *,
                   rows: Sequence[float], current_rows: float, label: str,
                   settings: DriftSettings | None = None) -> DriftVerdict:
    """Has the distribution of a numeric column moved? ``rows``: values behind each
    reference point (for the p-value)."""
    settings = settings or DriftSettings()
    samples = [sketch_sample(q) for q in reference]
    d = _ks(samples, sketch_sample(current))
    spread = [_ks(samples[:i] + samples[i + 1:], s) for i, s in enumerate(samples)
              if len(samples) > 1]
    threshold = _threshold(spread, settings.min_ks, settings)
    n_ref, n_cur = float(sum(rows)), float(current_rows)
    n_eff = n_ref * n_cur / (n_ref + n_cur) if n_ref + n_cur > 0 else 0.0
    from scipy import stats

    p_value = float(stats.kstwobign.sf(d * math.sqrt(n_eff))) if n_eff else 1.0
    is_drift = d > threshold and p_value < settings.alpha
    expected = {k: float(np.median([q[k] for q in reference if k in q]))
                for k in QUANTILE_LEVELS if any(k in q for q in reference)}
    reason = _quantile_reason(label, expected, current, d, threshold, is_drift)
    return DriftVerdict(is_drift, d, threshold, p_value, float(current.get("p50", math.nan)),
                        expected.get("p50", math.nan), reason)


def _number(value: float) -> str:
    return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"


def _quantile_reason(label: str, expected: Mapping[str, float], current: Mapping[str, float],
                     d: float, threshold: float, is_drift: bool) -> str:
    median = (f"{label}'s median moved from {_number(expected['p50'])} to "
              f"{_number(current['p50'])}" if "p50" in expected and "p50" in current
              else f"{label}'s distribution moved")
    tails = [k for k in ("p5", "p25", "p75", "p95") if k in expected and k in current]
    if tails:
        worst = max(tails, key=lambda k: abs(current[k] - expected[k])
                    / max(abs(expected[k]), 1e-9))
        median += f" ({_NAMES[worst]} {_number(expected[worst])} -> {_number(current[worst])})"
    test = f"KS D={d:.2f} on the quantile sketch, threshold {threshold:.2f}"
    if is_drift:
        return f"{median}; {test}"
    return f"{label}'s distribution as usual (median {_number(current.get('p50', math.nan))}; " \
           f"{test})"


def _with_other(shares: Mapping[str, float], known: float) -> dict[str, float]:
    out = {k: float(v) for k, v in shares.items()}
    out[OTHER] = max(0.0, known - sum(out.values()))
    return out


def _psi(expected: Mapping[str, float], actual: Mapping[str, float]) -> float:
    keys = set(expected) | set(actual)
    e_total = sum(expected.values()) or 1.0
    a_total = sum(actual.values()) or 1.0
    total = 0.0
    for key in keys:
        e = max(expected.get(key, 0.0) / e_total, _FLOOR)
        a = max(actual.get(key, 0.0) / a_total, _FLOOR)
        total += (a - e) * math.log(a / e)
    return total


def _pooled(shares: Sequence[Mapping[str, float]], rows: Sequence[float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for point, n in zip(shares, rows, strict=True):
        for key, share in point.items():
            out[key] = out.get(key, 0.0) + share * n
    return out


def category_drift(reference: Sequence[Mapping[str, float]], current: Mapping[str, float], *,
                   rows: Sequence[float], current_rows: float, label: str,
                   known: Sequence[float] | None = None, current_known: float = 1.0,
                   settings: DriftSettings | None = None) -> DriftVerdict:
    """Have the shares of a column's values moved? Shares are of all rows; ``known``:
    each point's share of rows with a value (1 - null rate), the rest of which is
    ``OTHER`` (values outside the top k)."""
    settings = settings or DriftSettings()
    known = known if known is not None else [1.0] * len(reference)
    ref = [_with_other(s, k) for s, k in zip(reference, known, strict=True)]
    cur = _with_other(current, current_known)
    pool = _pooled(ref, rows)
    psi = _psi(pool, cur)
    spread = [_psi(_pooled(ref[:i] + ref[i + 1:], rows[:i] + rows[i + 1:]), point)
              for i, point in enumerate(ref) if len(ref) > 1]
    threshold = _threshold(spread, settings.min_psi, settings)
    keys = sorted(set(pool) | set(cur))
    pool_total = sum(pool.values()) or 1.0
    cur_total = sum(cur.values()) or 1.0
    observed = np.array([cur.get(k, 0.0) / cur_total * current_rows for k in keys])
    # Add-one smoothing: a value the reference never had is not an impossible one.
    expected = np.array([pool.get(k, 0.0) + 1.0 for k in keys])
    expected = expected / expected.sum() * observed.sum()
    from scipy import stats

    p_value = (float(stats.chisquare(observed, expected).pvalue) if len(keys) > 1
               and observed.sum() > 0 else 1.0)
    is_drift = psi > threshold and p_value < settings.alpha
    before = {k: pool.get(k, 0.0) / pool_total for k in keys}
    after = {k: cur.get(k, 0.0) / cur_total for k in keys}
    reason = _category_reason(label, before, after, psi, threshold, is_drift)
    return DriftVerdict(is_drift, psi, threshold, p_value, psi, 0.0, reason)


def _category_reason(label: str, before: Mapping[str, float], after: Mapping[str, float],
                     psi: float, threshold: float, is_drift: bool) -> str:
    movers = sorted(before, key=lambda k: -abs(after[k] - before[k]))
    test = f"PSI {psi:.2f}, threshold {threshold:.2f}"
    if not is_drift:
        return f"shares of {label}'s values as usual ({test})"
    parts = []
    for key in movers[:2]:
        if abs(after[key] - before[key]) < 0.01:
            continue
        verb = "rose" if after[key] > before[key] else "fell"
        name = key if key == OTHER else f"{label}='{key}'"
        parts.append(f"{name} {verb} from {before[key]:.1%} to {after[key]:.1%} of rows")
    return "; ".join(parts or [f"shares of {label}'s values moved"]) + f" ({test})"
