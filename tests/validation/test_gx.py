"""The GX adapter: GX runs what pushdown does not, on SQLite and PostgreSQL; DuckDB says why not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.config.models import WarehouseConfig
from monitor.errors import WarehouseUnavailable
from monitor.validation.gx import GxValidator, gx_context, gx_problems, gx_url
from monitor.validation.suites import load_suite
from monitor.warehouse import ColumnInfo, SqlWarehouse, TableShape
from tests.helpers.gate import pg_warehouse_under_test, spec
from tests.helpers.postgres import base_url, require_postgres, temporary_schema
from tests.helpers.warehouses import WarehouseUnderTest, duckdb_warehouse, sqlite_warehouse

REPO = Path(__file__).resolve().parents[2]
ODD = {"Order Id": sa.BigInteger(), "Note": sa.String(30)}
ODD_ROWS = [{"Order Id": i, "Note": None if i % 4 == 0 else f"n{i}"} for i in range(1, 21)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def odd_table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[WarehouseUnderTest]:
    """A table whose name and columns need quoting: 'Order Lines'."""
    if request.param == "sqlite":
        wh = sqlite_warehouse(tmp_path_factory.mktemp("gx"))
        wh.create_table("Order Lines", ODD, ODD_ROWS)
        yield wh
        wh.dispose()
    else:
        with pg_warehouse_under_test() as wh:
            wh.create_table("Order Lines", ODD, ODD_ROWS)
            yield wh


class TestGxValidator:
    def test_validates_tables_and_columns_that_need_quoting(self, odd_table) -> None:
        warehouse = odd_table.warehouse()
        shape = warehouse.describe("Order Lines", odd_table.schema)
        cases = [spec("column_values_to_not_be_null", column="Note"),
                 spec("column_values_to_be_unique", column="Order Id", index=1)]

        out = GxValidator().evaluate(warehouse, shape, cases, samples=2)

        assert [o.engine for o in out] == ["gx", "gx"]
        assert out[0].error is None
        assert not out[0].success
        assert out[0].unexpected_count == sum(r["Note"] is None for r in ODD_ROWS)
        assert out[0].unexpected_values == ()  # nulls are no sample
        assert out[1].success
        assert out[1].unexpected_count == 0

    def test_an_expectation_gx_cannot_evaluate_is_a_failed_value(self, odd_table) -> None:
        warehouse = odd_table.warehouse()
        shape = warehouse.describe("Order Lines", odd_table.schema)
        inverted = spec("column_values_to_be_between", column="Order Id", min_value=10,
                        max_value=1)

        [out] = GxValidator().evaluate(warehouse, shape, [inverted])

        assert not out.success
        assert "min_value cannot be greater than max_value" in out.error

    def test_samples_only_failures_and_never_excluded_columns(self, odd_table) -> None:
        warehouse = odd_table.warehouse()
        shape = warehouse.describe("Order Lines", odd_table.schema)
        cases = [spec("column_values_to_be_in_set", column="Note", value_set=["n1"]),
                 spec("column_values_to_be_between", column="Order Id", max_value=15,
                      index=1)]

        out = GxValidator().evaluate(warehouse, shape, cases, samples=2,
                                     no_samples={"Note"})

        assert out[0].unexpected_values == ()
        assert len(out[1].unexpected_values) == 2
        assert all(v > 15 for v in out[1].unexpected_values)

    def test_no_progress_bars_on_stderr(self, odd_table, capfd) -> None:
        warehouse = odd_table.warehouse()
        shape = warehouse.describe("Order Lines", odd_table.schema)

        GxValidator().evaluate(warehouse, shape, [spec("column_values_to_not_be_null",
                                                       column="Note")])

        assert "Calculating Metrics" not in capfd.readouterr().err

    def test_a_table_gx_cannot_query_is_a_failed_value_not_an_exception(
            self, tmp_path: Path) -> None:
        wh = sqlite_warehouse(tmp_path)
        wh.create_table("t", {"a": sa.Integer()}, [{"a": 1}])
        warehouse = wh.warehouse()
        shape = warehouse.describe("t")
        wh.execute("DROP TABLE t")

        out = GxValidator().evaluate(warehouse, shape, [
            spec("column_values_to_not_be_null", column="a"),
            spec("column_median_to_be_between", column="a", min_value=0, index=1)])

        assert [o.success for o in out] == [False, False]
        assert all("no such table: t" in o.error for o in out)

    def test_a_warehouse_that_is_down_is_raised_for_the_retry(self) -> None:
        require_postgres()
        down = SqlWarehouse("down", WarehouseConfig(
            url="postgresql+psycopg://postgres@127.0.0.1:1/test", connect_timeout=2))
        table = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer()))
        shape = TableShape(None, "t", table, (ColumnInfo("a", "INTEGER", "integer"),))

        with pytest.raises(WarehouseUnavailable):
            GxValidator().evaluate(down, shape, [spec("column_median_to_be_between",
                                                      column="a", min_value=0)])

    def test_one_invalid_expectation_fails_alone_with_the_whole_message(
            self, odd_table) -> None:
        warehouse = odd_table.warehouse()
        shape = warehouse.describe("Order Lines", odd_table.schema)
        cases = [spec("column_values_to_be_in_set", column="Note", value_set=None),
                 spec("column_median_to_be_between", column="Order Id", min_value=0,
                      index=1),
                 spec("column_values_to_not_be_null", column="Order Id", mostly=2, index=2),
                 spec("column_values_to_not_be_null", column="Note", index=3)]

        out = GxValidator().evaluate(warehouse, shape, cases)

        assert [o.success for o in out] == [False, True, False, False]
        assert out[0].error == ("Great Expectations rejects its arguments: "
                                "ExpectColumnValuesToBeInSet: value_set: none is not an "
                                "allowed value")
        assert "validation error" not in out[2].error
        assert "mostly: ensure this value is less than or equal to 1" in out[2].error
        assert out[1].observed_value == 10.5  # median of 1..20
        assert out[3].error is None
        assert out[3].unexpected_count == sum(r["Note"] is None for r in ODD_ROWS)

    def test_two_quantile_expectations_on_one_column_both_judged(self, odd_table) -> None:
        warehouse = odd_table.warehouse()
        shape = warehouse.describe("Order Lines", odd_table.schema)
        cases = [spec("column_quantile_values_to_be_between", column="Order Id", index=i,
                      quantile_ranges={"quantiles": [q], "value_ranges": [[low, high]]})
                 for i, (q, low, high) in enumerate([(0.25, 4, 6), (0.75, 30, 40)])]

        out = GxValidator().evaluate(warehouse, shape, cases)

        assert [(o.success, o.error) for o in out] == [(True, None), (False, None)]

    def test_duckdb_gets_failed_outcomes_that_say_why(self, tmp_path: Path) -> None:
        wh = duckdb_warehouse(tmp_path)
        wh.create_table("t", {"a": sa.Integer()}, [{"a": 1}])
        warehouse = wh.warehouse()
        shape = warehouse.describe("t")

        [out] = GxValidator().evaluate(warehouse, shape, [
            spec("column_median_to_be_between", column="a", min_value=0)])

        assert not out.success
        assert "cannot validate DuckDB" in out.error
        assert "docs/suites.md" in out.error
        wh.dispose()


WEIRD = 'Weird Table "x"'


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def weird_table(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[WarehouseUnderTest]:
    """A table called ``Weird Table "x"`` (PostgreSQL: in a schema ``Odd Schema <hex>``)."""
    if request.param == "sqlite":
        wh = sqlite_warehouse(tmp_path_factory.mktemp("weird"))
        wh.create_table(WEIRD, ODD, ODD_ROWS)
        yield wh
        wh.dispose()
        return
    with temporary_schema("Odd Schema") as schema:
        wh = WarehouseUnderTest("postgresql", base_url(), schema=schema)
        wh.create_table(WEIRD, ODD, ODD_ROWS)
        yield wh
        wh.dispose()


class TestQuotedNames:
    def test_a_double_quote_in_the_table_name_and_a_mixed_case_schema(
            self, weird_table) -> None:
        warehouse = weird_table.warehouse()
        shape = warehouse.describe(WEIRD, weird_table.schema)

        [median, nulls] = GxValidator().evaluate(warehouse, shape, [
            spec("column_median_to_be_between", column="Order Id", min_value=0),
            spec("column_values_to_not_be_null", column="Note", index=1)])

        assert (median.error, median.success, median.observed_value) == (None, True, 10.5)
        assert nulls.error is None
        assert nulls.unexpected_count == sum(r["Note"] is None for r in ODD_ROWS)


class TestGxUrl:
    def test_postgres_urls_get_a_user_and_a_placeholder_password(self) -> None:
        warehouse = SqlWarehouse("w", WarehouseConfig(
            url="postgresql+psycopg://postgres@127.0.0.1:5432/test"))
        url = sa.engine.make_url(gx_url(warehouse))
        assert url.username == "postgres"
        assert url.password

    def test_a_real_password_is_kept(self) -> None:
        warehouse = SqlWarehouse("w", WarehouseConfig(
            url="postgresql+psycopg://etl:s3cret@db/wh"))
        assert sa.engine.make_url(gx_url(warehouse)).password == "s3cret"

    def test_sqlite_urls_are_unchanged(self) -> None:
        warehouse = SqlWarehouse("w", WarehouseConfig(url="sqlite:////tmp/x.db"))
        assert gx_url(warehouse) == "sqlite:////tmp/x.db"


class TestGxProblems:
    def test_arguments_gx_rejects_are_reported_by_index(self) -> None:
        cases = [spec("column_values_to_not_be_null", column="a"),
                 spec("column_values_to_not_be_null", column="a", mostly=5, index=1),
                 spec("column_values_to_be_in_set", column="a", value_set="abc", index=2)]

        problems = gx_problems(cases)

        assert set(problems) == {1, 2}
        assert "mostly" in problems[1]


class TestShippedSuites:
    @pytest.mark.parametrize("path", sorted((REPO / "expectations").glob("*.json")),
                             ids=lambda p: p.name)
    def test_each_file_is_a_suite_as_gx_writes_it(self, path: Path) -> None:
        import great_expectations as gx

        gx_context()
        written = json.loads(path.read_text())

        suite = gx.ExpectationSuite(**written)

        assert suite.to_json_dict() == written
        assert load_suite(path).name == path.stem


class TestBatches:
    def test_the_same_expectation_twice_gets_two_results(self, tmp_path: Path) -> None:
        wh = sqlite_warehouse(tmp_path)
        wh.create_table("t", {"a": sa.Integer()}, [{"a": i} for i in range(9)])
        warehouse = wh.warehouse()
        median = spec("column_median_to_be_between", column="a", min_value=0)

        out = GxValidator().evaluate(warehouse, warehouse.describe("t"), [median, median])

        assert [(o.success, o.observed_value, o.error) for o in out] == [(True, 4, None)] * 2
        wh.dispose()
