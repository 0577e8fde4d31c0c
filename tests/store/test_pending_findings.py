"""Findings kept in a spool store until the alerting decision is replayed."""

from __future__ import annotations

import datetime as dt
import json

from monitor.store import SqlMetricStore
from monitor.store.pending_findings import keep_pending_findings, pending_finding_rows

NOW = dt.datetime(2026, 1, 5, 6)


class TestKeepPendingFindings:
    def test_kept_per_run_and_table_in_naive_utc(self, sqlite_store: SqlMetricStore) -> None:
        payload = json.dumps([{"check": "volume:row_count"}])
        with sqlite_store.transaction() as conn:
            keep_pending_findings(conn, run_id="r1", table="orders", payload_json=payload,
                                  now=NOW.replace(tzinfo=dt.UTC))
            keep_pending_findings(conn, run_id="r1", table="events", payload_json="[]", now=NOW)

            rows = pending_finding_rows(conn)

        assert sorted((r["table_name"], r["payload_json"], r["recorded_at"]) for r in rows) == [
            ("events", "[]", NOW), ("orders", payload, NOW)]


class TestPendingFindingRows:
    def test_empty_when_nothing_was_kept(self, sqlite_store: SqlMetricStore) -> None:
        with sqlite_store.connect() as conn:
            assert list(pending_finding_rows(conn)) == []
