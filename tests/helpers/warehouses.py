"""A real warehouse per test: SQLite file, DuckDB file, a PostgreSQL schema, a
MariaDB database (MariaDB's schemas are databases) or a Spark database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from monitor.config.models import TableConfig, WarehouseConfig
from monitor.warehouse import SqlWarehouse
from tests.helpers import mariadb
from tests.helpers.postgres import base_url, temporary_schema

KINDS = ("sqlite", "duckdb", "postgresql", "mariadb")
#: KINDS and Spark, for the tests that run on Spark too (its session is shared by all).
WITH_SPARK = (*KINDS, "spark")


@dataclass
class WarehouseUnderTest:
    """Where a test's tables live, and how to build them."""

    kind: str
    url: str
    schema: str | None = None
    name: str = "wh"
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            from monitor.warehouse import create_engine

            self._engine = create_engine(self.url)
        return self._engine

    def create_table(self, table: str, columns: Mapping[str, sa.types.TypeEngine[Any]],
                     rows: Sequence[Mapping[str, Any]] = ()) -> sa.Table:
        """Create (replacing) a table with the given column types and rows."""
        meta = sa.MetaData()
        t = sa.Table(table, meta, *(sa.Column(n, ty) for n, ty in columns.items()),
                     schema=self.schema)
        with self.engine.begin() as conn:
            t.drop(conn, checkfirst=True)
            t.create(conn)
            if rows:
                conn.execute(t.insert(), [dict(r) for r in rows])
        return t

    def qualified(self, table: str) -> str:
        """The table's name quoted for this engine's SQL text (``"s"."t"``, ```s`.`t```)."""
        preparer = self.engine.dialect.identifier_preparer
        name = preparer.quote_identifier(table)
        return f"{preparer.quote_identifier(self.schema)}.{name}" if self.schema else name

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        with self.engine.begin() as conn:
            result = conn.execute(sa.text(sql), dict(params or {}))
            return result.all() if result.returns_rows else None

    def config(self, **overrides: Any) -> WarehouseConfig:
        return WarehouseConfig(url=self.url, **overrides)

    def warehouse(self, **overrides: Any) -> SqlWarehouse:
        return SqlWarehouse(self.name, self.config(**overrides))

    def table_config(self, name: str, table: str | None = None, **kw: Any) -> TableConfig:
        return TableConfig(name=name, warehouse=self.name, table=table or name,
                           schema=self.schema, **kw)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def sqlite_warehouse(tmp: Path) -> WarehouseUnderTest:
    return WarehouseUnderTest("sqlite", f"sqlite:///{tmp / 'warehouse.db'}")


def duckdb_warehouse(tmp: Path) -> WarehouseUnderTest:
    return WarehouseUnderTest("duckdb", f"duckdb:///{tmp / 'warehouse.duckdb'}")


@contextmanager
def postgres_warehouse() -> Iterator[WarehouseUnderTest]:
    """A PostgreSQL warehouse in a schema of its own, dropped afterwards."""
    with temporary_schema() as schema:
        wh = WarehouseUnderTest("postgresql", base_url(), schema=schema)
        try:
            yield wh
        finally:
            wh.dispose()


@contextmanager
def mariadb_warehouse() -> Iterator[WarehouseUnderTest]:
    """A MariaDB warehouse in a database of its own (its schema), dropped afterwards."""
    with mariadb.temporary_schema() as schema:
        wh = WarehouseUnderTest("mariadb", mariadb.base_url(), schema=schema)
        try:
            yield wh
        finally:
            wh.dispose()


@contextmanager
def spark_warehouse() -> Iterator[WarehouseUnderTest]:
    """A warehouse on the tests' shared Spark session, in a database of its own."""
    from tests.helpers import spark

    with spark.temporary_schema() as schema:
        wh = WarehouseUnderTest("spark", spark.URL, schema=schema)
        try:
            yield wh
        finally:
            wh.dispose()


@contextmanager
def warehouse_of(kind: str, tmp: Path) -> Iterator[WarehouseUnderTest]:
    """The warehouse of any kind: a file in ``tmp``, a schema on a server, or Spark."""
    if kind in ("sqlite", "duckdb"):
        wh = sqlite_warehouse(tmp) if kind == "sqlite" else duckdb_warehouse(tmp)
        try:
            yield wh
        finally:
            wh.dispose()
    elif kind == "spark":
        with spark_warehouse() as wh:
            yield wh
    else:
        with server_warehouse(kind) as wh:
            yield wh


@contextmanager
def server_warehouse(kind: str) -> Iterator[WarehouseUnderTest]:
    """The warehouse of a server kind (``postgresql`` or ``mariadb``)."""
    with (postgres_warehouse() if kind == "postgresql" else mariadb_warehouse()) as wh:
        yield wh
