"""Row counts and change times from the catalog (real PostgreSQL and MariaDB; compiled
Snowflake and BigQuery)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql

from monitor.errors import ConfigError, ObjectNotFound
from monitor.metrics.metadata import (
    STATEMENTS,
    TableMetadata,
    catalog_names,
    metadata_points,
    metadata_statement,
    read_metadata,
)
from tests.helpers.dialects import dialect_or_skip
from tests.helpers.warehouses import WarehouseUnderTest, duckdb_warehouse, server_warehouse

EXPECTED = Path(__file__).parent / "expected"
DIALECTS = {"pg_stat": postgresql.dialect(), "information_schema_tables": mysql.dialect()}
#: Query kinds of warehouses never connected to -> (a URL of the dialect, its package).
COMPILED_ONLY = {
    "information_schema_row_count": ("snowflake://",
                                     "snowflake-sqlalchemy (tests/requirements-compile.txt)"),
    "dataset_tables": ("bigquery://", "sqlalchemy-bigquery (tests/requirements-compile.txt)"),
}
AT = dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC)


@pytest.fixture(params=["postgresql", "mariadb"])
def server(request: pytest.FixtureRequest) -> Iterator[WarehouseUnderTest]:
    with server_warehouse(request.param) as wh:
        yield wh


def flush_statistics(wh: WarehouseUnderTest) -> None:
    """PostgreSQL sends a backend's counters at the end of a transaction, at most once a
    second: force it, so that another session sees them at once."""
    if wh.kind == "postgresql":
        with wh.engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))


def insert_rows(wh: WarehouseUnderTest, table: sa.Table, ids: range) -> None:
    with wh.engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "note": f"n{i}"} for i in ids])
        if wh.kind == "postgresql":
            conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))


class TestMetadataStatement:
    @pytest.mark.parametrize("kind", sorted(STATEMENTS))
    def test_sql_text_matches_the_expected_file(self, kind: str) -> None:
        # Arrange
        expected = (EXPECTED / f"metadata_{kind}.sql").read_text(encoding="utf-8")
        dialect = (dialect_or_skip(*COMPILED_ONLY[kind]) if kind in COMPILED_ONLY
                   else DIALECTS[kind])

        # Act
        statement = metadata_statement(kind, "Orders Ü", "sales")
        compiled = statement.compile(dialect=dialect)

        # Assert: the names are bound values, never written into the text.
        assert str(compiled).strip() == expected.strip()
        assert "Orders Ü" in compiled.params.values()

    def test_bigquery_needs_the_dataset(self) -> None:
        # Arrange / Act / Assert
        with pytest.raises(ConfigError, match="needs 'schema'"):
            metadata_statement("dataset_tables", "orders", None)


class TestCatalogNames:
    def test_snowflake_folds_lower_case_names_to_upper_case(self) -> None:
        # Arrange: Snowflake's information_schema holds ORDERS for a table created as orders.
        dialect = dialect_or_skip(*COMPILED_ONLY["information_schema_row_count"])

        # Act
        names = [catalog_names(dialect, "orders", "sales"),
                 catalog_names(dialect, "Orders Ü", None)]

        # Assert: a mixed-case name is quoted, so stored as written.
        assert names == [("ORDERS", "SALES"), ("Orders Ü", None)]

    @pytest.mark.parametrize("kind", ["pg_stat", "information_schema_tables"])
    def test_other_engines_keep_the_names(self, kind: str) -> None:
        # Arrange / Act
        names = catalog_names(DIALECTS[kind], "orders", "Sales")

        # Assert
        assert names == ("orders", "Sales")


class TestReadMetadata:
    def test_row_count_and_changes_follow_the_table(self, server: WarehouseUnderTest) -> None:
        # Arrange: 120 rows, then 30 more and 10 deleted.
        table = server.create_table("Orders Ü", {"id": sa.Integer(), "note": sa.String(20)})
        insert_rows(server, table, range(120))
        config = server.table_config("orders", table="Orders Ü", metadata=True)
        warehouse = server.warehouse()
        first = read_metadata(warehouse, config)

        # Act
        insert_rows(server, table, range(120, 150))
        with server.engine.begin() as conn:
            conn.execute(table.delete().where(table.c.id < 10))
        flush_statistics(server)
        if server.kind == "mariadb":
            server.execute(f"ANALYZE TABLE {server.qualified('Orders Ü')}")
        second = read_metadata(warehouse, config)

        # Assert: the catalog's numbers against what was written.
        assert second.row_count == pytest.approx(140, abs=2 if server.kind == "mariadb" else 0)
        if server.kind == "postgresql":
            assert (first.changes_total, second.changes_total) == (120.0, 160.0)
            assert second.last_modified is None
        else:
            assert second.changes_total is None
            assert second.last_modified is not None
            age = abs(time.time() - second.last_modified.timestamp())
            assert age < 120

    def test_missing_table_names_it(self, server: WarehouseUnderTest) -> None:
        # Arrange
        config = server.table_config("orders", table="nope", metadata=True)

        # Act / Assert
        with pytest.raises(ObjectNotFound, match="'.*nope' is not in the catalog"):
            read_metadata(server.warehouse(), config)

    def test_engine_without_a_catalog_is_a_config_error(self, tmp_path: Path) -> None:
        # Arrange
        wh = duckdb_warehouse(tmp_path)
        config = wh.table_config("orders", metadata=True)

        # Act / Assert
        with pytest.raises(ConfigError, match="table 'orders': 'metadata' reads the engine"):
            read_metadata(wh.warehouse(), config)


class TestMetadataPoints:
    def test_unmoved_counter_keeps_the_previous_change_time(self) -> None:
        # Arrange
        before = AT - dt.timedelta(hours=5)

        # Act
        points = metadata_points("t", TableMetadata(10.0, changes_total=7.0), AT,
                                 previous_changes=7.0, previous_modified=before)

        # Assert: 5 hours since the change, none since the last run.
        values = {p.metric: p.value for p in points}
        assert values["modified_age_estimate_seconds"] == 5 * 3600
        assert values["changed_rows"] == 0

    def test_reset_counter_counts_as_a_change(self) -> None:
        # Arrange / Act
        points = metadata_points("t", TableMetadata(10.0, changes_total=3.0), AT,
                                 previous_changes=900.0)

        # Assert
        values = {p.metric: p.value for p in points}
        assert (values["changed_rows"], values["modified_age_estimate_seconds"]) == (3.0, 0.0)

    def test_engine_change_time_is_used_as_given(self) -> None:
        # Arrange
        modified = AT - dt.timedelta(minutes=90)

        # Act
        points = metadata_points("t", TableMetadata(None, last_modified=modified), AT)

        # Assert
        assert [(p.metric, p.value) for p in points] == [
            ("last_modified", modified.timestamp()),
            ("modified_age_estimate_seconds", 5400.0)]
