"""Run counts on SQLite and PostgreSQL, against counts made by hand from the runs written."""

from __future__ import annotations

import datetime as dt

from monitor.store import SqlMetricStore
from monitor.store.run_counts import (
    RunCount,
    last_success_times,
    recorded_run_count,
    run_counts_since,
)
from monitor.store.sql_store import RunRecord

T0 = dt.datetime(2026, 3, 1, 6)
HOUR = dt.timedelta(hours=1)


def record(store: SqlMetricStore, table: str, hour: int, status: str, *, retries: int = 0,
           kind: str = "profile") -> None:
    at = T0 + hour * HOUR
    store.record_run(RunRecord(run_id=f"{table}@{hour}#{kind}", table=table, kind=kind,
                               as_of=at, status=status, started_at=at, retries=retries))


class TestRecordedRunCount:
    def test_counts_every_run(self, store: SqlMetricStore) -> None:
        assert recorded_run_count(store) == 0
        record(store, "orders", 0, "success")
        record(store, "events", 1, "failed", kind="validate")

        assert recorded_run_count(store) == 2

    def test_none_before_the_tables_exist(self, tmp_path: object) -> None:
        fresh = SqlMetricStore(f"sqlite:///{tmp_path}/fresh.db")
        try:
            assert recorded_run_count(fresh) is None
        finally:
            fresh.dispose()


class TestRunCountsSince:
    def test_per_table_and_status_of_one_kind_since_a_time(self, store: SqlMetricStore) -> None:
        record(store, "orders", 0, "failed", retries=5)  # before the window
        record(store, "orders", 1, "success", retries=1)
        record(store, "orders", 2, "success", retries=2)
        record(store, "orders", 3, "failed", retries=3)
        record(store, "orders", 4, "failed", kind="validate")
        record(store, "events", 2, "lost")

        counts = run_counts_since(store, (T0 + HOUR).replace(tzinfo=dt.UTC))

        assert counts == [RunCount("events", "lost", 1, 0), RunCount("orders", "failed", 1, 3),
                          RunCount("orders", "success", 2, 3)]
        assert run_counts_since(store, T0, kind="validate") == [
            RunCount("orders", "failed", 1, 0)]


class TestLastSuccessTimes:
    def test_newest_finished_success_per_table_of_one_kind(self, store: SqlMetricStore) -> None:
        for table, hour, status, kind in (("orders", 1, "success", "profile"),
                                          ("orders", 2, "success", "profile"),
                                          ("orders", 3, "failed", "profile"),
                                          ("orders", 4, "success", "validate"),
                                          ("events", 1, "running", "profile")):
            at = T0 + hour * HOUR
            store.record_run(RunRecord(run_id=f"{table}@{hour}", table=table, kind=kind,
                                       as_of=at, status=status, started_at=at,
                                       finished_at=at + dt.timedelta(seconds=30)))

        assert last_success_times(store) == {"orders": T0 + 2 * HOUR + dt.timedelta(seconds=30)}
        assert last_success_times(store, kind="validate") == {
            "orders": T0 + 4 * HOUR + dt.timedelta(seconds=30)}
