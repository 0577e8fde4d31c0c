"""Gate checks as pure functions, checked by hand."""

from __future__ import annotations

import datetime as dt

from monitor.gate.checks import GateCheck, blocking, freshness_check, suite_checks, volume_check
from monitor.validation.outcomes import ExpectationOutcome
from tests.helpers.gate import spec

NOW = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)


class TestVolumeCheck:
    def test_under_the_ratio_of_the_median_blocks(self) -> None:
        check = volume_check(49, [100, 90, 120, 100, 10], min_ratio=0.5)
        assert check.blocking
        assert check.reason == "49 rows, under 50% of the usual 100 (median of 5 earlier batches)"

    def test_at_the_ratio_passes(self) -> None:
        assert volume_check(50, [100, 100, 100], min_ratio=0.5).passed

    def test_the_reason_names_the_judged_bucket(self) -> None:
        check = volume_check(1_064, [1_072, 1_050, 1_090], min_ratio=0.5, what="earlier Mondays",
                             batch="2026-11-30")
        assert check.reason == ("2026-11-30: 1,064 rows, at least 50% of the usual 1,072 "
                                "(median of 3 earlier Mondays)")

    def test_too_little_history_passes_as_info(self) -> None:
        check = volume_check(1, [100, 100], min_ratio=0.5, what="earlier days")
        assert check.passed
        assert check.severity == "info"
        assert "2 earlier days, need 3" in check.reason

    def test_one_row_is_singular(self) -> None:
        assert volume_check(1, [1, 1, 1], min_ratio=0.5).reason.startswith("1 row, at least")

    def test_an_empty_bucket_fails_without_history(self) -> None:
        check = volume_check(0, [], min_ratio=0.5, batch="2026-11-30")

        assert (check.passed, check.severity, check.reason) == (
            False, "critical", "2026-11-30: 0 rows: the bucket is empty")


class TestFreshnessCheck:
    def test_older_than_the_sla_blocks(self) -> None:
        check = freshness_check(NOW - dt.timedelta(hours=30), NOW, sla=26 * 3600, column="t")
        assert check.blocking
        assert "1d 6h" in check.reason
        assert "over" in check.reason

    def test_within_the_sla(self) -> None:
        assert freshness_check(NOW - dt.timedelta(hours=2), NOW, sla=26 * 3600,
                               column="t").passed

    def test_no_sla_is_not_judged(self) -> None:
        check = freshness_check(None, NOW, sla=None, column="t")
        assert check.passed
        assert not check.judged
        assert check.severity == "info"

    def test_no_timestamp_column_is_not_judged(self) -> None:
        check = freshness_check(None, NOW, sla=60, column=None)
        assert check.passed
        assert "no timestamp_column" in check.reason

    def test_no_timestamps_fail(self) -> None:
        check = freshness_check(None, NOW, sla=60, column="ts")
        assert check.blocking
        assert "'ts'" in check.reason


class TestSuiteChecks:
    def test_one_check_per_outcome_with_its_severity(self) -> None:
        critical = spec("column_values_to_not_be_null", column="a")
        warning = spec("column_values_to_be_unique", column="a", severity="warning", index=1)
        checks = suite_checks([ExpectationOutcome(critical, False, unexpected_count=3),
                               ExpectationOutcome(warning, False, unexpected_count=2)],
                              row_level={critical.key})

        assert [(c.check, c.blocking, c.row_level) for c in checks] == [
            ("suite:s:values_to_not_be_null(a)", True, True),
            ("suite:s:values_to_be_unique(a)", False, False)]


class TestBlocking:
    def test_row_level_checks_do_not_block_when_rows_are_quarantined(self) -> None:
        row = GateCheck("suite:x", False, "critical", "r", row_level=True)
        batch = GateCheck("volume", False, "critical", "v")
        warn = GateCheck("schema:a", False, "warning", "w")

        assert blocking([row, batch, warn]) == [row, batch]
        assert blocking([row, batch, warn], quarantine_rows=True) == [batch]
