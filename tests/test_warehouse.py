"""Warehouses: reflection, timeouts and error classification on real engines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.config.models import WarehouseConfig
from monitor.errors import (
    ConfigError,
    ObjectNotFound,
    QueryFailed,
    QueryTimeout,
    WarehouseUnavailable,
    is_transient,
)
from monitor.warehouse import SqlWarehouse, classify, column_kind, create_engine
from tests.helpers.postgres import base_url
from tests.helpers.warehouses import WarehouseUnderTest

SLOW_QUERIES = {
    # Each takes many seconds without a timeout.
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
              "SELECT count(*) FROM c",
    "duckdb": "SELECT count(*) FROM range(100000000000) a",
    "postgresql": "SELECT pg_sleep(30)",
    "mariadb": "SELECT SLEEP(30)",
}


class TestSqlWarehouseDescribe:
    def test_reflects_columns_and_kinds(self, warehouse: WarehouseUnderTest) -> None:
        warehouse.create_table("shapes", {"id": sa.Integer(), "price": sa.Numeric(10, 2),
                                          "ratio": sa.Double(), "name": sa.String(20),
                                          "day": sa.Date(), "at": sa.DateTime(),
                                          "flag": sa.Boolean()})

        shape = warehouse.warehouse().describe("shapes", warehouse.schema)

        assert [(c.name, c.kind) for c in shape.columns] == [
            ("id", "integer"), ("price", "decimal"), ("ratio", "float"), ("name", "string"),
            ("day", "date"), ("at", "timestamp"), ("flag", "boolean")]

    def test_missing_table_lists_what_exists(self, warehouse: WarehouseUnderTest) -> None:
        warehouse.create_table("present", {"id": sa.Integer()})

        with pytest.raises(ObjectNotFound,
                           match=r"table .(.+\.)?absent. does not exist.*present"):
            warehouse.warehouse().describe("absent", warehouse.schema)

    @pytest.mark.parametrize("quote", ['"', "`", "'", "]"])
    def test_a_name_that_closes_any_quote_is_one_missing_table(
            self, warehouse: WarehouseUnderTest, quote: str) -> None:
        warehouse.create_table("victim", {"id": sa.Integer()}, [{"id": 1}])
        evil = f"victim{quote}; DROP TABLE victim; --"

        with pytest.raises(ObjectNotFound, match="does not exist"):
            warehouse.warehouse().describe(evil, warehouse.schema)

        assert warehouse.execute(f"SELECT count(*) FROM {warehouse.qualified('victim')}") == [
            (1,)]

    def test_missing_column_names_the_columns(self, warehouse: WarehouseUnderTest) -> None:
        warehouse.create_table("cols", {"id": sa.Integer()})
        shape = warehouse.warehouse().describe("cols", warehouse.schema)

        with pytest.raises(ObjectNotFound, match=r"column 'nope' does not exist.*columns: id"):
            shape.column("nope")


class TestSqlWarehouseOnAMysqlUrl:
    def test_a_mariadb_server_is_profiled_with_mariadbs_capabilities(self) -> None:
        # Arrange: text that MySQL's utf8mb4_0900_bin collation (unknown to MariaDB)
        # would have to count; MariaDB's utf8mb4_nopad_bin counts bytes.
        from monitor.metrics.profile import profile_table
        from tests.helpers.warehouses import server_warehouse

        labels = ["a", "A", "a ", "a", None]
        with server_warehouse("mariadb") as wh:
            wh.create_table("labels", {"label": sa.String(10)}, [{"label": x} for x in labels])
            url = sa.engine.make_url(wh.url).set(drivername="mysql+pymysql")
            warehouse = SqlWarehouse("w", WarehouseConfig(
                url=url.render_as_string(hide_password=False)))
            before = warehouse.capabilities.name

            # Act
            try:
                profile = profile_table(warehouse, wh.table_config("labels"), distinct="exact")
            finally:
                warehouse.engine.dispose()

        # Assert: pandas' count of distinct non-null values is the oracle.
        expected = pd.Series(labels).dropna().nunique()
        assert (before, warehouse.capabilities.name) == ("mysql", "mariadb")
        label = profile.columns["label"].metrics
        assert (profile.row_count, label["distinct_count"]) == (5, expected)


class TestSqlWarehouseExecute:
    def test_query_over_the_timeout_is_cancelled(self, warehouse: WarehouseUnderTest) -> None:
        wh = warehouse.warehouse(query_timeout=1.0)
        started = dt.datetime.now()

        with pytest.raises(QueryTimeout, match="statement timeout") as error, wh.connect() as c:
            wh.execute(c, sa.text(SLOW_QUERIES[warehouse.kind]))

        assert (dt.datetime.now() - started).total_seconds() < 10
        assert is_transient(error.value)

    def test_bad_sql_is_terminal(self, warehouse: WarehouseUnderTest) -> None:
        wh = warehouse.warehouse()

        with pytest.raises((QueryFailed, ObjectNotFound)) as error, wh.connect() as conn:
            wh.execute(conn, sa.text("SELECT nope FROM no_such_table_here"))

        assert not is_transient(error.value)

    def test_refused_connection_is_transient(self) -> None:
        url = sa.engine.make_url(base_url()).set(port=1).render_as_string(hide_password=False)
        wh = SqlWarehouse("down", WarehouseConfig(url=url, connect_timeout=2))

        with pytest.raises(WarehouseUnavailable, match="warehouse 'down': cannot connect"):
            wh.describe("orders")


class TestClassify:
    def test_sqlite_errors(self) -> None:
        engine = create_engine("sqlite://")
        with engine.connect() as conn:
            try:
                conn.execute(sa.text("SELECT * FROM missing_table"))
            except sa.exc.SQLAlchemyError as error:
                mapped = classify(error, "warehouse 'w'")

        assert isinstance(mapped, ObjectNotFound)
        assert "no such table: missing_table" in str(mapped)

    def test_locked_database_is_transient(self) -> None:
        error = sa.exc.OperationalError("stmt", {}, Exception("database is locked"))

        assert isinstance(classify(error, "w"), WarehouseUnavailable)

    @pytest.mark.parametrize(("sql", "kind"), [
        ("SELECT * FROM no_such_table_here", ObjectNotFound),
        ("SELECT nope FROM information_schema.tables", ObjectNotFound),
        ("SELECT 'a' REGEXP '('", QueryFailed),
        ("SELEC 1", QueryFailed),
    ])
    def test_mariadb_errors_about_a_statement_are_terminal(self, sql: str, kind: type) -> None:
        from tests.helpers import mariadb

        mariadb.require_mariadb()
        engine = create_engine(mariadb.base_url())
        try:
            with engine.connect() as conn, pytest.raises(sa.exc.SQLAlchemyError) as raised:
                conn.execute(sa.text(sql))
        finally:
            engine.dispose()

        mapped = classify(raised.value, "warehouse 'm'")

        assert type(mapped) is kind, mapped
        assert not is_transient(mapped)

    def test_our_errors_pass_through(self) -> None:
        original = QueryFailed("already ours")

        assert classify(original, "w") is original


class TestCreateEngine:
    def test_rejects_an_invalid_url_as_a_config_error(self) -> None:
        with pytest.raises(ConfigError, match="not a valid SQLAlchemy URL"):
            create_engine("not a url")

    def test_an_unknown_database_type_is_a_config_error(self) -> None:
        with pytest.raises(ConfigError, match="unknown database type 'foodb'"):
            create_engine("foodb://x/y")

    def test_the_longest_timeout_the_config_allows_is_one_postgresql_accepts(self) -> None:
        from monitor.config.fields import MAX_TIMEOUT
        from tests.helpers.postgres import require_postgres

        require_postgres()
        engine = create_engine(base_url(), query_timeout=MAX_TIMEOUT)
        try:
            with engine.connect() as conn:
                shown = conn.execute(sa.text("SHOW statement_timeout")).scalar()
        finally:
            engine.dispose()

        assert shown == "24d"

    def test_a_mariadb_session_has_the_timeout_utc_and_read_only(self) -> None:
        from monitor.config.fields import MAX_TIMEOUT
        from tests.helpers import mariadb

        mariadb.require_mariadb()
        engine = create_engine(mariadb.base_url(), query_timeout=MAX_TIMEOUT, read_only=True)
        try:
            with engine.connect() as conn:
                shown = conn.execute(sa.text(
                    "SELECT @@max_statement_time, @@time_zone, @@tx_read_only")).one()
                with pytest.raises(sa.exc.SQLAlchemyError, match="READ ONLY"):
                    conn.execute(sa.text("CREATE TABLE dq_never_made (a INT)"))
        finally:
            engine.dispose()

        assert tuple(shown) == (MAX_TIMEOUT, "+00:00", 1)

    def test_a_mysql_url_on_mariadb_gets_mariadbs_session(self) -> None:
        # Arrange: the same server through a mysql+pymysql:// URL, which connects with
        # MySQL's dialect (MariaDB refuses MySQL's max_execution_time).
        from tests.helpers import mariadb

        mariadb.require_mariadb()
        url = sa.engine.make_url(mariadb.base_url()).set(drivername="mysql+pymysql")
        engine = create_engine(url.render_as_string(hide_password=False), query_timeout=7.5,
                               read_only=True)

        # Act
        try:
            with engine.connect() as conn:
                shown = conn.execute(sa.text(
                    "SELECT @@max_statement_time, @@time_zone, @@tx_read_only")).one()
                is_mariadb = conn.dialect.is_mariadb  # type: ignore[attr-defined]
        finally:
            engine.dispose()

        # Assert
        assert (is_mariadb, *shown) == (True, 7.5, "+00:00", 1)

    def test_a_folder_that_cannot_be_created_is_a_config_error(self) -> None:
        with pytest.raises(ConfigError, match="cannot create the folder '/proc/x'"):
            create_engine("sqlite:////proc/x/m.db")

    def test_a_folder_in_place_of_the_database_file_is_a_config_error(self, tmp_path) -> None:
        with pytest.raises(ConfigError, match="is a folder, not a database file"):
            create_engine(f"sqlite:///{tmp_path}")

    def test_read_only_sqlite_refuses_writes(self, tmp_path) -> None:
        path = tmp_path / "ro.db"
        with create_engine(f"sqlite:///{path}").begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (a int)"))
        engine = create_engine(f"sqlite:///{path}", read_only=True)

        with pytest.raises(sa.exc.OperationalError, match="readonly"), engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))

    def test_read_only_duckdb_refuses_writes(self, tmp_path) -> None:
        path = tmp_path / "ro.duckdb"
        writer = create_engine(f"duckdb:///{path}")
        with writer.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (a int)"))
        writer.dispose()
        engine = create_engine(f"duckdb:///{path}", read_only=True)

        try:
            with pytest.raises(sa.exc.DBAPIError, match="read-only"), engine.begin() as conn:
                conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        finally:
            engine.dispose()

    def test_postgresql_sessions_are_utc_and_read_only_when_asked(self) -> None:
        from tests.helpers.postgres import require_postgres

        require_postgres()
        engine = create_engine(base_url(), query_timeout=90, read_only=True)
        try:
            with engine.connect() as conn:
                shown = [conn.execute(sa.text(f"SHOW {name}")).scalar() for name in (
                    "statement_timeout", "timezone", "default_transaction_read_only")]
                with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
                    conn.execute(sa.text("CREATE TEMPORARY SEQUENCE dq_ro_probe"))
        finally:
            engine.dispose()

        assert shown == ["90s", "UTC", "on"]
        assert engine.pool.size() == 5

    def test_duckdb_reserved_words_are_quoted(self, tmp_path) -> None:
        engine = create_engine(f"duckdb:///{tmp_path / 'k.duckdb'}")
        table = sa.Table("t", sa.MetaData(), sa.Column("asof", sa.Integer))
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), [{"asof": 7}])

            sql = str(sa.select(table.c.asof).compile(engine))
            value = conn.execute(sa.select(table.c.asof)).scalar()
        engine.dispose()

        assert (sql, value) == ('SELECT t."asof" \nFROM t', 7)


class TestColumnKind:
    @pytest.mark.parametrize(("type_", "kind"), [
        (sa.SmallInteger(), "integer"), (sa.Float(), "float"), (sa.Numeric(), "decimal"),
        (sa.Text(), "string"), (sa.Enum("a", "b"), "string"), (sa.LargeBinary(), "other"),
        (sa.JSON(), "other"), (sa.Uuid(), "other"), (sa.DateTime(timezone=True), "timestamp"),
    ])
    def test_types(self, type_: sa.types.TypeEngine, kind: str) -> None:
        assert column_kind(type_) == kind


class TestSqlWarehouseQueryCache:
    def test_runs_of_many_tables_keep_a_bounded_number_of_tables_alive(self, tmp_path) -> None:
        """Each run reflects its table afresh; the engine's statement cache must not keep
        every table's Table and MetaData (memory grew with the table count)."""
        import gc

        from monitor.config.models import parse_config
        from monitor.run.context import MonitorContext
        from monitor.run.runner import run_table
        from monitor.warehouse import WAREHOUSE_QUERY_CACHE

        # Arrange: 150 tables, more than the cache holds
        url = f"sqlite:///{tmp_path / 'wh.db'}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            for i in range(150):
                conn.execute(sa.text(f"CREATE TABLE t{i} (id INTEGER, amount REAL)"))
                conn.execute(sa.text(f"INSERT INTO t{i} VALUES (1, 2.5), (2, NULL)"))
        engine.dispose()
        config = parse_config({"store": f"sqlite:///{tmp_path / 'm.db'}",
                               "warehouses": {"wh": url},
                               "tables": [{"name": f"t{i}", "warehouse": "wh",
                                           "table": f"t{i}"} for i in range(150)]})
        ctx = MonitorContext(config)

        # Act
        results = [run_table(ctx, table) for table in config.tables]
        gc.collect()

        # Assert: SQLAlchemy's LRU cache trims at 1.5x its size
        cache = ctx.warehouse("wh").engine._compiled_cache
        alive = sum(isinstance(o, sa.MetaData) for o in gc.get_objects())
        assert {r.status for r in results} == {"success"}
        assert len(cache) <= 1.5 * WAREHOUSE_QUERY_CACHE
        assert alive < 1.5 * WAREHOUSE_QUERY_CACHE + 30  # 150 without the bound
        ctx.store.dispose()


class TestSqlWarehouseOnSpark:
    """The Spark warehouse's timeout (a cancelled job tag) and error mapping."""

    @pytest.fixture
    def spark_wh(self) -> Iterator[WarehouseUnderTest]:
        from tests.helpers.warehouses import spark_warehouse

        with spark_warehouse() as wh:
            yield wh

    def test_query_over_the_timeout_is_cancelled(self, spark_wh: WarehouseUnderTest) -> None:
        wh = spark_wh.warehouse(query_timeout=2.0)
        started = dt.datetime.now()

        with pytest.raises(QueryTimeout, match="statement timeout") as error, wh.connect() as c:
            wh.execute(c, sa.text("SELECT count(*) FROM range(100000000000)"))

        assert (dt.datetime.now() - started).total_seconds() < 60
        assert is_transient(error.value)

    def test_missing_table_and_column_are_not_found(self, spark_wh: WarehouseUnderTest
                                                    ) -> None:
        spark_wh.create_table("present", {"id": sa.BigInteger()})
        wh = spark_wh.warehouse()

        with pytest.raises(ObjectNotFound, match=r"does not exist \(tables there: present\)"):
            wh.describe("absent", spark_wh.schema)
        with pytest.raises(ObjectNotFound, match="nope"), wh.connect() as conn:
            wh.execute(conn, sa.text(f"SELECT nope FROM {spark_wh.qualified('present')}"))

    def test_a_failing_statement_is_terminal(self, spark_wh: WarehouseUnderTest) -> None:
        wh = spark_wh.warehouse()

        with pytest.raises(QueryFailed) as error, wh.connect() as conn:
            wh.execute(conn, sa.text("SELECT assert_true(false)"))

        assert not is_transient(error.value)
