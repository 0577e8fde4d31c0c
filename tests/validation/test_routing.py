"""One routing decision for validation and the suite commands: schema, SQL, GX or none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.validation.routing import Route, route
from tests.helpers.gate import spec
from tests.helpers.warehouses import duckdb_warehouse, sqlite_warehouse


@pytest.fixture(scope="module", params=["sqlite", "duckdb"])
def shape_and_caps(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(request.param)
    wh = sqlite_warehouse(tmp) if request.param == "sqlite" else duckdb_warehouse(tmp)
    wh.create_table("t", {"At": sa.DateTime(), "n": sa.Integer(), "s": sa.String(5)},
                    [{"At": dt.datetime(2024, 1, 2), "n": 1, "s": "a"}])
    warehouse = wh.warehouse()
    yield warehouse.describe("t"), warehouse.capabilities
    wh.dispose()


class TestRoute:
    @pytest.mark.parametrize(("case", "why"), [
        (spec("column_values_to_sparkle", column="n"), "type"),
        (spec("column_values_to_be_between", column="n"), "arguments"),
        (spec("column_values_to_not_be_null", column="phone"), "column"),
    ])
    def test_what_cannot_be_evaluated_says_why(self, shape_and_caps, case, why) -> None:
        shape, caps = shape_and_caps

        routed = route(case, shape, caps)

        assert (routed.evaluator, routed.why) == ("none", why)
        assert routed.label == f"not evaluated: {routed.reason}"

    def test_dates_as_bounds_go_to_sql_read_as_gx_reads_them(self, shape_and_caps) -> None:
        shape, caps = shape_and_caps

        routed = route(spec("column_values_to_be_between", column="at",
                            min_value="2024-01-01T00:00", max_value="2024-01-31 23:59:59"),
                       shape, caps)

        assert routed.evaluator == "sql"
        assert routed.spec.kwargs == {"column": "At", "min_value": dt.datetime(2024, 1, 1),
                                      "max_value": dt.datetime(2024, 1, 31, 23, 59, 59)}

    def test_gx_only_types_cannot_run_where_gx_cannot(self, shape_and_caps) -> None:
        shape, caps = shape_and_caps

        routed = route(spec("column_median_to_be_between", column="n", min_value=0),
                       shape, caps)

        if caps.name == "duckdb":
            assert (routed.evaluator, routed.why) == ("none", "dialect")
            assert "cannot validate DuckDB" in routed.reason
        else:
            assert routed == Route("gx", routed.spec)

    def test_engine_gx_sends_all_but_schema_expectations_to_gx(self, tmp_path: Path) -> None:
        wh = sqlite_warehouse(tmp_path)
        wh.create_table("t", {"n": sa.Integer()}, [{"n": 1}])
        warehouse = wh.warehouse()
        shape = warehouse.describe("t")

        native = route(spec("column_values_to_not_be_null", column="n"), shape,
                       warehouse.capabilities, engine="gx")
        schema = route(spec("table_column_count_to_equal", value=1), shape,
                       warehouse.capabilities, engine="gx")

        assert (native.evaluator, schema.evaluator) == ("gx", "schema")
        assert (native.label, schema.label) == ("GX", "table schema")
        wh.dispose()


class TestNoSqlInGx:
    def test_is_what_gx_registers_no_sql_provider_for(self) -> None:
        # Oracle: GX's own metric registry (the map metric of each core type).
        from great_expectations.expectations import registry

        from monitor.validation.catalog import CATALOG
        from monitor.validation.routing import NO_SQL_IN_GX

        metrics = registry._registered_metrics
        without_sql = set()
        for kind in CATALOG:
            metric = getattr(registry.get_expectation_impl(kind), "map_metric", None)
            providers = metrics.get(f"{metric}.condition", {}).get("providers", {})
            if metric and "SqlAlchemyExecutionEngine" not in providers:
                without_sql.add(kind)

        # GX judges these two on SQL from the reflected column types, not the map metric.
        expected = without_sql - {"expect_column_values_to_be_of_type",
                                  "expect_column_values_to_be_in_type_list"}
        assert expected == NO_SQL_IN_GX

    def test_they_are_never_routed_on_sql(self, shape_and_caps) -> None:
        shape, caps = shape_and_caps

        routed = route(spec("column_values_to_be_increasing", column="n"), shape, caps)

        assert (routed.evaluator, routed.why) == ("none", "dialect")
