"""Custom SQL metrics on real SQLite, DuckDB, PostgreSQL and MariaDB (pandas oracle)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.config.custom_metrics import CustomMetric
from monitor.dialects import capabilities_for
from monitor.metrics.custom import custom_statement, metric_label, run_custom_metric
from tests.helpers.warehouses import WITH_SPARK, WarehouseUnderTest

START = dt.datetime(2026, 11, 1)
UTC = dt.UTC
#: A day of a timestamp as each engine spells it (the user's SQL is the user's dialect).
DAY_OF = {"sqlite": "date(ts)", "duckdb": "CAST(ts AS DATE)", "postgresql": "CAST(ts AS DATE)",
          "mariadb": "CAST(ts AS DATE)", "spark": "CAST(ts AS DATE)"}


def orders_frame() -> pd.DataFrame:
    """Three days of orders every 90 minutes; every 5th refunded; odd statuses."""
    rows = [{"id": i, "ts": START + dt.timedelta(minutes=90 * i),
             "amount": float(i % 11) + 0.5, "refunded": int(i % 5 == 0),
             "status": ("paid", "it's", "50% off")[i % 3]} for i in range(48)]
    return pd.DataFrame(rows)


@pytest.fixture
def orders(warehouse: WarehouseUnderTest) -> pd.DataFrame:
    frame = orders_frame()
    warehouse.create_table("orders", {"id": sa.Integer(), "ts": sa.DateTime(),
                                      "amount": sa.Float(), "refunded": sa.Integer(),
                                      "status": sa.String(20)}, frame.to_dict("records"))
    return frame


def metric(sql: str, name: str = "refund_share") -> CustomMetric:
    return CustomMetric(name=name, sql=sql)


class TestCustomStatement:
    def test_times_are_bound_and_the_column_quoted(self) -> None:
        # Arrange
        engine = sa.create_engine("postgresql+psycopg://")

        # Act
        statement = custom_statement(metric("select 1 from t where {bucket_filter}"),
                                     engine.dialect, capabilities_for("postgresql"),
                                     "Created At", START, START + dt.timedelta(days=1))
        compiled = statement.compile(dialect=engine.dialect)

        # Assert
        assert '"Created At" >= %(dq_start)s' in str(compiled)
        assert compiled.params == {"dq_start": START, "dq_end": START + dt.timedelta(days=1)}


class TestRunCustomMetric:
    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    def test_one_number_over_a_bucket_matches_pandas(self, warehouse: WarehouseUnderTest,
                                                     orders: pd.DataFrame) -> None:
        # Arrange: the share of refunded orders on day 2, with quotes and % in literals.
        table = warehouse.table_config("orders", timestamp_column="ts", bucket="day")
        sql = (f"select avg(1.0 * refunded) from {warehouse.qualified('orders')} "
               "where {bucket_filter} and status in ('paid', 'it''s', '50% off')")
        day = START + dt.timedelta(days=1)

        # Act
        result = run_custom_metric(warehouse.warehouse(), table, metric(sql),
                                   start=day.replace(tzinfo=UTC),
                                   end=(day + dt.timedelta(days=1)).replace(tzinfo=UTC),
                                   granularity="day")

        # Assert
        expected = orders[orders["ts"].dt.date == day.date()]["refunded"].mean()
        assert result.error is None
        assert result.values == [(None, pytest.approx(expected))]

    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    def test_bucket_and_value_rows_match_pandas(self, warehouse: WarehouseUnderTest,
                                                orders: pd.DataFrame) -> None:
        # Arrange
        table = warehouse.table_config("orders", timestamp_column="ts", bucket="day")
        day = DAY_OF[warehouse.kind]
        sql = (f"select {day} as bucket, sum(amount) as value "
               f"from {warehouse.qualified('orders')} where {{bucket_filter}} group by {day}")

        # Act
        result = run_custom_metric(warehouse.warehouse(), table, metric(sql, "revenue"),
                                   start=START.replace(tzinfo=UTC),
                                   end=(START + dt.timedelta(days=3)).replace(tzinfo=UTC),
                                   granularity="day")

        # Assert
        expected = orders.groupby(orders["ts"].dt.date)["amount"].sum()
        assert result.per_bucket
        assert [(at.date(), v) for at, v in result.values] == [
            (d, pytest.approx(v)) for d, v in expected.items()]

    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    @pytest.mark.parametrize(("sql", "error"), [
        ("select count(*) from no_such_table", "the SQL failed"),
        ("select 1 where 1 = 0", "returned no row"),
        ("select 'abc'", "returned 'abc', not a number"),
        ("select null", "returned NULL, not a number"),
        ("select 1, 2", "must return one column"),
    ])
    def test_failures_are_values_naming_table_and_metric(
            self, warehouse: WarehouseUnderTest, sql: str, error: str) -> None:
        # Arrange
        table = warehouse.table_config("orders")

        # Act
        result = run_custom_metric(warehouse.warehouse(), table, metric(sql))

        # Assert
        assert result.values == []
        assert result.error is not None
        assert result.error.startswith("custom metric 'refund_share' of table 'orders': ")
        assert error in result.error


class TestReadOnlyAndTimeout:
    def test_a_write_is_refused_on_postgresql(self, pg_warehouse: WarehouseUnderTest) -> None:
        # Arrange: nextval() writes; a read-only transaction refuses it.
        seq = f"{pg_warehouse.schema}.dq_seq"
        pg_warehouse.execute(f"CREATE SEQUENCE {seq}")
        table = pg_warehouse.table_config("orders")

        # Act
        result = run_custom_metric(pg_warehouse.warehouse(), table,
                                   metric(f"select nextval('{seq}')"))

        # Assert
        assert result.error is not None
        assert "read-only transaction" in result.error

    def test_the_warehouse_timeout_cancels_it(self, pg_warehouse: WarehouseUnderTest) -> None:
        # Arrange
        table = pg_warehouse.table_config("orders")
        warehouse = pg_warehouse.warehouse(query_timeout=1)

        # Act
        result = run_custom_metric(warehouse, table, metric("select 1 from pg_sleep(5)"))

        # Assert
        assert result.error is not None
        assert "cancelled" in result.error

    def test_sqlite_connection_is_writable_again_afterwards(
            self, warehouse: WarehouseUnderTest, orders: pd.DataFrame) -> None:
        # Arrange
        table = warehouse.table_config("orders")
        wh = warehouse.warehouse()
        run_custom_metric(wh, table, metric(
            f"select count(*) from {warehouse.qualified('orders')}"))

        # Act: the pooled connection the metric used takes a write again.
        with wh.engine.begin() as conn:
            conn.execute(sa.text(f"DELETE FROM {warehouse.qualified('orders')} WHERE id = 0"))
            left = conn.execute(sa.text(
                f"SELECT count(*) FROM {warehouse.qualified('orders')}")).scalar()

        # Assert
        assert left == len(orders) - 1


class TestMetricLabel:
    def test_custom_metrics_read_as_their_name(self) -> None:
        # Arrange / Act / Assert
        assert metric_label("custom_revenue") == "revenue (custom SQL)"
