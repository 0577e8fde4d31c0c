"""Copying one store's rows into another, as a spool replay does (SQLite into SQLite/PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.metrics.points import MetricPoint
from monitor.store import SqlMetricStore
from monitor.store.copy import merge_rows, numbered_table_with_rows, read_store_rows
from monitor.store.incidents import Incident, save
from monitor.store.pending_findings import keep_pending_findings
from monitor.store.sql_store import RunRecord

T0 = dt.datetime(2026, 3, 1, 6)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[SqlMetricStore]:
    store = SqlMetricStore(f"sqlite:///{tmp_path}/spool.db")
    store.ensure_schema()
    yield store
    store.dispose()


def run(run_id: str, finished: dt.datetime, status: str = "success") -> RunRecord:
    return RunRecord(run_id=run_id, table="orders", kind="profile", as_of=T0, status=status,
                     started_at=T0, finished_at=finished)


def points(store: SqlMetricStore, run_id: str, value: float) -> None:
    with store.transaction() as conn:
        store.replace_points(conn, run_id, [MetricPoint("orders", "", "row_count", "snapshot",
                                                        T0, value)])


class TestReadStoreRows:
    def test_every_table_with_the_kept_findings_apart(self, source: SqlMetricStore) -> None:
        source.record_run(run("r1", T0))
        points(source, "r1", 5.0)
        with source.transaction() as conn:
            keep_pending_findings(conn, run_id="r1", table="orders", payload_json="[]", now=T0)

        rows = read_store_rows(source)

        assert rows.run_ids == ["r1"]
        assert {t.name: len(r) for t, r in rows.tables.items() if r} == {
            "dq_runs": 1, "dq_metrics": 1}
        assert [r["run_id"] for r in rows.pending_findings] == ["r1"]
        assert "dq_meta" not in {t.name for t in rows.tables}


class TestMergeRows:
    def test_rows_are_copied_and_a_replay_is_idempotent(self, source: SqlMetricStore,
                                                        store: SqlMetricStore) -> None:
        source.record_run(run("r1", T0))
        points(source, "r1", 5.0)
        rows = read_store_rows(source)

        for _ in range(2):
            with store.transaction() as conn:
                merge_rows(conn, rows)

        assert [r.run_id for r in store.runs()] == ["r1"]
        assert [p.value for p in store.points("orders")] == [5.0]

    def test_a_newer_stored_row_of_another_run_is_kept(self, source: SqlMetricStore,
                                                       store: SqlMetricStore) -> None:
        points(source, "spooled", 5.0)  # recorded first
        points(store, "later", 7.0)

        with store.transaction() as conn:
            merge_rows(conn, read_store_rows(source))

        assert [p.value for p in store.points("orders")] == [7.0]

    def test_the_same_run_replayed_replaces_its_row(self, source: SqlMetricStore,
                                                    store: SqlMetricStore) -> None:
        source.record_run(run("r1", T0, status="failed"))
        store.record_run(run("r1", T0 + dt.timedelta(hours=1)))

        with store.transaction() as conn:
            merge_rows(conn, read_store_rows(source))

        replayed = store.run("r1")
        assert replayed is not None
        assert replayed.status == "failed"


class TestNumberedTableWithRows:
    def test_names_a_table_whose_ids_the_store_numbers(self, source: SqlMetricStore) -> None:
        assert numbered_table_with_rows(source) is None
        with source.transaction() as conn:
            save(conn, Incident(incident_id=None, table="orders", check="c", status="open",
                                severity="critical", title="t", opened_at=T0, updated_at=T0,
                                last_seen_at=T0))

        assert numbered_table_with_rows(source) == "dq_incidents"
