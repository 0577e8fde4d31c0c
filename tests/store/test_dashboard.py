"""Store-wide dashboard queries, on SQLite and PostgreSQL, against pandas on the seeded rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from monitor.store import SqlMetricStore
from monitor.store import dashboard as queries
from monitor.store.schema import mutes
from monitor.store.schema import runs as sa_runs
from tests.helpers.seed import DAY, Scenario, Seeder, naive_now


def current_anomalies(scenario: Scenario) -> dict[str, int]:
    """Per table, anomalies among the newest point of each series, minus labelled ones."""
    det = scenario.rows("dq_detections")
    series = ["table_name", "metric", "column_name", "granularity"]
    newest = det[det["ts"] == det.groupby(series)["ts"].transform("max")]
    labels = scenario.rows("dq_feedback")
    labelled = set(map(tuple, labels[[*series, "ts"]].values.tolist()))
    keep = newest[[tuple(r) not in labelled for r in newest[[*series, "ts"]].values.tolist()]]
    return keep.groupby("table_name")["is_anomaly"].sum().astype(int).to_dict()


class TestLatestState:
    def test_one_row_per_table_with_runs(self, reader: SqlMetricStore, seeded: Scenario):
        state = queries.latest_state(reader)

        assert state["table_name"].tolist() == sorted(seeded.rows("dq_runs")["table_name"]
                                                      .unique())

    def test_last_run_and_counts(self, reader: SqlMetricStore, seeded: Scenario):
        runs = seeded.rows("dq_runs")
        newest = runs.loc[runs.groupby("table_name")["started_at"].idxmax()].set_index(
            "table_name")
        success = runs[runs["status"] == "success"]

        state = queries.latest_state(reader).set_index("table_name")

        assert state["last_status"].to_dict() == newest["status"].to_dict()
        assert state["last_started_at"].to_dict() == newest["started_at"].to_dict()
        assert state["runs"].to_dict() == runs.groupby("table_name").size().to_dict()
        assert state["successes"].to_dict() == success.groupby("table_name").size().to_dict()
        assert state["last_success_at"].to_dict() == success.groupby("table_name")[
            "finished_at"].max().to_dict()
        assert state.loc["inventory", "last_error_kind"] == "WarehouseUnavailable"

    def test_newest_snapshot_row_count_and_freshness(self, reader: SqlMetricStore,
                                                     seeded: Scenario):
        points = seeded.rows("dq_metrics")
        snap = points[(points["granularity"] == "snapshot") & (points["column_name"] == "")]
        counts = snap[snap["metric"] == "row_count"]
        newest = counts.loc[counts.groupby("table_name")["ts"].idxmax()].set_index("table_name")

        state = queries.latest_state(reader).set_index("table_name")

        assert state["row_count"].to_dict() == newest["value"].to_dict()
        assert state["snapshot_at"].to_dict() == newest["ts"].to_dict()
        assert set(state["freshness_seconds"]) == {1800.0}

    def test_incidents_anomalies_expectations_gate(self, reader: SqlMetricStore,
                                                   seeded: Scenario):
        incidents = seeded.rows("dq_incidents")
        opened = incidents[incidents["status"].isin(["open", "acknowledged"])]
        results = seeded.rows("dq_expectation_results")
        newest = results[results["ts"] == results.groupby("table_name")["ts"].transform("max")]

        state = queries.latest_state(reader).set_index("table_name")

        assert state["open_incidents"][state["open_incidents"] > 0].to_dict() == \
            opened.groupby("table_name").size().to_dict()
        assert state.loc["orders", "critical_incidents"] == 1
        assert state.loc["events", "critical_incidents"] == 0
        assert state["anomalies"][state["anomalies"] > 0].to_dict() == {
            k: v for k, v in current_anomalies(seeded).items() if v}
        assert state.loc["payments", "learning_series"] == 3
        assert state.loc["orders", "failed_expectations"] == int((~newest["success"]).sum())
        assert state.loc["orders", "failed_critical_expectations"] == 1
        assert state.loc["customers", "gate_verdict"] == "pass"
        assert state["expectations"].to_dict()["customers"] == 0

    def test_newest_run_wins_a_tie_on_start_time_by_run_id(self, sqlite_store: SqlMetricStore):
        at = naive_now()
        seeder = Seeder()
        seeder.run("t", at, status="failed")
        seeder.add(sa_runs, **{**seeder.rows["dq_runs"][0], "run_id": "t@z", "status": "success"})
        seeder.write(sqlite_store)

        state = queries.latest_state(sqlite_store)

        assert state[["last_run_id", "last_status", "runs"]].values.tolist() == [
            ["t@z", "success", 2]]

    def test_limited_to_the_given_tables(self, reader: SqlMetricStore, seeded: Scenario):
        state = queries.latest_state(reader, ["orders", "payments", "not-stored"])

        assert state["table_name"].tolist() == ["orders", "payments"]

    def test_only_active_mutes_count_when_now_is_given(self, store: SqlMetricStore):
        now = naive_now()
        seeder = Seeder()
        seeder.run("orders", now - DAY)
        seeder.run("events", now - DAY)
        seeder.write(store)
        with store.transaction() as conn:
            conn.execute(mutes.insert(), [
                {"table_name": "orders", "muted_until": now + DAY, "created_at": now},
                {"table_name": "events", "muted_until": now - DAY, "created_at": now}])

        state = queries.latest_state(store, now=now).set_index("table_name")

        assert state.loc["orders", "muted_until"] == now + DAY
        assert pd.isna(state.loc["events", "muted_until"])

    def test_old_detections_do_not_count_when_a_window_is_given(self, reader: SqlMetricStore,
                                                                seeded: Scenario):
        state = queries.latest_state(reader, ["sessions", "orders"],
                                     detections_since=seeded.now - 3 * DAY)

        assert state.set_index("table_name")["watched_series"].to_dict() == {
            "orders": 4, "sessions": 0}

    def test_empty_store_gives_empty_frame_with_columns(self, store: SqlMetricStore):
        state = queries.latest_state(store)

        assert state.empty
        assert {"table_name", "last_status", "row_count", "anomalies"} <= set(state.columns)


class TestRowCountTrends:
    def test_last_snapshot_of_each_day(self, store: SqlMetricStore):
        day = naive_now().replace(hour=0, minute=0, second=0) - 2 * DAY
        seeder = Seeder()
        for hours, total in ((1, 10.0), (5, 20.0), (23, 30.0), (25, 40.0), (30, 35.0)):
            at = day + dt.timedelta(hours=hours)
            run_id = seeder.run("t", at)
            seeder.metric("t", at, "row_count", total, run_id=run_id)
        seeder.write(store)

        trend = queries.row_count_trends(store, day)

        assert trend["value"].tolist() == [30.0, 35.0]
        assert trend["ts"].tolist() == [day + dt.timedelta(hours=23),
                                        day + dt.timedelta(hours=30)]

    def test_all_tables_at_once_since_a_time(self, reader: SqlMetricStore, seeded: Scenario):
        since = seeded.now - 10 * DAY

        trend = queries.row_count_trends(reader, since)

        points = seeded.rows("dq_metrics")
        expected = points[(points["metric"] == "row_count") & (points["granularity"] ==
                          "snapshot") & (points["ts"] >= since)]
        assert trend.groupby("table_name").size().to_dict() == \
            expected.groupby("table_name").size().to_dict()
        assert trend["ts"].min() >= since


class TestRunsSince:
    def test_runs_with_scheduler_lag(self, sqlite_store: SqlMetricStore):
        now = naive_now()
        seeder = Seeder()
        seeder.run("a", now - dt.timedelta(hours=2), lag=45.0)
        seeder.run("b", now - dt.timedelta(hours=1), lag=0.0)
        seeder.run("a", now - 3 * DAY)
        seeder.rows["dq_runs"][1]["scheduled_at"] = None  # a manual run has no schedule
        seeder.write(sqlite_store)

        runs = queries.runs_since(sqlite_store, now - DAY)

        assert runs["table_name"].tolist() == ["a", "b"]
        assert runs["lag_seconds"].iloc[0] == 45.0
        assert pd.isna(runs["lag_seconds"].iloc[1])

    def test_one_table(self, reader: SqlMetricStore, seeded: Scenario):
        runs = queries.runs_since(reader, seeded.now - 7 * DAY, table="sessions")

        assert set(runs["table_name"]) == {"sessions"}
        assert runs["started_at"].is_monotonic_increasing


class TestIncidentsSince:
    def test_open_ones_always_resolved_ones_when_recent(self, sqlite_store: SqlMetricStore):
        now = naive_now()
        seeder = Seeder()
        old_open = seeder.incident("t", "a", opened_at=now - 90 * DAY)
        recent = seeder.incident("t", "b", opened_at=now - 5 * DAY, status="resolved",
                                 resolved_at=now - 2 * DAY)
        seeder.incident("t", "c", opened_at=now - 60 * DAY, status="resolved",
                        resolved_at=now - 50 * DAY)
        seeder.write(sqlite_store)

        found = queries.incidents_since(sqlite_store, now - 7 * DAY)

        assert found["incident_id"].tolist() == [recent, old_open]


class TestFailedExpectations:
    def test_failures_since_newest_first(self, reader: SqlMetricStore, seeded: Scenario):
        found = queries.failed_expectations(reader, seeded.now - 30 * DAY)

        results = seeded.rows("dq_expectation_results")
        assert len(found) == int((~results["success"]).sum())
        assert found["ts"].is_monotonic_decreasing
        assert found["column_name"].tolist() == ["customer_id", "amount"]


class TestFailedRuns:
    def test_failed_lost_interrupted(self, sqlite_store: SqlMetricStore):
        now = naive_now()
        seeder = Seeder()
        for k, status in enumerate(("success", "failed", "lost", "interrupted", "running")):
            seeder.run("t", now - dt.timedelta(hours=k + 1), status=status)
        seeder.write(sqlite_store)

        found = queries.failed_runs(sqlite_store, now - DAY)

        assert found["status"].tolist() == ["failed", "lost", "interrupted"]


class TestAnomaliesSince:
    def test_anomalies_with_their_labels(self, reader: SqlMetricStore, seeded: Scenario):
        found = queries.anomalies_since(reader, seeded.now - 90 * DAY)

        detections = seeded.rows("dq_detections")
        assert len(found) == int(detections["is_anomaly"].sum())
        labelled = found[found["label"].notna()]
        assert labelled[["table_name", "metric", "label"]].values.tolist() == [
            ["events", "row_count", "expected"]]

    def test_since_limits(self, reader: SqlMetricStore, seeded: Scenario):
        found = queries.anomalies_since(reader, seeded.now - 3 * DAY)

        assert sorted(found["table_name"]) == ["events", "orders"]


class TestFrame:
    def test_time_columns_stay_times_when_all_null(self, sqlite_store: SqlMetricStore):
        seeder = Seeder()
        seeder.incident("t", "a", opened_at=naive_now())
        seeder.write(sqlite_store)

        found = queries.incidents_since(sqlite_store, naive_now() - DAY)

        assert str(found["resolved_at"].dtype).startswith("datetime64")
        assert str(found["muted_until"].dtype).startswith("datetime64")


class TestValidationOfTheTableOnly:
    def test_a_blocked_batch_does_not_fail_the_table(self, sqlite_store: SqlMetricStore):
        now = naive_now()
        seeder = Seeder()
        profiled = seeder.run("orders", now - dt.timedelta(hours=2))
        seeder.expectation("orders", now - dt.timedelta(hours=2), "expect_column_values_to_"
                           "not_be_null", column="id", run_id=profiled, success=True,
                           severity="critical")
        ingested = seeder.run("orders", now - dt.timedelta(hours=1), kind="ingest")
        seeder.expectation("orders", now - dt.timedelta(hours=1), "expect_column_values_to_"
                           "not_be_null", column="id", run_id=ingested, success=False,
                           severity="critical")
        seeder.write(sqlite_store)

        state = queries.latest_state(sqlite_store).set_index("table_name")

        assert state.loc["orders", "failed_expectations"] == 0
        assert state.loc["orders", "validated_at"] == now - dt.timedelta(hours=2)
