from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kruskal

from monitor.detection.robust import (
    clipped_sigmas,
    group_medians,
    group_stats,
    kruskal_p,
    pooled_scales,
    robust_scale,
)


class TestGroupStats:
    @pytest.mark.parametrize("seed", range(5))
    def test_matches_a_brute_force_computation(self, seed):
        rng = np.random.default_rng(seed)
        values = rng.integers(0, 6, 40).astype(float)
        groups = rng.integers(0, 4, 40)

        stats = group_stats(values, groups, 5)

        for g in range(5):
            members = values[groups == g]
            if members.size:
                assert stats.medians[g] == np.median(members)
                assert stats.lows[g] == members.min()
                assert stats.highs[g] == members.max()
            else:
                assert np.isnan(stats.medians[g])
        for i in range(values.size):
            others = values[(groups == groups[i]) & (np.arange(values.size) != i)]
            if others.size:
                assert stats.loo_residuals[i] == values[i] - np.median(others)
            else:
                assert np.isnan(stats.loo_residuals[i])


class TestGroupMedians:
    def test_matches_numpy(self):
        values = np.array([5.0, 1.0, 3.0, 2.0, 8.0])

        assert group_medians(values, np.array([0, 0, 0, 1, 1]), 2).tolist() == [3.0, 5.0]


class TestKruskalP:
    @pytest.mark.parametrize("seed", range(5))
    def test_matches_scipy_with_ties(self, seed):
        rng = np.random.default_rng(seed)
        values = rng.integers(0, 5, 50).astype(float)
        groups = rng.integers(0, 4, 50)

        expected = kruskal(*[values[groups == g] for g in range(4)]).pvalue

        assert kruskal_p(values, groups, 4) == pytest.approx(expected, rel=1e-9)

    def test_all_tied_or_single_group_is_no_evidence(self):
        assert kruskal_p(np.ones(10), np.arange(10) % 2, 2) == 1.0
        assert kruskal_p(np.arange(10.0), np.zeros(10, dtype=int), 1) == 1.0


class TestClippedSigmas:
    def test_is_consistent_for_normal_noise(self):
        rng = np.random.default_rng(1)
        residuals = np.concatenate([rng.normal(0, 1, 50_000), rng.normal(0, 3, 50_000)])
        groups = np.repeat([0, 1], 50_000)

        sigmas, counts = clipped_sigmas(residuals, groups, 2)

        assert sigmas == pytest.approx([1.0, 3.0], rel=0.02)
        assert counts.tolist() == [50_000, 50_000]

    def test_an_outlier_counts_only_as_a_capped_residual(self):
        clean = np.random.default_rng(2).normal(0, 1, 200)
        spoiled = clean.copy()
        spoiled[0] = 1e6

        clean_sigma, _ = clipped_sigmas(clean, np.zeros(200, dtype=int), 1)
        spoiled_sigma, _ = clipped_sigmas(spoiled, np.zeros(200, dtype=int), 1)

        assert spoiled_sigma[0] < 1.1 * clean_sigma[0]


class TestPooledScales:
    def test_small_pools_borrow_from_the_overall_scale(self):
        rng = np.random.default_rng(3)
        residuals = np.concatenate([rng.normal(0, 1, 1000), [5.0, -5.0]])
        pools = np.concatenate([np.zeros(1000, dtype=int), [1, 1]])

        scales, overall = pooled_scales(residuals, pools, 2, prior_points=8)

        assert scales[0] == pytest.approx(1.0, rel=0.1)
        assert overall < scales[1] < 5.0

    def test_nan_residuals_are_ignored(self):
        scales, overall = pooled_scales(np.array([np.nan, 1.0, -1.0]), np.zeros(3, dtype=int), 1)

        assert np.isfinite(scales).all()
        assert overall > 0


class TestRobustScale:
    def test_mad_times_1_4826(self):
        assert robust_scale(np.array([-1.0, 1.0, np.nan, 3.0])) == pytest.approx(1.4826)
        assert robust_scale(np.array([np.nan])) == 0.0
