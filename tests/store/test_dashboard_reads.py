"""The dashboard pages' own store reads, on SQLite and PostgreSQL, against seeded rows."""

from __future__ import annotations

import pytest

from monitor.store import SqlMetricStore
from monitor.store import dashboard_reads as reads
from tests.helpers.seed import DAY, Scenario


class TestBucketCounts:
    def test_row_counts_of_day_and_hour_buckets_since_a_time(
            self, reader: SqlMetricStore, seeded: Scenario) -> None:
        since = seeded.now - 20 * DAY
        m = seeded.rows("dq_metrics")
        expected = m[(m["metric"] == "row_count") & (m["column_name"] == "")
                     & m["granularity"].isin(["day", "hour"]) & (m["ts"] >= since)]

        got = reads.bucket_counts(reader, since)

        assert len(got) == len(expected)
        assert got["value"].sum() == pytest.approx(expected["value"].sum())

    def test_only_the_tables_asked_for(self, reader: SqlMetricStore, seeded: Scenario
                                       ) -> None:
        got = reads.bucket_counts(reader, seeded.now - 90 * DAY, tables=["no such table"])

        assert got.empty


class TestLatestLong:
    def test_the_newest_value_of_every_metric_per_granularity(
            self, reader: SqlMetricStore, seeded: Scenario) -> None:
        m = seeded.rows("dq_metrics")
        own = m[m["table_name"] == "orders"]
        newest = own.groupby("granularity")["ts"].transform("max")
        expected = own[own["ts"] == newest]

        got = reads.latest_long("orders", store=reader)

        assert len(got) == len(expected)
        assert set(got["granularity"]) == set(expected["granularity"])


class TestExpectationRows:
    def test_results_since_a_time_oldest_first_with_their_run_kind(
            self, reader: SqlMetricStore, seeded: Scenario) -> None:
        since = seeded.now - 90 * DAY
        e = seeded.rows("dq_expectation_results")
        expected = e[(e["table_name"] == "orders") & (e["ts"] >= since)]

        got = reads.expectation_rows("orders", store=reader, since=since)

        assert len(got) == len(expected)
        assert list(got["ts"]) == sorted(got["ts"])
        assert "run_kind" in got.columns
