"""Table-page queries, on SQLite and PostgreSQL, against the seeded rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.store import SqlMetricStore
from monitor.store import dashboard_table as tq
from tests.helpers.seed import DAY, Scenario, Seeder, naive_now


class TestBand:
    def test_detections_of_the_table_since_a_time(self, reader: SqlMetricStore,
                                                  seeded: Scenario):
        since = seeded.now - 20 * DAY
        det = seeded.rows("dq_detections")
        expected = det[(det["table_name"] == "orders") & (det["ts"] >= since)]

        band = tq.band("orders", store=reader, since=since)

        assert len(band) == len(expected)
        assert band["is_anomaly"].dtype == bool
        assert band["is_anomaly"].sum() == expected["is_anomaly"].sum() == 1
        row = band[band["is_anomaly"]].iloc[0]
        source = expected[expected["is_anomaly"]].iloc[0]
        assert (row["value"], row["expected"], row["lower"], row["upper"]) == pytest.approx(
            (source["value"], source["expected"], source["lower"], source["upper"]))

    def test_labels_are_joined(self, reader: SqlMetricStore, seeded: Scenario):
        band = tq.band("events", store=reader, since=seeded.now - 90 * DAY)

        labelled = band[band["label"].notna()]
        assert labelled[["metric", "ts", "label"]].values.tolist() == [
            ["row_count", seeded.histories["events"].points_at[30], "expected"]]


class TestSeriesNames:
    def test_table_metrics_first_then_columns(self):
        frame = pd.DataFrame({"metric": ["null_rate", "row_count", "null_rate", "mean"],
                              "column_name": ["b", "", "a", "a"],
                              "granularity": ["day"] * 4})

        assert tq.series_names(frame) == [("row_count", "", "day"), ("null_rate", "a", "day"),
                                          ("null_rate", "b", "day"), ("mean", "a", "day")]


class TestPoints:
    def test_plain_table_metrics(self, reader: SqlMetricStore, seeded: Scenario):
        found = tq.points("sessions", store=reader, since=seeded.now - 60 * DAY)

        assert set(found["metric"]) == {"row_count", "freshness_seconds"}
        assert len(found) == 2 * 30


class TestCompleteness:
    def test_day_buckets_preferred_over_snapshots(self, sqlite_store: SqlMetricStore):
        day = naive_now().replace(hour=0, minute=0, second=0) - DAY
        seeder = Seeder()
        run = seeder.run("t", day)
        seeder.metric("t", day, "null_rate", 0.5, run_id=run, column="a")
        seeder.metric("t", day, "null_rate", 0.1, run_id=run, column="a", granularity="day")
        seeder.write(sqlite_store)

        found = tq.completeness("t", store=sqlite_store, since=day - DAY)

        assert found[["granularity", "completeness"]].values.tolist() == [["day", 0.9]]

    def test_snapshots_when_no_buckets(self, reader: SqlMetricStore, seeded: Scenario):
        found = tq.completeness("customers", store=reader, since=seeded.now - 5 * DAY)

        assert set(found["granularity"]) == {"snapshot"}
        assert found["completeness"].tolist() == pytest.approx([0.99] * len(found))
        assert len(found) == 5 * 4  # five runs, four columns

    def test_nothing_recorded(self, reader: SqlMetricStore, seeded: Scenario):
        assert tq.completeness("returns", store=reader, since=seeded.now - DAY).empty


class TestSchemaHistory:
    def test_includes_the_baseline_before_the_period(self, reader: SqlMetricStore,
                                                     seeded: Scenario):
        runs = seeded.histories["customers"].run_times
        since = runs[52] - dt.timedelta(minutes=1)

        history = tq.schema_history("customers", store=reader, since=since)

        stamps = sorted(set(history["ts"]))
        assert stamps[0] == runs[51]
        assert stamps[1] == runs[52]
        assert tq.schema_changes(history)["change"].tolist() == ["type changed"]


class TestSchemaChanges:
    def test_added_removed_and_retyped(self):
        t1, t2 = dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2)
        history = pd.DataFrame([
            (t1, "a", "INT"), (t1, "b", "TEXT"), (t2, "a", "BIGINT"), (t2, "c", "DATE")],
            columns=["ts", "column_name", "data_type"])

        changes = tq.schema_changes(history)

        assert changes[["change", "column", "old_type", "new_type"]].fillna("-").values.tolist() \
            == [["type changed", "a", "INT", "BIGINT"], ["removed", "b", "TEXT", "-"],
                ["added", "c", "-", "DATE"]]

    @given(st.lists(st.dictionaries(st.sampled_from("abcdef"), st.sampled_from(["INT", "TEXT"]),
                                    min_size=1), min_size=1, max_size=6))
    def test_replaying_the_changes_rebuilds_every_snapshot(self, snapshots):
        stamps = [dt.datetime(2026, 1, 1) + k * DAY for k in range(len(snapshots))]
        history = pd.DataFrame(
            [(ts, name, kind) for ts, snap in zip(stamps, snapshots, strict=True)
             for name, kind in snap.items()], columns=["ts", "column_name", "data_type"])

        changes = tq.schema_changes(history)

        current = dict(snapshots[0])
        for ts, snapshot in zip(stamps[1:], snapshots[1:], strict=True):
            for change in changes[changes["ts"] == ts].itertuples():
                if change.change == "removed":
                    del current[change.column]
                else:
                    current[change.column] = change.new_type
            assert current == snapshot


class TestLatestProfile:
    def test_snapshot_and_newest_bucket(self, reader: SqlMetricStore, seeded: Scenario):
        profile = tq.latest_profile("orders", store=reader)

        points = seeded.rows("dq_metrics")
        orders = points[points["table_name"] == "orders"]
        newest_snapshot = orders[orders["granularity"] == "snapshot"]["ts"].max()
        newest_day = orders[orders["granularity"] == "day"]["ts"].max()
        assert profile["granularity"].tolist() == ["snapshot", "day", "day", "day", "day"]
        assert profile["ts"].tolist() == [newest_snapshot] + [newest_day] * 4
        assert profile["column"].tolist() == ["(table)", "(table)", "amount", "customer_id", "id"]
        assert list(profile.columns[3:5]) == ["row_count", "freshness_seconds"]

    def test_nothing_recorded(self, reader: SqlMetricStore):
        assert tq.latest_profile("returns", store=reader).empty


class TestExpectationHistory:
    def test_labels_and_results(self, reader: SqlMetricStore, seeded: Scenario):
        found = tq.expectation_history("orders", store=reader, since=seeded.now - 30 * DAY)

        assert len(found) == 20
        assert found["result"].value_counts().to_dict() == {"pass": 18, "fail": 2}
        assert set(found["expectation"]) == {
            "orders_suite: column_values_to_not_be_null (customer_id)",
            "orders_suite: column_values_to_be_between (amount)"}


class TestGateAndBatches:
    def test_verdicts_newest_first(self, reader: SqlMetricStore, seeded: Scenario):
        found = tq.gate_history("customers", store=reader, since=seeded.now - 30 * DAY)

        assert len(found) == 10
        assert found["ts"].is_monotonic_decreasing

    def test_batches_since(self, reader: SqlMetricStore, seeded: Scenario):
        found = tq.batch_history("customers", store=reader, since=seeded.now - 3 * DAY)

        assert len(found) == 3
        assert found["rows_quarantined"].sum() == 0
