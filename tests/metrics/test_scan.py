"""The one-scan compiler: every state once, whatever the number of metrics."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from monitor.dialects import Capabilities, capabilities_for
from monitor.metrics.definitions import Metric, column_metrics
from monitor.metrics.scan import Needs, compile_scan, unique_states
from monitor.metrics.states import State
from tests.helpers.dialects import dialect_or_skip
from tests.helpers.warehouses import WarehouseUnderTest

TABLE = sa.Table("t", sa.MetaData(), sa.Column("a", sa.Integer), sa.Column("b", sa.String),
                 sa.Column("ts", sa.DateTime))
KINDS = {"a": "integer", "b": "string", "ts": "timestamp"}


class TestUniqueStates:
    def test_shared_states_appear_once(self) -> None:
        metrics = [Metric("row_count", None), Metric("null_count", "a"), Metric("null_rate", "a")]

        assert unique_states(metrics) == [State("rows"), State("non_null", "a")]


class TestCompileScan:
    def test_one_select_for_a_whole_table(self) -> None:
        caps = capabilities_for("duckdb")
        metrics = [Metric("row_count", None)]
        for name, kind in KINDS.items():
            metrics += column_metrics(name, kind, distinct="exact", caps=caps)

        scan = compile_scan(TABLE, KINDS, metrics, caps)

        sql = str(scan.statement.compile(compile_kwargs={"literal_binds": True}))
        assert sql.count("SELECT") == 1
        assert sql.count("count(*)") == 1  # shared by row_count and three null metrics
        assert len(scan.labels) == len(unique_states(metrics))

    def test_postgresql_counts_distinct_values_in_a_branch_apart(self) -> None:
        caps = capabilities_for("postgresql")
        metrics = [Metric("row_count", None)]
        for name, kind in KINDS.items():
            metrics += column_metrics(name, kind, distinct="exact", caps=caps)

        scan = compile_scan(TABLE, KINDS, metrics, caps, where=TABLE.c.a > 0,
                            extra={"_dq_latest": sa.func.max(TABLE.c.ts)})

        sql = str(scan.statement.compile(dialect=postgresql.dialect()))
        rest, distinct = sql.split("UNION ALL")
        assert sql.count("SELECT") == 3  # one statement: the two branches, folded
        assert "DISTINCT" not in rest
        assert distinct.count("count(DISTINCT") == 3
        assert 'count(DISTINCT (t.b COLLATE "C"))' in distinct
        assert sql.count("WHERE t.a >") == 2  # both parts count the same rows
        assert set(scan.statement.selected_columns.keys()) == {*scan.labels.values(),
                                                               "_dq_latest", "_dq_whole"}

    def test_nothing_to_set_apart_stays_one_select(self) -> None:
        caps = capabilities_for("postgresql")
        only_distinct = [Metric("distinct_count", "a", "integer", distinct="exact")]

        scan = compile_scan(TABLE, KINDS, only_distinct, caps)

        sql = str(scan.statement.compile(dialect=postgresql.dialect()))
        assert sql.count("SELECT") == 1

    def test_distinct_part_and_the_rest_run_side_by_side(
            self, pg_warehouse: WarehouseUnderTest) -> None:
        table = pg_warehouse.create_table("wide", {"a": sa.Integer(), "b": sa.String(20)},
                                          [{"a": i, "b": f"v{i % 5}"} for i in range(200)])
        kinds = {"a": "integer", "b": "string"}
        caps = capabilities_for("postgresql")
        metrics = [Metric("row_count", None)]
        for name, kind in kinds.items():
            metrics += column_metrics(name, kind, distinct="exact", caps=caps)
        scan = compile_scan(table, kinds, metrics, caps)
        compiled = scan.statement.compile(pg_warehouse.engine)

        with pg_warehouse.engine.connect() as conn:
            for setting in ("parallel_setup_cost", "parallel_tuple_cost",
                            "min_parallel_table_scan_size"):
                conn.exec_driver_sql(f"SET {setting} = 0")  # plan as for a large table
            plan = "\n".join(r[0] for r in conn.exec_driver_sql(
                f"EXPLAIN {compiled}", compiled.params))
            row = conn.execute(scan.statement).mappings().one()

        assert "Parallel Append" in plan
        values = scan.read(row)
        assert (values[("a", "distinct_count")], values[("b", "distinct_count")]) == (200, 5)
        assert values[("a", "max")] == 199

    def test_bucketed_scan_groups_by_position(self) -> None:
        caps = capabilities_for("duckdb")

        scan = compile_scan(TABLE, KINDS, [Metric("row_count", None)], caps, bucket=("ts", "day"))

        sql = str(scan.statement.compile(compile_kwargs={"literal_binds": True}))
        assert "GROUP BY 1" in sql
        assert "date_trunc('day', t.ts) AS _dq_bucket" in sql
        assert "t.ts IS NOT NULL" in sql

    def test_read_computes_metric_values(self) -> None:
        caps = capabilities_for("sqlite")
        metrics = [Metric("row_count", None), Metric("null_rate", "a")]
        scan = compile_scan(TABLE, KINDS, metrics, caps)
        row = {scan.labels[State("rows")]: 8, scan.labels[State("non_null", "a")]: 6}

        assert scan.read(row) == {(None, "row_count"): 8, ("a", "null_rate"): 0.25}  # type: ignore[arg-type]


#: A sample table with an odd column name, for the plans compiled per dialect.
SAMPLE = sa.Table("orders", sa.MetaData(), sa.Column("id", sa.BigInteger),
                  sa.Column("amount", sa.Double), sa.Column("Label Ü", sa.String(50)),
                  sa.Column("created", sa.DateTime), schema="sales")
SAMPLE_KINDS = {"id": "integer", "amount": "float", "Label Ü": "string",
                "created": "timestamp"}
EXPECTED = Path(__file__).parent / "expected"

#: dialect name -> (a URL of its dialect, the package that provides it).
DIALECTS = {
    "mariadb": ("mariadb+pymysql://", "SQLAlchemy itself"),
    "snowflake": ("snowflake://", "snowflake-sqlalchemy (tests/requirements-compile.txt)"),
    "bigquery": ("bigquery://", "sqlalchemy-bigquery (tests/requirements-compile.txt)"),
    "trino": ("trino://", "trino (extra cloud)"),
    "databricks": ("databricks://", "databricks-sqlalchemy (tests/requirements-compile.txt)"),
    "redshift": ("redshift+psycopg2://", "sqlalchemy-redshift (extra cloud)"),
}

#: What a dialect learns from the server on connecting, where it changes the SQL: offline,
#: SQLAlchemy's MySQL dialect assumes a server without CAST(x AS DOUBLE) and leaves the
#: cast out; MariaDB 10.11, which the tests run on, has it.
SERVER_SETTINGS: dict[str, dict[str, Any]] = {
    "mariadb": {"server_version_info": (10, 11, 19), "_support_float_cast": True}}


def profile_plan(caps: Capabilities) -> list[sa.Select[Any]]:
    """What a profile of SAMPLE sends: the whole-table scan, and a day-bucketed history."""
    distinct = "approx" if caps.approx_distinct == "native" else "exact"
    metrics = [Metric("row_count", None)]
    for name, kind in SAMPLE_KINDS.items():
        metrics += column_metrics(name, kind, distinct=distinct, caps=caps)
    whole = compile_scan(SAMPLE, SAMPLE_KINDS, metrics, caps)
    daily = compile_scan(SAMPLE, SAMPLE_KINDS, metrics, caps, bucket=("created", "day"))
    return [whole.statement, daily.statement]


class TestCompileScanPerDialect:
    """The profile plan compiled by each dialect's own SQLAlchemy package, against the
    SQL text kept in tests/metrics/expected/<dialect>.sql (cloud warehouses are never
    executed here). DQ_UPDATE_EXPECTED=1 rewrites the files; read the diff."""

    @pytest.mark.parametrize("name", list(DIALECTS))
    def test_the_plan_compiles_to_the_expected_sql(self, name: str) -> None:
        url, package = DIALECTS[name]
        dialect = dialect_or_skip(url, package)
        for attribute, value in SERVER_SETTINGS.get(name, {}).items():
            setattr(dialect, attribute, value)
        caps = capabilities_for(name)
        expected = EXPECTED / f"{name}.sql"

        sql = ";\n\n".join(str(s.compile(dialect=dialect)) for s in profile_plan(caps)) + ";\n"

        if os.environ.get("DQ_UPDATE_EXPECTED") == "1":
            expected.write_text(sql, encoding="utf-8")
        assert sql == expected.read_text(encoding="utf-8")
        approximate = "approx" in sql.lower()
        assert approximate == (caps.approx_distinct == "native")
class TestNeeds:
    def test_adding_keeps_each_state_once(self) -> None:
        condition = State("count_where", "a", key="k")
        first = Needs((State("rows"), condition), {condition: sa.func.count()})

        both = first + Needs((State("rows"), State("non_null", "a")))

        assert both.states == (State("rows"), condition, State("non_null", "a"))
        assert set(both.custom) == {condition}
        assert not Needs()


class TestCompileScanWithNeeds:
    def test_the_needs_share_the_metrics_aggregates(self) -> None:
        caps = capabilities_for("duckdb")
        metrics = [Metric("row_count", None), *column_metrics("a", "integer", distinct="off",
                                                              caps=caps)]
        condition = State("count_where", "a", key="negative")
        needs = Needs((State("rows"), State("non_null", "a"), State("raw_min", "a"),
                       State("raw_stddev", "a"), condition),
                      {condition: sa.func.count(sa.case((TABLE.c.a < 0, 1)))})

        scan = compile_scan(TABLE, KINDS, metrics, caps, needs=needs)

        sql = str(scan.statement.compile(compile_kwargs={"literal_binds": True}))
        assert sql.count("count(t.a)") == 1  # null rate, finite count and the need
        assert sql.count("min(t.a)") == 1
        assert sql.count("stddev_samp") == 1
        assert "CASE WHEN (t.a < 0)" in sql
        assert scan.labels[State("raw_min", "a")] == scan.labels[State("min", "a")]

    def test_states_reads_every_state_back(self, pg_warehouse: WarehouseUnderTest) -> None:
        table = pg_warehouse.create_table("few", {"a": sa.Integer(), "b": sa.String(5)},
                                          [{"a": i % 3, "b": None} for i in range(6)])
        caps = capabilities_for("postgresql")
        needs = Needs((State("rows"), State("distinct", "a"), State("non_null", "b"),
                       State("raw_max", "a")))
        scan = compile_scan(table, {"a": "integer", "b": "string"}, [], caps, needs=needs)

        with pg_warehouse.engine.connect() as conn:
            row = conn.execute(scan.statement).mappings().one()

        assert scan.states(row) == {State("rows"): 6, State("distinct", "a"): 3,
                                    State("non_null", "b"): 0, State("raw_max", "a"): 2}
        assert "UNION ALL" in str(scan.statement.compile(pg_warehouse.engine))
