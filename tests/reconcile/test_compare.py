"""Counts and sums per bucket on real engines, against pandas."""

from __future__ import annotations

import pytest

from monitor.reconcile.compare import close, compare_buckets, totals
from monitor.reconcile.plan import SidePlan, side_plan
from tests.reconcile.conftest import (
    SPARK_IDS,
    WITH_SPARK,
    Pair,
    drifted,
    oracle_buckets,
    orders_frame,
)


def _plans(pair: Pair, **overrides: object) -> tuple[SidePlan, SidePlan]:
    ctx = pair.context(**overrides)
    entry = ctx.config.reconciliation("orders_mart")
    return (side_plan("source", entry.source, entry, ctx.warehouse("src")),
            side_plan("target", entry.target, entry, ctx.warehouse("tgt")))


class TestCompareBuckets:
    @pytest.mark.parametrize("pair", WITH_SPARK, ids=SPARK_IDS, indirect=True)
    def test_counts_and_sums_per_day_match_pandas(self, pair: Pair) -> None:
        source = orders_frame(2_000)
        target = drifted(source)
        pair.load(source, target)

        found = compare_buckets(*_plans(pair))

        want_s, want_t = oracle_buckets(source), oracle_buckets(target)
        assert [b.bucket for b in found] == sorted(set(want_s) | set(want_t))
        for b in found:
            assert (b.source_rows, b.target_rows) == (want_s[b.bucket][0], want_t[b.bucket][0])
            s, t = b.sums["amount"]
            assert s == pytest.approx(want_s[b.bucket][1], rel=1e-9)
            assert t == pytest.approx(want_t[b.bucket][1], rel=1e-9)
            expected = (want_s[b.bucket][0] == want_t[b.bucket][0]
                        and abs(want_s[b.bucket][1] - want_t[b.bucket][1]) < 1e-6)
            assert b.matched == expected

    def test_identical_tables_match_and_the_whole_table_without_bucket(self, pair: Pair
                                                                      ) -> None:
        source = orders_frame(500)
        pair.load(source, source)

        found = compare_buckets(*_plans(pair, bucket=None, timestamp_column=None))

        assert len(found) == 1
        assert found[0].bucket is None
        assert found[0].matched
        assert totals(found) == (500, 500)


class TestClose:
    def test_tolerance_is_relative(self) -> None:
        assert close(1000, 1001, 0.001)
        assert not close(1000, 1002, 0.001)
        assert not close(None, 0, 0.5)
