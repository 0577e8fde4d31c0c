"""Profiles checked against an independent oracle (pandas on the same rows)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.dialects import Capabilities, capabilities_for
from monitor.errors import ConfigError, ObjectNotFound
from monitor.metrics.profile import (
    count_null_timestamps,
    profile_buckets,
    profile_table,
    resolve_distinct,
)
from tests.helpers.statements import record_statements
from tests.helpers.warehouses import WITH_SPARK, WarehouseUnderTest, warehouse_of


@pytest.fixture(params=WITH_SPARK)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseUnderTest]:
    """The profile's oracle tests run on Spark too (tests/helpers/spark.py)."""
    with warehouse_of(request.param, tmp_path) as wh:
        yield wh


TYPES = {"int": sa.BigInteger(), "float": sa.Double(), "text": sa.String(200),
         "ts": sa.DateTime()}


def storable(value: Any, caps: Capabilities) -> Any:
    """The value an engine keeps: NaN is NULL in SQLite; MariaDB holds neither NaN nor
    infinity (they are written as NULL here)."""
    if isinstance(value, float) and (
            (math.isnan(value) and not caps.floats_hold_nan)
            or (math.isinf(value) and not caps.floats_hold_infinity)):
        return None
    return value


def oracle(rows: list[dict[str, Any]], kinds: dict[str, str], caps: Capabilities) -> dict:
    """What the profile must say, computed with pandas from the Python values."""
    out: dict[str, Any] = {"row_count": len(rows), "columns": {}}
    for name, kind in kinds.items():
        values = [storable(r[name], caps) for r in rows]
        present = [v for v in values if v is not None]
        nan = [v for v in present if isinstance(v, float) and math.isnan(v)]
        distinct = {("nan" if isinstance(v, float) and math.isnan(v) else v) for v in present}
        col: dict[str, Any] = {"null_count": len(values) - len(present),
                               "null_rate": (len(values) - len(present)) / len(values)
                               if values else None,
                               "distinct_count": len(distinct)}
        if kind in ("int", "float"):
            finite = pd.Series([v for v in present if math.isfinite(v)], dtype="float64")
            col.update(min=finite.min() if len(finite) else None,
                       max=finite.max() if len(finite) else None,
                       mean=finite.mean() if len(finite) else None,
                       stddev=finite.std(ddof=1) if len(finite) > 1 else None)
            if kind == "float":
                col["inf_count"] = sum(1 for v in present if isinstance(v, float)
                                       and math.isinf(v))
                if caps.floats_hold_nan:
                    col["nan_count"] = len(nan)
        elif kind == "text":
            lengths = pd.Series([len(v) for v in present], dtype="float64")
            col.update(min_length=lengths.min() if len(lengths) else None,
                       max_length=lengths.max() if len(lengths) else None)
        elif kind == "ts":
            col.update(min=min(present) if present else None,
                       max=max(present) if present else None)
        out["columns"][name] = col
    return out


def assert_matches(profile_dict: dict, expected: dict) -> None:
    assert profile_dict["row_count"] == expected["row_count"]
    for name, want in expected["columns"].items():
        got = profile_dict["columns"][name]
        for metric, value in want.items():
            actual = got.get(metric)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                assert actual is None, (name, metric, actual)
            elif isinstance(value, dt.datetime):
                assert dt.datetime.fromisoformat(actual).replace(tzinfo=None) == value, (
                    name, metric)
            elif isinstance(value, float):
                assert actual == pytest.approx(value, rel=1e-7, abs=1e-7), (name, metric)
            else:
                assert actual == value, (name, metric, actual, value)


def create(wh: WarehouseUnderTest, table: str, kinds: dict[str, str],
           rows: list[dict[str, Any]]) -> None:
    caps = capabilities_for(wh.kind)
    wh.create_table(table, {n: TYPES[k] for n, k in kinds.items()},
                    [{n: storable(v, caps) for n, v in row.items()} for row in rows])


KINDS = {"id": "int", "amount": "float", "label": "text", "created": "ts"}


def sample_rows() -> list[dict[str, Any]]:
    base = dt.datetime(2026, 3, 1, 8, 30)
    return [
        {"id": 1, "amount": 10.5, "label": "ä", "created": base},
        {"id": 2, "amount": None, "label": "hello world", "created": base + dt.timedelta(hours=5)},
        {"id": None, "amount": 7.25, "label": None, "created": base + dt.timedelta(days=1)},
        {"id": 4, "amount": float("inf"), "label": "x", "created": None},
        {"id": 4, "amount": -3.0, "label": "日本語テキスト",
         "created": base + dt.timedelta(days=2)},
    ]


class TestProfileTable:
    def test_matches_pandas_on_a_mixed_table(self, warehouse: WarehouseUnderTest) -> None:
        rows = sample_rows()
        create(warehouse, "mixed", KINDS, rows)
        table = warehouse.table_config("mixed", timestamp_column="created")

        profile = profile_table(warehouse.warehouse(), table, distinct="exact")

        assert_matches(profile.to_dict(), oracle(rows, KINDS, capabilities_for(warehouse.kind)))

    def test_empty_table_has_zero_rows_and_no_rates(self, warehouse: WarehouseUnderTest) -> None:
        create(warehouse, "empty", KINDS, [])
        table = warehouse.table_config("empty", timestamp_column="created")

        result = profile_table(warehouse.warehouse(), table, distinct="exact").to_dict()

        assert result["row_count"] == 0
        assert result["columns"]["amount"]["null_rate"] is None
        assert result["columns"]["amount"]["mean"] is None
        assert result["freshness_seconds"] is None

    def test_all_null_column(self, warehouse: WarehouseUnderTest) -> None:
        rows = [{"id": i, "amount": None, "label": None, "created": None} for i in range(4)]
        create(warehouse, "nulls", KINDS, rows)

        result = profile_table(warehouse.warehouse(), warehouse.table_config("nulls"),
                               distinct="exact").to_dict()

        amount = result["columns"]["amount"]
        assert (amount["null_count"], amount["null_rate"], amount["distinct_count"]) == (4, 1.0, 0)
        assert amount["min"] is None
        assert amount["stddev"] is None

    def test_freshness_is_as_of_minus_newest_timestamp(self, warehouse: WarehouseUnderTest
                                                       ) -> None:
        rows = sample_rows()
        create(warehouse, "fresh", KINDS, rows)
        table = warehouse.table_config("fresh", timestamp_column="created")
        as_of = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)

        result = profile_table(warehouse.warehouse(), table, as_of=as_of, distinct="exact")

        newest = dt.datetime(2026, 3, 3, 8, 30, tzinfo=dt.UTC)
        assert result.freshness_seconds == (as_of - newest).total_seconds()

    def test_as_of_profiles_only_rows_stamped_before_it(self, warehouse: WarehouseUnderTest
                                                        ) -> None:
        rows = sample_rows()
        create(warehouse, "asof", KINDS, rows)
        table = warehouse.table_config("asof", timestamp_column="created")

        result = profile_table(warehouse.warehouse(), table,
                               as_of=dt.datetime(2026, 3, 1, 23, tzinfo=dt.UTC), distinct="exact")

        # The first two rows, and those without a time (in the table at every time, as
        # runs count them).
        assert result.row_count == 2 + sum(r["created"] is None for r in rows)

    def test_as_of_without_filtering_only_stamps_the_profile(
            self, warehouse: WarehouseUnderTest) -> None:
        rows = sample_rows()
        create(warehouse, "stamp", KINDS, rows)
        table = warehouse.table_config("stamp", timestamp_column="created")
        as_of = dt.datetime(2026, 3, 1, 23, tzinfo=dt.UTC)

        result = profile_table(warehouse.warehouse(), table, as_of=as_of, filter_rows=False,
                               distinct="exact")

        newest = dt.datetime(2026, 3, 3, 8, 30, tzinfo=dt.UTC)
        assert result.row_count == len(rows)
        assert result.as_of == as_of
        assert result.freshness_seconds == (as_of - newest).total_seconds()

    def test_odd_identifiers_are_quoted(self, warehouse: WarehouseUnderTest) -> None:
        kinds = {'Weird "Col" ñame': "int", "select": "text", "MixedCase": "float"}
        rows = [{'Weird "Col" ñame': 1, "select": "a", "MixedCase": 1.0},
                {'Weird "Col" ñame': 2, "select": None, "MixedCase": 2.0}]
        # Spark's catalog takes only letters, digits and _ in table names (not columns).
        name = "Odd_Table_2" if warehouse.kind == "spark" else 'Table "with" spaces'
        create(warehouse, name, kinds, rows)

        profile = profile_table(warehouse.warehouse(), warehouse.table_config("odd", name),
                                distinct="exact")

        assert_matches(profile.to_dict(), oracle(rows, kinds, capabilities_for(warehouse.kind)))

    def test_injection_in_a_table_name_profiles_nothing(self, warehouse: WarehouseUnderTest
                                                        ) -> None:
        create(warehouse, "victim", {"id": "int"}, [{"id": 1}])
        evil = 'victim"; DROP TABLE victim; --'

        with pytest.raises(ObjectNotFound, match="does not exist"):
            profile_table(warehouse.warehouse(), warehouse.table_config("evil", evil))

        assert warehouse.execute(f"SELECT count(*) FROM {_qualified(warehouse, 'victim')}") == [
            (1,)]

    def test_missing_table_names_it(self, warehouse: WarehouseUnderTest) -> None:
        with pytest.raises(ObjectNotFound, match="nope"):
            profile_table(warehouse.warehouse(), warehouse.table_config("nope"))

    def test_a_distribution_column_that_does_not_exist_is_reported(
            self, warehouse: WarehouseUnderTest) -> None:
        create(warehouse, "typed", {"id": "int", "label": "text"}, [{"id": 1, "label": "a"}])
        table = warehouse.table_config("typed", distribution_columns=["id", "amont"])

        with pytest.raises(ObjectNotFound, match=r"table 'typed': distribution_columns\[1\]: "
                                                 r"column 'amont' does not exist in table "
                                                 r"'(\w+\.)?typed' \(columns: id, label\)"):
            profile_table(warehouse.warehouse(), table)

    def test_timestamp_column_of_wrong_type_is_a_config_error(
            self, warehouse: WarehouseUnderTest) -> None:
        create(warehouse, "typed", {"id": "int", "label": "text"}, [{"id": 1, "label": "a"}])
        table = warehouse.table_config("typed", timestamp_column="id")

        with pytest.raises(ConfigError, match="timestamp_column 'id'"):
            profile_table(warehouse.warehouse(), table)

    @settings(max_examples=15, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(data=st.data())
    def test_generated_tables_match_pandas(self, warehouse: WarehouseUnderTest,
                                           data: st.DataObject) -> None:
        if warehouse.kind == "spark":
            pytest.skip("15 generated tables take a minute on Spark; the fixed tables of "
                        "this class (odd names, NaN, infinity, unicode, empty, all-null) run")
        rows = data.draw(st.lists(generated_row(), min_size=0, max_size=12))
        create(warehouse, "generated", GEN_KINDS, rows)

        profile = profile_table(warehouse.warehouse(),
                                warehouse.table_config("generated"), distinct="exact")

        assert_matches(profile.to_dict(), oracle(rows, GEN_KINDS,
                                                 capabilities_for(warehouse.kind)))


class TestStatementsPerProfile:
    """How many statements a profile sends: held here so that later work cannot add
    scans unnoticed (reflection and planner statistics are catalog reads)."""

    @pytest.fixture
    def orders(self, wh: WarehouseUnderTest) -> WarehouseUnderTest:
        base = dt.datetime(2026, 4, 1)
        rows = [{"id": i, "amount": float(i % 7), "label": f"r{i % 9}",
                 "created": base + dt.timedelta(hours=5 * i)} for i in range(40)]
        create(wh, "orders", KINDS, rows)
        if wh.kind == "postgresql":
            wh.execute(f"ANALYZE {_qualified(wh, 'orders')}")
        return wh

    @pytest.mark.parametrize("distinct", ["exact", "auto", "off"])
    def test_a_table_is_profiled_in_one_statement(self, orders: WarehouseUnderTest,
                                                  distinct: str) -> None:
        warehouse = orders.warehouse()
        table = orders.table_config("orders", timestamp_column="created")

        with record_statements(warehouse.engine) as log:
            profile_table(warehouse, table, distinct=distinct)  # type: ignore[arg-type]

        # PostgreSQL's auto mode reads pg_stats (a catalog lookup) besides reflecting.
        catalog = 2 if orders.kind == "postgresql" and distinct == "auto" else 1
        assert log.summary() == {"catalog": catalog, "session": 0, "scan": 1}, log.statements

    def test_a_bucketed_history_is_one_grouped_statement(self, orders: WarehouseUnderTest
                                                         ) -> None:
        warehouse = orders.warehouse()
        table = orders.table_config("orders", timestamp_column="created", bucket="day",
                                    distribution_columns=["label"])

        with record_statements(warehouse.engine) as log:
            buckets = profile_buckets(warehouse, table, distinct="exact")

        assert len(buckets) == 9
        # The grouped scan, and the top values of the distribution column ``label``.
        assert log.summary() == {"catalog": 1, "session": 0, "scan": 2}, log.statements

    def test_a_short_range_is_one_statement_per_bucket(self, orders: WarehouseUnderTest
                                                       ) -> None:
        warehouse = orders.warehouse()
        table = orders.table_config("orders", timestamp_column="created", bucket="day")

        with record_statements(warehouse.engine) as log:
            buckets = profile_buckets(warehouse, table, distinct="exact",
                                      start=dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
                                      end=dt.datetime(2026, 4, 5, tzinfo=dt.UTC))

        assert [b.start.day for b in buckets] == [2, 3, 4]
        assert log.summary() == {"catalog": 1, "session": 0, "scan": 3}, log.statements

    def test_states_for_a_suite_ride_in_the_same_statement(self, orders: WarehouseUnderTest
                                                          ) -> None:
        from monitor.metrics.scan import Needs
        from monitor.metrics.states import State

        warehouse = orders.warehouse()
        table = orders.table_config("orders", timestamp_column="created")
        needs = Needs((State("rows"), State("distinct", "label"), State("sum", "amount")))

        with record_statements(warehouse.engine) as log:
            profile = profile_table(warehouse, table, distinct="auto", needs=needs)

        assert log.count("scan") == 1, log.statements
        labels = {r[0] for r in orders.execute("SELECT label FROM "
                                                     f"{_qualified(orders, 'orders')}")}
        assert profile.shared[State("distinct", "label")] == len(labels - {None})
        assert profile.shared[State("rows")] == profile.row_count
        assert set(profile.shared) == set(needs.states)

    def test_a_table_level_scan_counts_rows_without_a_timestamp(
            self, orders: WarehouseUnderTest) -> None:
        from monitor.metrics.profile import null_timestamps_state, scan_states
        from monitor.metrics.scan import Needs
        from monitor.metrics.states import State

        orders.execute(f"INSERT INTO {_qualified(orders, 'orders')} (id) VALUES (998), (999)")
        warehouse = orders.warehouse()
        table = orders.table_config("orders", timestamp_column="created", bucket="day")
        shape = warehouse.describe("orders", orders.schema)
        nulls = null_timestamps_state(warehouse, table, shape)

        with record_statements(warehouse.engine) as log:
            values = scan_states(warehouse, shape, table, Needs((State("rows"),)) + nulls)

        assert log.count() == 1
        assert values[nulls.states[0]] == count_null_timestamps(warehouse, table, shape) == 2
        assert values[State("rows")] == len(orders.execute(
            f"SELECT 1 FROM {_qualified(orders, 'orders')}"))


GEN_KINDS = {"n": "int", "x": "float", "s": "text", "t": "ts"}


def generated_row() -> st.SearchStrategy[dict[str, Any]]:
    floats = st.one_of(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
                       st.sampled_from([float("inf"), float("-inf"), float("nan")]))
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                          blacklist_characters="\x00"), max_size=20)
    times = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1))
    return st.fixed_dictionaries({
        "n": st.none() | st.integers(min_value=-(2**53), max_value=2**53),
        "x": st.none() | floats,
        "s": st.none() | text,
        "t": st.none() | times.map(lambda t: t.replace(microsecond=0)),
    })


def _qualified(wh: WarehouseUnderTest, table: str) -> str:
    return wh.qualified(table)


class TestProfileBuckets:
    def test_each_day_matches_pandas_groupby(self, warehouse: WarehouseUnderTest) -> None:
        base = dt.datetime(2026, 4, 1)
        rows = [{"id": i, "amount": float(i % 7) if i % 5 else None, "label": f"r{i}",
                 "created": base + dt.timedelta(hours=5 * i)} for i in range(40)]
        create(warehouse, "daily", KINDS, rows)
        table = warehouse.table_config("daily", timestamp_column="created", bucket="day")

        buckets = profile_buckets(warehouse.warehouse(), table, distinct="exact")

        frame = pd.DataFrame(rows)
        frame["day"] = frame["created"].dt.floor("D")
        expected = frame.groupby("day").agg(rows=("id", "size"),
                                            nulls=("amount", lambda s: int(s.isna().sum())),
                                            mean=("amount", "mean"))
        assert [b.start.replace(tzinfo=None) for b in buckets] == list(expected.index)
        assert [b.row_count for b in buckets] == list(expected["rows"])
        assert [b.columns["amount"]["null_count"] for b in buckets] == list(expected["nulls"])
        assert [b.columns["amount"]["mean"] for b in buckets] == pytest.approx(
            list(expected["mean"]))

    def test_distinct_counts_only_for_chosen_columns(self, warehouse: WarehouseUnderTest
                                                     ) -> None:
        base = dt.datetime(2026, 4, 1)
        rows = [{"id": i, "amount": float(i % 3), "label": f"l{i % (5 + i // 10)}",
                 "created": base + dt.timedelta(hours=6 * i)} for i in range(40)]
        create(warehouse, "chosen", KINDS, rows)
        table = warehouse.table_config("chosen", timestamp_column="created", bucket="day",
                                       distribution_columns=["label"])

        buckets = profile_buckets(warehouse.warehouse(), table, distinct="exact")

        frame = pd.DataFrame(rows)
        expected = frame.groupby(frame["created"].dt.floor("D"))["label"].nunique()
        assert [b.columns["label"]["distinct_count"] for b in buckets] == list(expected)
        assert all("distinct_count" not in b.columns["amount"] for b in buckets)

    def test_range_limits_the_buckets(self, warehouse: WarehouseUnderTest) -> None:
        base = dt.datetime(2026, 4, 1)
        rows = [{"id": i, "amount": 1.0, "label": "a", "created": base + dt.timedelta(hours=6 * i)}
                for i in range(20)]
        create(warehouse, "ranged", KINDS, rows)
        table = warehouse.table_config("ranged", timestamp_column="created", bucket="day")

        buckets = profile_buckets(warehouse.warehouse(), table,
                                  start=dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
                                  end=dt.datetime(2026, 4, 4, tzinfo=dt.UTC))

        assert [b.start.day for b in buckets] == [2, 3]
        assert [b.row_count for b in buckets] == [4, 4]

    def test_hour_buckets_and_load_delay(self, warehouse: WarehouseUnderTest) -> None:
        base = dt.datetime(2026, 4, 1, 10)
        rows = [{"id": i, "created": base + dt.timedelta(minutes=20 * i),
                 "loaded": base + dt.timedelta(hours=2)} for i in range(6)]
        warehouse.create_table("hourly", {"id": sa.Integer(), "created": sa.DateTime(),
                                          "loaded": sa.DateTime()}, rows)
        table = warehouse.table_config("hourly", timestamp_column="created",
                                       loaded_at_column="loaded", bucket="hour")

        buckets = profile_buckets(warehouse.warehouse(), table)

        assert [b.row_count for b in buckets] == [3, 3]
        assert [b.arrival_delay_seconds for b in buckets] == [3600.0, 0.0]

    def test_needs_a_bucket_in_the_config(self, warehouse: WarehouseUnderTest) -> None:
        with pytest.raises(ConfigError, match="bucket"):
            profile_buckets(warehouse.warehouse(), warehouse.table_config("x"))


class TestResolveDistinct:
    @pytest.mark.parametrize(("kind", "mode", "filtered", "expected"), [
        ("duckdb", "auto", False, "approx"),
        ("sqlite", "auto", False, "exact"),
        ("postgresql", "auto", False, "catalog"),
        ("postgresql", "auto", True, "exact"),
        ("duckdb", "exact", False, "exact"),
        ("duckdb", "off", False, "off"),
    ])
    def test_method_per_dialect(self, kind: str, mode: str, filtered: bool,
                                expected: str) -> None:
        urls = {"duckdb": "duckdb:///:memory:", "sqlite": "sqlite:///:memory:",
                "postgresql": "postgresql+psycopg://u@h/db"}
        from monitor.config.models import WarehouseConfig
        from monitor.warehouse import SqlWarehouse

        wh = SqlWarehouse("w", WarehouseConfig(url=urls[kind]))

        assert resolve_distinct(mode, wh, filtered=filtered) == expected  # type: ignore[arg-type]


class TestWithEmptyBuckets:
    def test_days_without_rows_count_zero(self) -> None:
        from monitor.metrics.profile import BucketProfile, with_empty_buckets

        day = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
        found = [BucketProfile(start=day, granularity="day", row_count=5),
                 BucketProfile(start=day + dt.timedelta(days=3), granularity="day", row_count=7)]

        filled = with_empty_buckets(found, granularity="day", start=None,
                                    end=day + dt.timedelta(days=5))

        assert [(b.start.day, b.row_count) for b in filled] == [(1, 5), (2, 0), (3, 0), (4, 7),
                                                                (5, 0)]

    def test_range_start_is_filled_and_open_bucket_kept(self) -> None:
        from monitor.metrics.profile import BucketProfile, with_empty_buckets

        hour = dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC)
        found = [BucketProfile(start=hour + dt.timedelta(hours=2), granularity="hour",
                               row_count=1)]

        filled = with_empty_buckets(found, granularity="hour", start=hour,
                                    end=hour + dt.timedelta(hours=2, minutes=30))

        assert [(b.start.hour, b.row_count) for b in filled] == [(10, 0), (11, 0), (12, 1)]
