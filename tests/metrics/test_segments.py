"""Segments measured in the bucketed profile's scan, checked against a pandas groupby."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config.models import SegmentExpr
from monitor.metrics.profile import describe_table, profile_buckets
from monitor.metrics.segments import (
    MAX_VALUE_LENGTH,
    SegmentPlan,
    choose,
    describe,
    keepable,
    measured_columns,
    parse_series_column,
    plain,
    readable_column,
    segment_case,
    segment_parts,
    series_column,
)
from monitor.metrics.states import State
from tests.helpers.statements import record_statements
from tests.helpers.warehouses import WITH_SPARK, WarehouseUnderTest

DAY = dt.datetime(2026, 3, 1)
COLUMNS = {"id": sa.BigInteger(), "country": sa.String(100), "channel": sa.String(100),
           "amount": sa.Double(), "note": sa.String(100), "ts": sa.DateTime()}
COUNTRIES = ["DE", "FR", None, "Zürich ü", "O'Brien \"q\"", "NL"]


def rows_of(n: int = 240) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append({"id": i, "country": COUNTRIES[(i * 7) % len(COUNTRIES) if i % 5 else 0],
                    "channel": "web" if i % 3 else "app",
                    "amount": None if i % 11 == 0 else float(i % 17) + 0.5,
                    "note": None if i % 4 == 0 else "x",
                    "ts": DAY + dt.timedelta(hours=(i * 5) % 72)})
    return out


def oracle(rows: list[dict[str, Any]], keys: list[str]) -> pd.DataFrame:
    """Rows, null rates and means per (day, segment), by pandas."""
    frame = pd.DataFrame(rows)
    frame["day"] = frame["ts"].dt.floor("D")
    for key in keys:
        frame[key] = frame[key].fillna("<null>")
    grouped = frame.groupby(["day", *keys], dropna=False)
    out = pd.DataFrame({"rows": grouped.size(),
                        "amount_null": grouped["amount"].apply(lambda s: s.isna().mean()),
                        "note_null": grouped["note"].apply(lambda s: s.isna().mean()),
                        "amount_mean": grouped["amount"].mean()})
    return out.reset_index()


def plan_for(wh: WarehouseUnderTest, table: str, segments: list[Any],
             labels: list[tuple[Any, ...]]) -> tuple[Any, SegmentPlan, Any]:
    config = wh.table_config(table, timestamp_column="ts", bucket="day", segments=segments)
    shape = describe_table(wh.warehouse(), config)
    kinds = {c.name: c.kind for c in shape.columns}
    columns, numeric = measured_columns(config, shape, kinds)
    plan = SegmentPlan(segment_parts(config, shape), tuple(labels), columns, numeric)
    return config, plan, shape


def check_against(buckets: list[Any], expected: pd.DataFrame, keys: list[str],
                  labels: list[tuple[Any, ...]]) -> None:
    for bucket in buckets:
        day = expected[expected["day"] == pd.Timestamp(bucket.start.replace(tzinfo=None))]
        found = {s.label: s for s in bucket.segments}
        kept = 0
        for label in labels:
            mask = pd.Series(True, index=day.index)
            for key, value in zip(keys, label, strict=True):
                mask &= day[key] == ("<null>" if value is None else value)
            want = day[mask]
            if want.empty:
                assert label not in found
                continue
            got = found[label]
            kept += got.row_count
            assert got.row_count == int(want["rows"].iloc[0])
            assert got.columns["note"]["null_rate"] == pytest.approx(want["note_null"].iloc[0])
            assert got.columns["amount"]["null_rate"] == pytest.approx(
                want["amount_null"].iloc[0])
            mean = want["amount_mean"].iloc[0]
            assert (got.columns["amount"]["mean"] is None) if math.isnan(mean) else (
                got.columns["amount"]["mean"] == pytest.approx(mean))
        rest = int(day["rows"].sum()) - kept
        other = found.get(None)
        assert (other.row_count if other else 0) == rest
        assert bucket.row_count == int(day["rows"].sum())


def flat(columns: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {f"{c}.{m}": v for c, ms in columns.items() for m, v in ms.items()
            if isinstance(v, int | float)}


class TestProfileBucketsWithSegments:
    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    def test_one_column_matches_pandas(self, warehouse: WarehouseUnderTest) -> None:
        rows = rows_of()
        warehouse.create_table("orders", COLUMNS, rows)
        labels = [("DE",), (None,), ("Zürich ü",), ("O'Brien \"q\"",)]
        config, plan, shape = plan_for(warehouse, "orders", ["country"], labels)

        buckets = profile_buckets(warehouse.warehouse(), config, segments=plan, shape=shape)

        assert len(buckets) == 3
        check_against(buckets, oracle(rows, ["country"]), ["country"], labels)

    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    def test_two_columns_and_totals_as_without_segments(self, warehouse: WarehouseUnderTest
                                                        ) -> None:
        rows = rows_of()
        warehouse.create_table("orders", COLUMNS, rows)
        labels = [("DE", "web"), ("FR", "app"), (None, "web")]
        config, plan, shape = plan_for(warehouse, "orders", ["country", "channel"], labels)

        segmented = profile_buckets(warehouse.warehouse(), config, segments=plan, shape=shape)
        plain_profile = profile_buckets(warehouse.warehouse(), config)

        check_against(segmented, oracle(rows, ["country", "channel"]),
                      ["country", "channel"], labels)
        assert [(b.start, b.row_count) for b in segmented] == [
            (b.start, b.row_count) for b in plain_profile]
        for a, b in zip(segmented, plain_profile, strict=True):
            assert flat(a.columns) == pytest.approx(flat(b.columns), rel=1e-9)

    def test_an_expression_segment(self, warehouse: WarehouseUnderTest) -> None:
        rows = rows_of()
        warehouse.create_table("orders", COLUMNS, rows)
        expr = SegmentExpr(expr="CASE WHEN amount > 8 THEN 'big' ELSE 'small' END",
                           name="size")
        config, plan, shape = plan_for(warehouse, "orders", [expr], [("big",)])

        buckets = profile_buckets(warehouse.warehouse(), config, segments=plan, shape=shape)

        frame = pd.DataFrame(rows)
        frame["day"] = frame["ts"].dt.floor("D")
        big = frame[frame["amount"] > 8].groupby("day").size()
        for bucket in buckets:
            got = {s.label: s.row_count for s in bucket.segments}
            day = pd.Timestamp(bucket.start.replace(tzinfo=None))
            assert got[("big",)] == int(big[day])
            assert got[None] == bucket.row_count - int(big[day])

    def test_a_small_range_is_one_statement_per_bucket(self, warehouse: WarehouseUnderTest
                                                       ) -> None:
        rows = rows_of()
        warehouse.create_table("orders", COLUMNS, rows)
        labels = [("DE",), ("FR",)]
        config, plan, shape = plan_for(warehouse, "orders", ["country"], labels)
        start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)

        monitored = warehouse.warehouse()
        with record_statements(monitored.engine) as log:
            buckets = profile_buckets(monitored, config, segments=plan, shape=shape,
                                      start=start, end=start + dt.timedelta(days=1))

        assert len([s for s in log.statements if "_dq_segment" in s]) == 1
        check_against(buckets, oracle(rows, ["country"]), ["country"], labels)


class TestSegmentsOfOddValues:
    @pytest.mark.parametrize("warehouse", ["sqlite", "duckdb", "postgresql", "mariadb"],
                             indirect=True)
    @settings(max_examples=12, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.one_of(st.none(), st.sampled_from(["", "'", '"', "a'b\"c", "Zürich",
                                                          "日本", " DE ", "%_", "\\"]),
                              st.text(st.characters(blacklist_categories=("Cs",),
                                                    blacklist_characters="\x00"),
                                      max_size=12)),
                    min_size=1, max_size=30))
    def test_any_text_value_is_counted_by_its_own_segment(
            self, warehouse: WarehouseUnderTest, values: list[str | None]) -> None:
        rows = [{"id": i, "country": v, "channel": "web", "amount": 1.0, "note": None,
                 "ts": DAY} for i, v in enumerate(values)]
        warehouse.create_table("orders", COLUMNS, rows)
        labels = list(dict.fromkeys((v,) for v in values))
        config, plan, shape = plan_for(warehouse, "orders", ["country"], labels)

        buckets = profile_buckets(warehouse.warehouse(), config, segments=plan, shape=shape)

        counts = pd.Series([repr(v) for v in values]).value_counts()
        got = {repr(s.label[0]): s.row_count for s in buckets[0].segments if s.label}
        assert got == counts.to_dict()


class TestSeriesColumn:
    @given(st.lists(st.one_of(st.none(), st.text(max_size=20), st.integers()), min_size=1,
                    max_size=2), st.text(max_size=30))
    def test_round_trips(self, values: list[Any], column: str) -> None:
        names = tuple(f"p{i}" for i in range(len(values)))

        parsed = parse_series_column(series_column(names, tuple(values), column))

        assert parsed == (names, tuple(values), column)

    def test_other_has_no_label(self) -> None:
        assert parse_series_column(series_column(("country",), None, "x")) == (
            ("country",), None, "x")


class TestChoose:
    def test_stored_volume_keeps_a_segment_with_no_rows_now(self) -> None:
        chosen = choose({("DE",): 5000.0, ("FR",): 100.0}, [(("FR",), 50.0), (("NL",), 60.0)],
                        2)

        assert chosen == (("DE",), ("FR",))

    def test_too_long_values_are_left_to_other(self) -> None:
        long = ("x" * (MAX_VALUE_LENGTH + 1),)

        assert choose({}, [(long, 10.0), (("a",), 1.0)], 5) == (("a",),)
        assert not keepable(long)


class TestSegmentCase:
    def test_values_are_bound_not_formatted(self) -> None:
        part = sa.column("country")
        from monitor.metrics.segments import Part

        sql = segment_case([Part("country", part)], [("x'; DROP TABLE t; --",), (None,)])

        compiled = sql.compile()
        assert "DROP" not in str(compiled)
        assert "country IS NULL" in str(compiled)

    def test_no_labels_is_all_other(self) -> None:
        assert str(segment_case([], []).compile()) == "-1"


class TestHelpers:
    def test_plain_and_describe(self) -> None:
        assert plain(dt.datetime(2026, 1, 1, 5)) == "2026-01-01T05:00:00"
        assert describe(("DE", None)) == "DE / (no value)"

    def test_states_of_a_plan(self) -> None:
        plan = SegmentPlan((), (), ("a", "b"), frozenset({"a"}))

        assert plan.states() == (State("rows"), State("non_null", "a"), State("mean", "a"),
                                 State("non_null", "b"))


class TestReadOnly:
    @pytest.mark.parametrize("warehouse", ["sqlite", "postgresql", "mariadb"], indirect=True)
    def test_an_expression_that_writes_is_refused(self, warehouse: WarehouseUnderTest) -> None:
        from monitor.errors import MonitorError
        from monitor.metrics.segments import read_only

        warehouse.create_table("orders", COLUMNS, rows_of(10))
        expr = SegmentExpr(expr="country", name="c")
        _, plan, _ = plan_for(warehouse, "orders", [expr], [])
        monitored = warehouse.warehouse()
        target = warehouse.qualified("orders")

        with (monitored.connect() as conn, read_only(conn, plan, monitored.capabilities),
              pytest.raises((sa.exc.DBAPIError, MonitorError))):
            conn.exec_driver_sql(f"DELETE FROM {target}")

        assert warehouse.execute(f"SELECT count(*) FROM {target}") == [(10,)]


class TestReadableColumn:
    def test_a_segment_series_reads_as_its_column_and_segment(self) -> None:
        key = series_column(["country"], ("Côte d'Ivoire",), "amount")

        assert readable_column(key) == "amount, country Côte d'Ivoire"

    def test_the_other_segment_and_a_volume_series(self) -> None:
        assert readable_column(series_column(["country", "channel"], None)) == \
            "country / channel other"

    def test_plain_columns_and_none_are_kept(self) -> None:
        assert (readable_column("amount"), readable_column(None), readable_column("")) == \
            ("amount", None, "")
