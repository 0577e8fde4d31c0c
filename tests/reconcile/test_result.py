"""A reconciliation's outcome: its reason, finding and points."""

from __future__ import annotations

import datetime as dt

from monitor.reconcile.result import BucketDiff, KeyDiff, ReconcileResult, sample

AT = dt.datetime(2026, 3, 9, 6, tzinfo=dt.UTC)


class TestReconcileResult:
    def test_a_mismatch_is_a_failing_critical_finding_with_its_points(self) -> None:
        bucket = BucketDiff(dt.datetime(2026, 3, 8), 10, 9, {"amount": (100.0, 90.0)}, False)
        keys = KeyDiff(missing=(4,), missing_count=1, rows_moved=12, table_rows=10)
        result = ReconcileResult("mart", AT, (bucket,), keys)

        finding = result.finding()
        points = {p.metric: p.value for p in result.points()}

        assert (finding.check, finding.failing, finding.severity) == (
            "reconcile:mart", True, "critical")
        assert finding.reason == ("reconcile mart: 1 bucket(s) differ: 2026-03-08: rows 10 vs 9; "
                                  "sum(amount) 100 vs 90; 1 key missing in the target "
                                  "(first: 4)")
        assert points["reconcile_missing_keys"] == 1
        assert points["reconcile_rows_moved"] == 12
        assert (points["reconcile_source_rows"], points["reconcile_target_rows"]) == (10, 9)

    def test_a_match_passes(self) -> None:
        result = ReconcileResult("mart", AT, (BucketDiff(None, 5, 5, {}, True),), KeyDiff())

        assert result.matched
        assert result.reason == "source and target match"
        assert not result.finding().failing


class TestSample:
    def test_first_keys_in_order_one_column_keys_plain(self) -> None:
        assert sample([(5,), (2,), (9,)], 2) == (2, 5)
        assert sample([(1, 2), (0, 3)], 5) == ((0, 3), (1, 2))
