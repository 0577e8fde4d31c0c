"""Drift detectors on plain values, checked against numpy and scipy computed directly."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from scipy import stats

from monitor.detection.drift import (
    OTHER,
    QUANTILE_LEVELS,
    DriftSettings,
    category_drift,
    quantile_drift,
    sketch_sample,
)
from monitor.metrics.states import QUANTILES

STATUSES = ["paid"] * 3 + ["shipped"] * 2 + ["refunded", "cancelled"]


def quantiles_of(values: np.ndarray) -> dict[str, float]:
    return {k: float(np.quantile(values, q)) for k, q in QUANTILE_LEVELS.items()}


def shares_of(values: list[str]) -> dict[str, float]:
    return {k: n / len(values) for k, n in collections.Counter(values).items()}


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(11)


class TestSketchSample:
    def test_has_the_quantiles_it_was_made_from(self, rng: np.random.Generator) -> None:
        q = quantiles_of(rng.lognormal(3.6, 0.6, 5000))

        sample = sketch_sample(q)

        assert len(sample) == 99
        assert float(np.quantile(sample, 0.5)) == pytest.approx(q["p50"])
        assert (sample[0], sample[-1]) == pytest.approx((q["p1"], q["p99"]))

    def test_the_levels_agree_with_the_metrics(self) -> None:
        assert QUANTILE_LEVELS == QUANTILES


class TestQuantileDrift:
    def test_the_statistic_is_scipys_ks_on_the_pooled_sketches(
            self, rng: np.random.Generator) -> None:
        ref = [quantiles_of(rng.lognormal(3.6, 0.6, 900)) for _ in range(14)]
        cur = quantiles_of(rng.lognormal(3.6, 0.6, 900))

        verdict = quantile_drift(ref, cur, rows=[900] * 14, current_rows=900, label="amount")

        pool = np.concatenate([sketch_sample(q) for q in ref])
        assert verdict.statistic == pytest.approx(stats.ks_2samp(pool, sketch_sample(cur))
                                                  .statistic)
        n = 900 * 14 * 900 / (900 * 15)
        assert verdict.p_value == pytest.approx(stats.kstwobign.sf(verdict.statistic
                                                                   * np.sqrt(n)))
        assert verdict.is_drift is False
        assert verdict.reason.startswith("amount's distribution as usual")

    def test_a_doubled_median_is_drift_and_says_so(self, rng: np.random.Generator) -> None:
        ref = [quantiles_of(rng.lognormal(3.6, 0.6, 900)) for _ in range(14)]
        cur = quantiles_of(rng.lognormal(3.6 + np.log(2), 0.6, 900))

        verdict = quantile_drift(ref, cur, rows=[900] * 14, current_rows=900, label="amount")

        usual = float(np.median([q["p50"] for q in ref]))
        assert verdict.is_drift is True
        assert verdict.statistic > 0.3
        assert (verdict.value, verdict.expected) == pytest.approx((cur["p50"], usual))
        assert f"amount's median moved from {usual:,.2f} to {cur['p50']:,.2f}" in verdict.reason
        assert " -> " in verdict.reason

    def test_a_noisy_reference_raises_the_bar(self, rng: np.random.Generator) -> None:
        ref = [quantiles_of(rng.lognormal(3.6 + 0.3 * (i % 2), 0.6, 900)) for i in range(14)]
        cur = quantiles_of(rng.lognormal(3.9, 0.6, 900))

        verdict = quantile_drift(ref, cur, rows=[900] * 14, current_rows=900, label="amount")

        assert verdict.threshold > DriftSettings().min_ks
        assert verdict.is_drift is False

    def test_few_rows_are_not_significant(self, rng: np.random.Generator) -> None:
        ref = [quantiles_of(rng.lognormal(3.6, 0.6, 900)) for _ in range(14)]
        cur = quantiles_of(rng.lognormal(4.0, 0.6, 900))

        verdict = quantile_drift(ref, cur, rows=[5] * 14, current_rows=5, label="amount")

        assert verdict.statistic > verdict.threshold
        assert verdict.is_drift is False  # 5 rows a day: p-value far above alpha


class TestCategoryDrift:
    def test_psi_and_chi_square_against_a_direct_computation(
            self, rng: np.random.Generator) -> None:
        ref = [shares_of(list(rng.choice(STATUSES, 900))) for _ in range(14)]
        cur_values = list(rng.choice(STATUSES, 900))
        cur = shares_of(cur_values)

        verdict = category_drift(ref, cur, rows=[900] * 14, current_rows=900, label="status")

        keys = sorted(set(STATUSES))
        pooled = np.array([sum(r.get(k, 0) * 900 for r in ref) for k in keys])
        e = pooled / pooled.sum()
        a = np.array([cur.get(k, 0) for k in keys])
        assert verdict.statistic == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
        observed = np.array([cur_values.count(k) for k in keys] + [0])
        expected = np.append(pooled + 1, 1.0)  # and the (empty) other values, add-one
        expected = expected / expected.sum() * 900
        assert verdict.p_value == pytest.approx(stats.chisquare(observed, expected).pvalue)
        assert verdict.is_drift is False

    def test_a_new_value_taking_a_third_of_rows_is_named(
            self, rng: np.random.Generator) -> None:
        ref = [shares_of(list(rng.choice(STATUSES, 900))) for _ in range(14)]
        cur = shares_of([("failed" if rng.random() < 0.3 else s)
                         for s in rng.choice(STATUSES, 900)])

        verdict = category_drift(ref, cur, rows=[900] * 14, current_rows=900, label="status")

        assert verdict.is_drift is True
        assert verdict.reason.startswith(f"status='failed' rose from 0.0% to {cur['failed']:.1%}"
                                         f" of rows")

    def test_values_outside_the_top_k_are_one_other_category(self) -> None:
        ref = [{"a": 0.5, "b": 0.3}] * 10  # 20% in values not kept
        cur = {"a": 0.5, "b": 0.3}

        same = category_drift(ref, cur, rows=[1000] * 10, current_rows=1000, label="c")
        moved = category_drift(ref, {"a": 0.2, "b": 0.1}, rows=[1000] * 10,
                               current_rows=1000, label="c")

        assert same.statistic == pytest.approx(0.0)
        assert moved.is_drift is True
        assert f"{OTHER} rose from 20.0% to 70.0% of rows" in moved.reason

    def test_null_rows_are_not_other_values(self) -> None:
        ref = [{"a": 0.5, "b": 0.5}] * 10
        cur = {"a": 0.25, "b": 0.25}  # half the rows are null today

        verdict = category_drift(ref, cur, rows=[1000] * 10, current_rows=1000, label="c",
                                 known=[1.0] * 10, current_known=0.5)

        assert verdict.statistic == pytest.approx(0.0)
