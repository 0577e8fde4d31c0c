"""Aggregate states evaluated on a real engine, against hand computations."""

from __future__ import annotations

import math

import pytest
import sqlalchemy as sa

from monitor.dialects import capabilities_for
from monitor.metrics.states import State, build, canonical
from tests.helpers.warehouses import WarehouseUnderTest

VALUES = [1e9 + 1.0, 1e9 + 2.0, 1e9 + 3.0, None, 1e9 + 4.0]


@pytest.fixture
def engine_and_table() -> tuple[sa.Engine, sa.Table]:
    engine = sa.create_engine("sqlite://")
    table = sa.Table("t", sa.MetaData(), sa.Column("x", sa.Double))
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"x": v} for v in VALUES])
    return engine, table


class TestBuild:
    def test_shifted_sums_keep_precision_on_large_offsets(
            self, engine_and_table: tuple[sa.Engine, sa.Table]) -> None:
        engine, table = engine_and_table
        caps = capabilities_for("sqlite")
        states = [State("finite_count", "x"), State("shifted_sum", "x"),
                  State("shifted_sumsq", "x")]
        select = sa.select(*(build(s, table, {"x": "float"}, caps) for s in states))

        with engine.connect() as conn:
            n, s1, s2 = conn.execute(select).one()

        variance = (s2 - s1 * s1 / n) / (n - 1)
        assert n == 4
        assert math.sqrt(variance) == pytest.approx(1.2909944487358056, rel=1e-12)

    def test_postgresql_counts_distinct_text_by_bytes(self, pg_warehouse: WarehouseUnderTest
                                                      ) -> None:
        values = ["a", "A", "a ", "\u00e1", "a\u0301", "\u00e1", "", None, "Z", "z"]
        table = pg_warehouse.create_table("texts", {"x": sa.Text()},
                                          [{"x": v} for v in values])
        caps = capabilities_for("postgresql")
        expr = build(State("distinct", "x"), table, {"x": "string"}, caps)

        with pg_warehouse.engine.connect() as conn:
            count = conn.execute(sa.select(expr)).scalar()

        assert 'COLLATE "C"' in str(expr.compile(pg_warehouse.engine))
        assert count == len({v for v in values if v is not None})

    def test_unknown_state_is_a_bug(self, engine_and_table: tuple[sa.Engine, sa.Table]) -> None:
        _, table = engine_and_table

        with pytest.raises(AssertionError, match="unknown state"):
            build(State("median", "x"), table, {"x": "float"}, capabilities_for("sqlite"))  # type: ignore[arg-type]


class TestCanonical:
    @pytest.mark.parametrize("kind", ["integer", "decimal"])
    def test_raw_states_of_exact_numbers_are_the_profiles(self, kind: str) -> None:
        kinds = {"x": kind}

        assert [canonical(State(k, "x"), kinds) for k in (  # type: ignore[arg-type]
            "raw_min", "raw_mean", "raw_shifted_sumsq", "finite_count", "sum")] == [
            State("min", "x"), State("mean", "x"), State("shifted_sumsq", "x"),
            State("non_null", "x"), State("sum", "x")]

    @pytest.mark.parametrize("kind", ["float", "timestamp", "string"])
    def test_other_columns_keep_their_raw_states(self, kind: str) -> None:
        assert canonical(State("raw_max", "x"), {"x": kind}) == State("raw_max", "x")


class TestRawStates:
    def test_a_float_column_as_it_is_keeps_its_infinities(self) -> None:
        engine = sa.create_engine("sqlite://")
        table = sa.Table("t", sa.MetaData(), sa.Column("x", sa.Double))
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), [{"x": v} for v in (1.0, 2.0, math.inf, None)])
        caps = capabilities_for("sqlite")
        states = [State("max", "x"), State("raw_max", "x"), State("sum", "x"),
                  State("raw_shifted_sum", "x")]
        select = sa.select(*(build(s, table, {"x": "float"}, caps) for s in states))

        with engine.connect() as conn:
            finite_max, raw_max, total, shifted = conn.execute(select).one()

        assert (finite_max, raw_max, total, shifted) == (2.0, math.inf, math.inf, math.inf)
