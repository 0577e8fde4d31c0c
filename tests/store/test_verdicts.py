"""Gate verdicts in the store."""

from __future__ import annotations

import datetime as dt

from monitor.store.verdicts import record_verdict, verdict_history

T0 = dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC)
CHECK = {"check": "volume", "passed": False, "severity": "critical", "reason": "12 rows"}


class TestRecordVerdict:
    def test_the_same_id_replaces_and_checks_round_trip(self, store) -> None:
        for verdict in ("error", "blocked"):
            with store.transaction() as conn:
                record_verdict(conn, verdict_id="v1", table="orders", ts=T0, verdict=verdict,
                               passed=False, reason="12 rows", checks=[CHECK], batch_id="b1")

        [found] = verdict_history(store, "orders")

        assert found["verdict"] == "blocked"
        assert found["checks"] == [CHECK]
        assert found["batch_id"] == "b1"
        assert found["ts"] == T0.replace(tzinfo=None)


class TestVerdictHistory:
    def test_newest_first_filtered_by_table_and_batch(self, store) -> None:
        with store.transaction() as conn:
            for i, table in enumerate(["orders", "orders", "events"]):
                record_verdict(conn, verdict_id=f"v{i}", table=table,
                               ts=T0 + dt.timedelta(hours=i), verdict="pass", passed=True,
                               reason=None, checks=[], batch_id=f"b{i}")

        assert [v["verdict_id"] for v in verdict_history(store, "orders")] == ["v1", "v0"]
        assert [v["verdict_id"] for v in verdict_history(store, batch_id="b2")] == ["v2"]
        assert len(verdict_history(store, limit=1)) == 1
