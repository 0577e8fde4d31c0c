"""Run state and results as values."""

from __future__ import annotations

import datetime as dt

from monitor.config.models import TableConfig
from monitor.run.findings import Finding
from monitor.run.state import RunResult, RunState

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class TestRunState:
    def test_queues_writes_and_after_commit_actions(self) -> None:
        state = RunState(table=TableConfig(name="t", warehouse="w", table="t"), run_id="r",
                         as_of=AT)

        state.write(lambda conn: None)
        state.then(lambda: None)

        assert (len(state.writers), len(state.after_commit)) == (1, 1)


class TestRunResult:
    def test_dict_lists_failing_findings_only(self) -> None:
        bad = Finding(table="t", check="a", kind="rule", severity="critical", failing=True,
                      at=AT, reason="zero rows")
        good = Finding(table="t", check="b", kind="rule", severity="info", failing=False, at=AT,
                       reason="fine")
        result = RunResult(table="t", run_id="r", status="success", as_of=AT,
                           duration_seconds=1.23456, found=(bad, good))

        out = result.to_dict()

        assert result.ok
        assert out["duration_seconds"] == 1.235
        assert [f["check"] for f in out["findings"]] == ["a"]
        assert out["findings"][0]["at"] == AT.isoformat()

    def test_a_partial_run_is_not_ok_and_carries_its_error(self) -> None:
        result = RunResult(table="t", run_id="r", status="partial", as_of=AT,
                           duration_seconds=1.0, points_written=12,
                           error="detect_anomalies failed: metric store: reading: x",
                           error_kind="StoreError")

        out = result.to_dict()

        assert not result.ok
        assert (out["status"], out["points_written"], out["error_kind"]) == (
            "partial", 12, "StoreError")
