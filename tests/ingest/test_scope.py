"""Batch rules and table rules: a table-wide expectation judges target plus batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.errors import ConfigError
from monitor.ingest.batch import IngestResult, ingest_file
from monitor.ingest.scope import candidate_view, scope_of, split_suites
from monitor.run.context import MonitorContext
from monitor.validation.suites import ExpectationSpec
from tests.helpers.gate import ORDER_TYPES, config_for, daily_orders, spec, suite_of, table_frame
from tests.helpers.warehouses import (
    WarehouseUnderTest,
    duckdb_warehouse,
    postgres_warehouse,
    sqlite_warehouse,
)

END = dt.date(2026, 3, 9)
NOW = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
HISTORY = daily_orders(END, 10, per_day=30)  # 300 rows
TABLE_SCOPE = {"scope": "table"}


def _table_rule(**kwargs: object) -> ExpectationSpec:
    return replace(spec("table_row_count_to_be_between", **kwargs), meta=TABLE_SCOPE)


class TestScopeOf:
    def test_batch_by_default_table_when_set_and_a_bad_value_named(self) -> None:
        assert scope_of(spec("column_values_to_not_be_null", column="a")) == "batch"
        assert scope_of(_table_rule(min_value=1)) == "table"
        with pytest.raises(ConfigError, match="meta.scope 'file' is not one of batch, table"):
            scope_of(replace(spec("table_row_count_to_be_between"), meta={"scope": "file"}))


class TestSplitSuites:
    def test_each_suite_split_by_scope(self) -> None:
        suite = suite_of("orders", [spec("column_values_to_not_be_null", column="a"),
                                    _table_rule(min_value=100)])

        batch, table = split_suites([suite])

        assert [s.type for s in batch[0].expectations] == ["expect_column_values_to_not_be_null"]
        assert [s.type for s in table[0].expectations] == ["expect_table_row_count_to_be_between"]


class TestCandidateView:
    def test_target_rows_plus_batch_rows_missing_columns_null(
            self, warehouse: WarehouseUnderTest) -> None:
        target_rows = [{"id": i, "note": f"t{i}"} for i in range(5)]
        warehouse.create_table("target", {"id": sa.Integer(), "note": sa.String(10)},
                               target_rows)
        warehouse.create_table("stage", {"id": sa.Integer()}, [{"id": 10}, {"id": 11}])
        wh = warehouse.warehouse()
        target, staging = (wh.describe(n, warehouse.schema) for n in ("target", "stage"))

        with candidate_view(wh, target, staging) as view, wh.connect() as conn:
            rows = conn.execute(sa.select(view.table)).all()

        want = pd.concat([pd.DataFrame(target_rows),
                          pd.DataFrame({"id": [10, 11], "note": [None, None]})])
        assert sorted(rows, key=lambda r: r[0]) == list(want.itertuples(index=False, name=None))
        assert "candidate" not in " ".join(wh.table_names(warehouse.schema))  # dropped


@pytest.fixture(params=["sqlite", "duckdb", "postgresql"])
def engine_wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseUnderTest]:
    with ExitStack() as stack:
        if request.param == "postgresql":
            w = stack.enter_context(postgres_warehouse())
        else:
            w = sqlite_warehouse(tmp_path) if request.param == "sqlite" else duckdb_warehouse(
                tmp_path)
            stack.callback(w.dispose)
        yield w


def _ingest(wh: WarehouseUnderTest, tmp: Path, rule: ExpectationSpec,
            rows: int = 20) -> IngestResult:
    wh.create_table("orders", ORDER_TYPES, HISTORY)
    suite = suite_of("orders", [rule])
    config = config_for(wh, tmp, [{"name": "orders", "table": "orders", "suites": ["orders"]}],
                        suites={"orders": suite})
    path = tmp / "small.csv"
    pd.DataFrame({"order_id": range(50_000, 50_000 + rows), "customer_id": 7,
                  "amount": 10.0, "status": "paid",
                  "created_at": (NOW - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")}
                 ).to_csv(path, index=False)
    return ingest_file(path, "orders", context=MonitorContext(config, clock=lambda: NOW))


class TestTableScopedRulesInIngest:
    def test_a_table_wide_minimum_does_not_block_a_small_file(
            self, engine_wh: WarehouseUnderTest, tmp_path: Path) -> None:
        result = _ingest(engine_wh, tmp_path, _table_rule(min_value=100))

        published = table_frame(engine_wh.engine, "orders", engine_wh.schema)
        assert result.status == "published", result.gate.reasons
        assert len(published) == len(HISTORY) + 20

    def test_the_same_rule_on_the_batch_blocks_it(self, engine_wh: WarehouseUnderTest,
                                                  tmp_path: Path) -> None:
        result = _ingest(engine_wh, tmp_path, spec("table_row_count_to_be_between",
                                                   min_value=100))

        assert result.status == "blocked"

    def test_a_table_wide_maximum_judges_target_plus_batch(
            self, engine_wh: WarehouseUnderTest, tmp_path: Path) -> None:
        result = _ingest(engine_wh, tmp_path, _table_rule(max_value=len(HISTORY) + 10))

        assert result.status == "blocked"
        assert any(f"{len(HISTORY) + 20}" in r for r in result.gate.reasons), result.gate.reasons


class TestBatchUniquenessAgainstTarget:
    def test_a_key_already_in_the_target_blocks_though_unique_in_the_batch(
            self, engine_wh: WarehouseUnderTest, tmp_path: Path) -> None:
        engine_wh.create_table("orders", ORDER_TYPES, HISTORY)
        suite = suite_of("orders", [spec("column_values_to_be_unique", column="order_id")])
        config = config_for(engine_wh, tmp_path, [{"name": "orders", "table": "orders",
                                                   "suites": ["orders"]}],
                            suites={"orders": suite})
        taken = HISTORY[0]["order_id"]
        path = tmp_path / "dupe.csv"
        pd.DataFrame({"order_id": [taken, 90_001], "customer_id": 7, "amount": 1.0,
                      "status": "paid", "created_at": "2026-03-10 08:00:00"}
                     ).to_csv(path, index=False)

        result = ingest_file(path, "orders", context=MonitorContext(config, clock=lambda: NOW))

        assert result.status == "blocked"
        assert any("order_id" in c.check for c in result.gate.blocking), result.gate.reasons
