"""Run bookkeeping on real metric stores (SQLite and PostgreSQL): started once, finished once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection

from monitor.config.secrets import REGISTRY
from monitor.errors import QueryFailed, StoreError, StoreUnavailable
from monitor.run.record import RunBookkeepingError, RunEntry, recorded_run
from monitor.store import SqlMetricStore, open_store
from monitor.store.verdicts import record_verdict, verdict_history

AS_OF = dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC)


def error_verdict(conn: Connection, error: BaseException) -> None:
    """What a gate leaves when it could not be evaluated: an ``error`` verdict."""
    record_verdict(conn, verdict_id="v1", table="orders", ts=AS_OF, verdict="error",
                   passed=False, reason=str(error), checks=[])


def unreachable_store(tmp_path: Path) -> SqlMetricStore:
    """A store whose database cannot be opened (its folder does not exist)."""
    return SqlMetricStore(f"sqlite:///{tmp_path / 'missing' / 'metrics.db'}")


class TestRecordedRun:
    def test_a_run_that_commits_is_recorded_with_its_results(
            self, store: SqlMetricStore) -> None:
        # Arrange
        written: list[str] = []

        # Act
        with recorded_run(store, "r1", "orders", kind="validate", as_of=AS_OF,
                          trigger="schedule") as run:
            assert store.run("r1").status == "running"
            run.retries = 2
            value = run.commit(lambda conn: written.append("results") or 7, row_count=120)

        # Assert
        row = store.run("r1")
        assert (row.status, row.kind, row.table, row.trigger) == (
            "success", "validate", "orders", "schedule")
        assert (row.row_count, row.retries, row.error, row.error_kind) == (120, 2, None, None)
        assert row.finished_at is not None
        assert row.duration_seconds >= 0
        assert (value, written) == (7, ["results"])

    def test_an_exception_inside_fails_the_run_with_the_masked_error_and_goes_on_up(
            self, store: SqlMetricStore) -> None:
        # Arrange
        REGISTRY.add("s3cr3t-pw-42")
        error = QueryFailed("warehouse said: password s3cr3t-pw-42 rejected")

        # Act
        with pytest.raises(QueryFailed) as raised, recorded_run(
                store, "r1", "orders", kind="backfill", as_of=AS_OF):
            raise error

        # Assert
        row = store.run("r1")
        assert raised.value is error
        assert (row.status, row.error_kind) == ("failed", "QueryFailed")
        assert row.error == "warehouse said: password *** rejected"
        assert row.duration_seconds is not None

    def test_a_bug_inside_fails_the_run_too(self, store: SqlMetricStore) -> None:
        with pytest.raises(ZeroDivisionError), recorded_run(
                store, "r1", "orders", kind="gate", as_of=AS_OF):
            _ = 1 / 0

        assert (store.run("r1").status, store.run("r1").error_kind) == (
            "failed", "ZeroDivisionError")

    def test_a_partial_outcome_is_recorded_as_partial(self, store: SqlMetricStore) -> None:
        with recorded_run(store, "r1", "orders", kind="profile", as_of=AS_OF) as run:
            run.commit(status="partial", row_count=48,
                       error="detect_anomalies failed: metric store: reading: x",
                       error_kind="StoreError")

        row = store.run("r1")
        assert (row.status, row.row_count, row.error_kind) == ("partial", 48, "StoreError")
        assert row.error == "detect_anomalies failed: metric store: reading: x"

    def test_a_run_is_finished_exactly_once(self, store: SqlMetricStore) -> None:
        # Act: a second finish is a bug, and the failure after it changes nothing stored
        with pytest.raises(RunBookkeepingError, match="finished twice"), recorded_run(
                store, "r1", "orders", kind="validate", as_of=AS_OF) as run:
            run.commit(row_count=3)
            run.commit(status="failed")

        # Assert
        row = store.run("r1")
        assert (row.status, row.row_count, row.error) == ("success", 3, None)

    def test_an_exception_after_the_commit_leaves_the_run_as_it_finished(
            self, store: SqlMetricStore) -> None:
        with pytest.raises(ValueError), recorded_run(
                store, "r1", "orders", kind="gate", as_of=AS_OF) as run:
            run.commit()
            raise ValueError("after the commit")

        assert (store.run("r1").status, store.run("r1").error) == ("success", None)

    def test_leaving_a_run_unfinished_is_a_bug_and_fails_it(
            self, store: SqlMetricStore) -> None:
        with pytest.raises(RunBookkeepingError, match="ended without being finished"), \
                recorded_run(store, "r1", "orders", kind="validate", as_of=AS_OF):
            pass

        assert (store.run("r1").status, store.run("r1").error_kind) == (
            "failed", "RunBookkeepingError")

    def test_the_failure_writes_its_own_rows_in_the_same_commit(
            self, store: SqlMetricStore) -> None:
        with pytest.raises(QueryFailed), recorded_run(
                store, "r1", "orders", kind="gate", as_of=AS_OF,
                on_failure=error_verdict):
            raise QueryFailed("no such table: orders")

        (verdict,) = verdict_history(store, "orders")
        assert (verdict["verdict"], verdict["reason"]) == ("error", "no such table: orders")
        assert store.run("r1").status == "failed"

    def test_when_recording_the_failure_fails_the_first_error_is_raised(
            self, store: SqlMetricStore) -> None:
        # Arrange: the failure's own write fails, so its commit rolls back
        def broken(conn: Connection, error: BaseException) -> None:
            raise StoreError("metric store: writing: disk full")

        # Act
        with pytest.raises(QueryFailed, match="no such table"), recorded_run(
                store, "r1", "orders", kind="gate", as_of=AS_OF, on_failure=broken):
            raise QueryFailed("no such table: orders")

        # Assert
        assert store.run("r1").status == "running"

    def test_a_store_that_went_down_is_not_written_to_again(
            self, store: SqlMetricStore) -> None:
        with pytest.raises(StoreUnavailable), recorded_run(
                store, "r1", "orders", kind="ingest", as_of=AS_OF):
            raise StoreUnavailable("metric store: writing: connection refused")

        assert store.run("r1").status == "running"  # the orphan check marks it later

    def test_without_a_run_id_nothing_is_recorded(self, store: SqlMetricStore) -> None:
        called: list[Connection] = []

        with recorded_run(store, None, "orders", kind="validate", as_of=AS_OF) as run:
            value = run.commit(called.append)

        assert (value, called, run.recording) == (None, [], False)
        assert store.runs("orders") == []

    def test_a_claimed_key_is_skipped_by_a_second_claim(self, store: SqlMetricStore) -> None:
        with recorded_run(store, "r1", "orders", kind="profile", as_of=AS_OF,
                          claim=True) as first:
            with recorded_run(store, "r1", "orders", kind="profile", as_of=AS_OF,
                              claim=True) as second:
                assert (first.claimed, second.claimed) == (True, False)
            first.commit()

        assert (store.run("r1").status, store.run("r1").attempts) == ("success", 1)

    def test_a_store_down_at_the_start_raises_unless_the_caller_spools(
            self, tmp_path: Path) -> None:
        down = unreachable_store(tmp_path)
        try:
            with pytest.raises(StoreUnavailable), recorded_run(
                    down, "r1", "orders", kind="profile", as_of=AS_OF):
                pass
            with recorded_run(down, "r1", "orders", kind="profile", as_of=AS_OF,
                              store_may_be_down=True) as run:
                in_store = run.in_store
                run.lost()
        finally:
            down.dispose()

        assert (in_store, run.status) == (False, "lost")

    def test_a_store_given_as_a_function_is_opened_only_to_record(self) -> None:
        def down() -> SqlMetricStore:
            raise StoreUnavailable("metric store: connecting: connection refused")

        with recorded_run(down, None, "orders", kind="gate", as_of=AS_OF) as quiet:
            quiet.commit()
        with recorded_run(down, "r1", "orders", kind="profile", as_of=AS_OF,
                          store_may_be_down=True) as spooled:
            spooled.lost()

        assert (quiet.recording, spooled.in_store) == (False, False)


class TestRunEntry:
    def test_a_run_can_be_kept_in_another_store(self, store: SqlMetricStore,
                                                 tmp_path: Path) -> None:
        # Arrange: the spool's case, a local store standing in for the real one
        spool = open_store(f"sqlite:///{tmp_path / 'spool.db'}")
        run = RunEntry(store, "r1", "orders", kind="profile", as_of=AS_OF,
                       scheduled_at=AS_OF)

        # Act
        try:
            run.start(spool)
            run.commit(row_count=5, store=spool)
            kept = spool.run("r1")
        finally:
            spool.dispose()

        # Assert
        assert (kept.status, kept.row_count, kept.scheduled_at) == (
            "success", 5, AS_OF.replace(tzinfo=None))
        assert store.run("r1") is None

    def test_fail_names_the_error_kind_it_is_given(self, store: SqlMetricStore) -> None:
        run = RunEntry(store, "r1", "orders", kind="profile", as_of=AS_OF)
        run.start()

        run.fail(StoreUnavailable("metric store: reading: gone"),
                 error_kind="StoreUnavailable (transient)")

        row = store.run("r1")
        assert (row.status, row.error, row.error_kind) == (
            "failed", "metric store: reading: gone", "StoreUnavailable (transient)")
        assert run.finished

    def test_a_lost_run_cannot_be_finished_afterwards(self, store: SqlMetricStore) -> None:
        run = RunEntry(store, "r1", "orders", kind="profile", as_of=AS_OF)
        run.start()
        run.lost()

        with pytest.raises(RunBookkeepingError, match="lost, then success"):
            run.commit()

        assert store.run("r1").status == "running"

    def test_a_run_kept_in_a_spool_that_failed_afterwards_is_lost(
            self, store: SqlMetricStore, tmp_path: Path) -> None:
        spool = open_store(f"sqlite:///{tmp_path / 'spool.db'}")
        run = RunEntry(store, "r1", "orders", kind="profile", as_of=AS_OF)
        try:
            run.start(spool)
            run.commit(store=spool)
        finally:
            spool.dispose()

        run.lost()  # the spool file could not be kept

        assert run.status == "lost"

    def test_seconds_count_from_the_start(self, store: SqlMetricStore) -> None:
        run = RunEntry(store, "r1", "orders", kind="profile", as_of=AS_OF)

        first, second = run.seconds(), run.seconds()

        assert 0 <= first <= second
