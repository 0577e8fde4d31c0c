"""The SQL pushdown evaluator, checked against GX itself (SQLite, PostgreSQL) and pandas."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.validation.outcomes import ExpectationOutcome
from monitor.validation.pushdown import PushdownValidator, plan_expectations
from monitor.validation.pushdown_rules import NATIVE_KWARGS, supports
from monitor.validation.suite_runner import evaluate_expectations
from monitor.validation.suites import ExpectationSpec
from monitor.warehouse import SqlWarehouse, TableShape
from tests.helpers.gate import FACT_TYPES, fact_rows, pg_warehouse_under_test, spec
from tests.helpers.warehouses import WarehouseUnderTest, duckdb_warehouse, sqlite_warehouse

ROWS = fact_rows()
FRAME = pd.DataFrame(ROWS)

# Every native type, passing and failing variants, with mostly and strict bounds.
CASES: list[ExpectationSpec] = [
    spec("column_values_to_not_be_null", column="amount"),
    spec("column_values_to_not_be_null", column="amount", mostly=0.8),
    spec("column_values_to_not_be_null", column="id"),
    spec("column_values_to_be_null", column="code"),
    spec("column_values_to_be_null", column="code", mostly=0.1),
    spec("column_values_to_be_between", column="amount", min_value=0, max_value=100),
    spec("column_values_to_be_between", column="amount", min_value=0, max_value=100,
         mostly=0.9),
    spec("column_values_to_be_between", column="amount", min_value=-1000),
    spec("column_values_to_be_between", column="qty", min_value=0, max_value=11,
         strict_min=True, strict_max=True),
    spec("column_values_to_be_between", column="qty", max_value=5.5),
    spec("column_values_to_be_in_set", column="status", value_set=["a", "b", "c"]),
    spec("column_values_to_be_in_set", column="status", value_set=["a", "b", "c"],
         mostly=0.5),
    spec("column_values_to_be_in_set", column="qty", value_set=[1, 2, 3]),
    spec("column_values_to_not_be_in_set", column="status", value_set=["x"]),
    spec("column_values_to_not_be_in_set", column="status", value_set=["d", "a"]),
    spec("column_values_to_match_regex", column="code", regex="^A[0-9]+$"),
    spec("column_values_to_not_match_regex", column="code", regex="Z$"),
    spec("column_value_lengths_to_be_between", column="code", min_value=2, max_value=3),
    spec("column_value_lengths_to_equal", column="code", value=3),
    spec("column_values_to_be_unique", column="id"),
    spec("column_values_to_be_unique", column="grp"),
    spec("column_values_to_be_unique", column="grp", mostly=0.0),
    spec("column_min_to_be_between", column="amount", min_value=-100, max_value=0),
    spec("column_max_to_be_between", column="qty", min_value=0, max_value=10),
    spec("column_mean_to_be_between", column="amount", min_value=40, max_value=60),
    spec("column_stdev_to_be_between", column="amount", min_value=0, max_value=20),
    spec("column_sum_to_be_between", column="qty", min_value=0, strict_min=True),
    spec("column_unique_value_count_to_be_between", column="grp", min_value=30,
         max_value=40),
    spec("column_proportion_of_unique_values_to_be_between", column="grp", max_value=0.5),
    spec("column_proportion_of_non_null_values_to_be_between", column="amount",
         min_value=0.95),
    spec("table_row_count_to_be_between", min_value=100, max_value=300),
    spec("table_row_count_to_be_between", max_value=200, strict_max=True),
    spec("table_row_count_to_equal", value=len(ROWS)),
]
CASES = [ExpectationSpec(**{**s.__dict__, "index": i}) for i, s in enumerate(CASES)]


def _warehouse(kind: str, tmp: Path) -> Iterator[WarehouseUnderTest]:
    if kind == "postgresql":
        with pg_warehouse_under_test() as wh:
            yield wh
        return
    wh = sqlite_warehouse(tmp) if kind == "sqlite" else duckdb_warehouse(tmp)
    yield wh
    wh.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "duckdb"])
def facts(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[SqlWarehouse, TableShape, dict[int, ExpectationOutcome]]]:
    """The facts table on one dialect, and our outcomes for every case."""
    gen = _warehouse(request.param, tmp_path_factory.mktemp(request.param))
    wh = next(gen)
    wh.create_table("facts", FACT_TYPES, ROWS)
    warehouse = wh.warehouse()
    shape = warehouse.describe("facts", wh.schema)
    caps = warehouse.capabilities
    native = [s for s in CASES if supports(s, shape.column(s.column).kind if s.column
                                           else None, caps)]
    outcomes = PushdownValidator().evaluate(warehouse, shape, native)
    yield warehouse, shape, {o.expectation.index: o for o in outcomes}
    warehouse.engine.dispose()
    next(gen, None)


@pytest.fixture(scope="module")
def gx_results(facts: tuple[SqlWarehouse, TableShape, dict[int, ExpectationOutcome]]
               ) -> dict[int, ExpectationOutcome]:
    """GX's own results for every case, on the same table (the oracle)."""
    warehouse, shape, _ = facts
    if warehouse.capabilities.name == "duckdb":
        pytest.skip("GX cannot validate DuckDB tables; pandas is the oracle there")
    from monitor.validation.gx import GxValidator

    results = GxValidator().evaluate(warehouse, shape, CASES)
    return {o.expectation.index: o for o in results}


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return a == b


class TestAgainstGx:
    @pytest.mark.parametrize("case", CASES, ids=lambda s: f"{s.index}-{s.label}")
    def test_same_result_as_gx(self, facts, gx_results, case: ExpectationSpec) -> None:
        _, _, ours = facts
        if case.index not in ours:
            pytest.skip(f"{case.type} is left to GX on this dialect")
        theirs = gx_results[case.index]
        mine = ours[case.index]

        assert theirs.error is None, theirs.error
        assert mine.success == theirs.success
        assert _close(mine.observed_value, theirs.observed_value)
        assert mine.unexpected_count == theirs.unexpected_count
        if theirs.unexpected_percent is None:
            assert mine.unexpected_percent is None
        else:
            assert mine.unexpected_percent == pytest.approx(theirs.unexpected_percent)
        assert mine.element_count == theirs.element_count


def _pandas_unexpected(case: ExpectationSpec) -> tuple[int, int]:
    """(unexpected rows, rows considered) for a map expectation, in pandas."""
    kw = case.kwargs
    col = FRAME[kw["column"]]
    present = col[col.notna()]
    match case.type.removeprefix("expect_column_"):
        case "values_to_not_be_null":
            return int(col.isna().sum()), len(col)
        case "values_to_be_null":
            return int(col.notna().sum()), len(col)
        case "values_to_be_between":
            ok = pd.Series(True, index=present.index)
            if kw.get("min_value") is not None:
                ok &= (present > kw["min_value"]) if kw.get("strict_min") else (
                    present >= kw["min_value"])
            if kw.get("max_value") is not None:
                ok &= (present < kw["max_value"]) if kw.get("strict_max") else (
                    present <= kw["max_value"])
            return int((~ok).sum()), len(present)
        case "values_to_be_in_set":
            return int((~present.isin(kw["value_set"])).sum()), len(present)
        case "values_to_not_be_in_set":
            return int(present.isin(kw["value_set"]).sum()), len(present)
        case "values_to_match_regex":
            return int((~present.map(lambda v: bool(re.search(kw["regex"], v)))).sum()), len(
                present)
        case "values_to_not_match_regex":
            return int(present.map(lambda v: bool(re.search(kw["regex"], v))).sum()), len(
                present)
        case "value_lengths_to_be_between":
            lengths = present.str.len()
            return int(((lengths < kw["min_value"]) | (lengths > kw["max_value"])).sum()), len(
                present)
        case "value_lengths_to_equal":
            return int((present.str.len() != kw["value"]).sum()), len(present)
        case "values_to_be_unique":
            return int(present.duplicated(keep=False).sum()), len(present)
    raise AssertionError(case.type)


def _pandas_observed(case: ExpectationSpec) -> Any:
    kw = case.kwargs
    if case.type.startswith("expect_table_row_count"):
        return len(FRAME)
    col = FRAME[kw["column"]]
    return {"min": col.min(), "max": col.max(), "mean": col.mean(), "stdev": col.std(ddof=1),
            "sum": col.sum(), "unique_value_count": col.nunique(),
            "proportion_of_unique_values": col.nunique() / col.notna().sum(),
            "proportion_of_non_null_values": col.notna().mean(),
            }[case.type.removeprefix("expect_column_").rsplit("_to_", 1)[0]]


class TestAgainstPandas:
    @pytest.mark.parametrize("case", CASES, ids=lambda s: f"{s.index}-{s.label}")
    def test_counts_and_values_match_pandas(self, facts, case: ExpectationSpec) -> None:
        _, _, ours = facts
        if case.index not in ours:
            pytest.skip(f"{case.type} is left to GX on this dialect")
        mine = ours[case.index]

        if mine.unexpected_count is not None:
            bad, considered = _pandas_unexpected(case)
            assert mine.unexpected_count == bad
            assert mine.unexpected_percent == pytest.approx(bad / considered * 100)
            assert mine.success == ((considered - bad) / considered >= case.kwargs.get(
                "mostly", 1))
        else:
            assert _close(mine.observed_value, _pandas_observed(case))


class TestCoverage:
    def test_every_native_type_has_a_case(self) -> None:
        assert {c.type for c in CASES} == set(NATIVE_KWARGS)


class TestPushdownValidator:
    def test_one_statement_plus_one_per_column_with_duplicates(self, facts,
                                                              monkeypatch) -> None:
        warehouse, shape, _ = facts
        calls = []
        original = warehouse.execute
        monkeypatch.setattr(warehouse, "execute",
                            lambda *a, **k: calls.append(1) or original(*a, **k))
        cases = [c for c in CASES if supports(
            c, shape.column(c.column).kind if c.column else None, warehouse.capabilities)]

        PushdownValidator().evaluate(warehouse, shape, cases)
        PushdownValidator().evaluate(warehouse, shape, [
            c for c in cases if c.type != "expect_column_values_to_be_unique"
            or c.kwargs["column"] == "id"])

        assert len(calls) == 3  # grp has duplicates: they are counted in a second query

    def test_samples_failing_values_but_never_for_excluded_columns(self, facts) -> None:
        warehouse, shape, _ = facts
        between = spec("column_values_to_be_between", column="amount", min_value=0,
                       max_value=100)
        in_set = spec("column_values_to_be_in_set", column="status", value_set=["a"], index=1)

        out = PushdownValidator().evaluate(warehouse, shape, [between, in_set], samples=3,
                                           no_samples={"status"})

        assert 0 < len(out[0].unexpected_values) <= 3
        assert all(v < 0 or v > 100 for v in out[0].unexpected_values)
        assert out[1].unexpected_values == ()
        assert not out[1].success

    def test_a_bad_argument_fails_only_its_expectation(self, facts) -> None:
        warehouse, shape, _ = facts
        if not warehouse.capabilities.has_regex:
            pytest.skip("regexes are left to GX here")
        bad = spec("column_values_to_match_regex", column="code", regex="([")
        good = spec("column_values_to_not_be_null", column="id", index=1)

        out = PushdownValidator().evaluate(warehouse, shape, [bad, good])

        assert not out[0].success
        assert out[0].error
        assert out[1].success
        assert out[1].error is None

    def test_a_single_bad_expectation_is_a_failed_value(self, facts) -> None:
        warehouse, shape, _ = facts
        if not warehouse.capabilities.has_regex:
            pytest.skip("regexes are left to GX here")

        [out] = PushdownValidator().evaluate(
            warehouse, shape, [spec("column_values_to_match_regex", column="code",
                                    regex="([")])

        assert not out.success
        assert out.engine == "sql"
        assert "expectations on" in out.error

    def test_judges_from_a_profile_scan_as_from_its_own(self, facts) -> None:
        # Arrange: the states of every case, computed by a profile's scan
        from monitor.config.models import TableConfig
        from monitor.metrics.profile import profile_table
        from tests.helpers.statements import record_statements

        warehouse, shape, ours = facts
        caps = warehouse.capabilities
        native = [c for c in CASES if supports(
            c, shape.column(c.column).kind if c.column else None, caps)]
        table = TableConfig(name="facts", warehouse=warehouse.name, table="facts",
                            schema=shape.schema)
        profile = profile_table(warehouse, table, shape=shape,
                                needs=plan_expectations(shape, native, caps))

        # Act
        with record_statements(warehouse.engine) as log:
            out = PushdownValidator(profile.shared).evaluate(warehouse, shape, native)

        # Assert: the outcomes checked against GX, and only the duplicates counted
        assert out == [ours[c.index] for c in native]
        assert log.count("scan") == 1, log.statements  # grp has duplicates to count


class TestPlanExpectations:
    def test_shares_one_state_between_expectations_and_with_a_profile(self) -> None:
        from monitor.dialects import capabilities_for
        from monitor.metrics.states import State
        from monitor.warehouse import ColumnInfo

        table = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer),
                         sa.Column("x", sa.Double))
        shape = TableShape(None, "t", table, (ColumnInfo("n", "INTEGER", "integer"),
                                              ColumnInfo("x", "DOUBLE", "float")))
        specs = [spec("column_values_to_not_be_null", column="n"),
                 spec("column_proportion_of_non_null_values_to_be_between", column="n",
                      min_value=0.5),
                 spec("column_values_to_be_unique", column="n"),
                 spec("column_unique_value_count_to_be_between", column="n", min_value=1),
                 spec("column_min_to_be_between", column="x", min_value=0)]

        needs = plan_expectations(shape, specs, capabilities_for("postgresql"))

        # null rate and not_be_null read the profile's count(n); both distinct checks its
        # exact distinct count; a float's min is the raw column's, as GX reads it.
        assert needs.states == (State("rows"), State("non_null", "n"), State("distinct", "n"),
                                State("non_null", "x"), State("raw_min", "x"))
        assert needs.custom == {}

    def test_a_row_condition_is_a_state_of_its_own(self) -> None:
        from monitor.dialects import capabilities_for
        from monitor.warehouse import ColumnInfo

        table = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer))
        shape = TableShape(None, "t", table, (ColumnInfo("n", "INTEGER", "integer"),))
        between = spec("column_values_to_be_between", column="n", min_value=0)

        needs = plan_expectations(shape, [between, between], capabilities_for("sqlite"))

        [condition] = needs.custom
        assert (condition.kind, condition.column, condition.key) == (
            "count_where", "n", between.key)
        assert len(needs.states) == 3  # rows, count(n), the condition


# Times of day across January 2024, some null; dates of the same days.
TIMES = [None if i % 9 == 0 else dt.datetime(2024, 1, 1, 6) + dt.timedelta(hours=7 * i)
         for i in range(100)]
TIME_ROWS = [{"at": t, "day": None if t is None else t.date()} for t in TIMES]
TIME_FRAME = pd.DataFrame({"at": pd.Series(TIMES, dtype="datetime64[ns]"),
                           "day": pd.Series([r["day"] for r in TIME_ROWS], dtype="object")})
# Bounds as people write them in suite files: date and date-time strings.
TIME_CASES = [
    spec("column_values_to_be_between", column="at", min_value="2024-01-05",
         max_value="2024-01-25"),
    spec("column_values_to_be_between", column="at", min_value="2024-01-05T13:00:00",
         strict_min=True, mostly=0.8),
    spec("column_values_to_be_between", column="at", max_value="2024-01-31"),
    spec("column_values_to_be_between", column="day", min_value="2024-01-10",
         max_value="2024-01-20", strict_max=True),
    spec("column_values_to_be_between", column="day", min_value="2023-12-01"),
]
TIME_CASES = [ExpectationSpec(**{**s.__dict__, "index": i}) for i, s in enumerate(TIME_CASES)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "duckdb"])
def times(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[SqlWarehouse, TableShape]]:
    gen = _warehouse(request.param, tmp_path_factory.mktemp(f"t{request.param}"))
    wh = next(gen)
    wh.create_table("times", {"at": sa.DateTime(), "day": sa.Date()}, TIME_ROWS)
    warehouse = wh.warehouse()
    yield warehouse, warehouse.describe("times", wh.schema)
    warehouse.engine.dispose()
    next(gen, None)


def _pandas_time_unexpected(case: ExpectationSpec) -> int:
    kw = case.kwargs
    col = TIME_FRAME[kw["column"]].dropna()
    if kw["column"] == "at":
        low, high = (None if kw.get(k) is None else pd.Timestamp(kw[k])
                     for k in ("min_value", "max_value"))
    else:
        low, high = (None if kw.get(k) is None else dt.date.fromisoformat(kw[k])
                     for k in ("min_value", "max_value"))
    ok = pd.Series(True, index=col.index)
    if low is not None:
        ok &= (col > low) if kw.get("strict_min") else (col >= low)
    if high is not None:
        ok &= (col < high) if kw.get("strict_max") else (col <= high)
    return int((~ok).sum())


class TestDateBounds:
    def test_are_evaluated_in_sql_with_the_counts_of_pandas(self, times) -> None:
        warehouse, shape = times

        out = evaluate_expectations(warehouse, shape, TIME_CASES)

        assert [o.engine for o in out] == ["sql"] * len(TIME_CASES)
        assert [o.unexpected_count for o in out] == [_pandas_time_unexpected(c)
                                                    for c in TIME_CASES]
        assert all(o.error is None for o in out)

    def test_same_results_as_gx(self, times) -> None:
        warehouse, shape = times
        if warehouse.capabilities.name == "duckdb":
            pytest.skip("GX cannot validate DuckDB tables; pandas is the oracle there")

        ours = evaluate_expectations(warehouse, shape, TIME_CASES)
        theirs = evaluate_expectations(warehouse, shape, TIME_CASES, engine="gx")

        assert [o.engine for o in theirs] == ["gx"] * len(TIME_CASES)
        assert [(o.success, o.unexpected_count, o.element_count) for o in ours] == [
            (o.success, o.unexpected_count, o.element_count) for o in theirs]
        assert [o.unexpected_percent for o in ours] == pytest.approx(
            [o.unexpected_percent for o in theirs])
