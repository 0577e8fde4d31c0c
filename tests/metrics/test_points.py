"""Profiles become metric points with numbers and ISO text for times."""

from __future__ import annotations

import datetime as dt

from monitor.metrics.points import points_from_buckets, points_from_profile
from monitor.metrics.profile import BucketProfile, ColumnProfile, Profile

AS_OF = dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC)
NEWEST = dt.datetime(2026, 3, 2, 5, tzinfo=dt.UTC)


class TestPointsFromProfile:
    def test_table_and_column_points(self) -> None:
        profile = Profile(table="t", warehouse="w", qualified_name="t", as_of=AS_OF, row_count=3,
                          columns={"a": ColumnProfile("a", "INT", "integer",
                                                      {"null_rate": 0.5, "mean": float("nan")}),
                                   "ts": ColumnProfile("ts", "TIMESTAMP", "timestamp",
                                                       {"max": NEWEST})},
                          freshness_seconds=3600.0, latest_timestamp=NEWEST)

        pts = {(p.column, p.metric): p for p in points_from_profile(profile)}

        assert pts[("", "row_count")].value == 3.0
        assert pts[("", "freshness_seconds")].value == 3600.0
        assert pts[("a", "null_rate")].value == 0.5
        assert pts[("a", "mean")].value is None
        assert pts[("ts", "max")].value == NEWEST.timestamp()
        assert pts[("ts", "max")].value_text == "2026-03-02T05:00:00+00:00"
        assert {p.ts for p in pts.values()} == {dt.datetime(2026, 3, 2, 6)}


class TestPointsFromBuckets:
    def test_bucket_points_carry_arrival_delay(self) -> None:
        bucket = BucketProfile(start=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), granularity="day",
                               row_count=7, columns={"a": {"null_count": 1}},
                               latest_timestamp=NEWEST - dt.timedelta(days=1),
                               latest_loaded_at=dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC))

        pts = {(p.column, p.metric): p for p in points_from_buckets("t", [bucket])}

        assert pts[("", "row_count")].granularity == "day"
        assert pts[("", "arrival_delay_seconds")].value == 3600.0
        assert pts[("a", "null_count")].value == 1.0
        assert pts[("", "latest_timestamp")].value_text.startswith("2026-03-01T05")  # type: ignore[union-attr]
