"""Warehouses: engines with timeouts, reflection, and errors mapped to our tree.

>>> from monitor.config.models import WarehouseConfig
>>> wh = SqlWarehouse("mem", WarehouseConfig(url="sqlite:///:memory:"))
>>> wh.capabilities.name
'sqlite'
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from monitor.config.models import TableConfig, WarehouseConfig
from monitor.config.secrets import redact
from monitor.config.sources import TableSource
from monitor.dialects import capabilities_for, capabilities_for_url, for_server
from monitor.errors import (
    ConfigError,
    MonitorError,
    ObjectNotFound,
    QueryFailed,
    QueryTimeout,
    WarehouseError,
    WarehouseUnavailable,
)
from monitor.lake import source_problem

log = logging.getLogger(__name__)

ColumnKind = Literal["integer", "float", "decimal", "string", "timestamp", "date", "boolean",
                     "other"]


@dataclass(frozen=True)
class ColumnInfo:
    """A reflected column: its name as in the database, its type and how we profile it."""

    name: str
    type_name: str
    kind: ColumnKind
    nullable: bool = True

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("integer", "float", "decimal")

    @property
    def is_temporal(self) -> bool:
        return self.kind in ("timestamp", "date")


@dataclass(frozen=True)
class TableShape:
    """A reflected table: the SQLAlchemy Table to build queries on, and its columns."""

    schema: str | None
    name: str
    table: sa.Table
    columns: tuple[ColumnInfo, ...]

    def column(self, name: str) -> ColumnInfo:
        for col in self.columns:
            if col.name == name:
                return col
        known = ", ".join(c.name for c in self.columns)
        where = f"{self.schema}.{self.name}" if self.schema else self.name
        raise ObjectNotFound(f"column {name!r} does not exist in table {where!r} "
                             f"(columns: {known})")

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


def column_kind(type_: sa.types.TypeEngine[Any]) -> ColumnKind:
    """How a reflected SQL type is profiled."""
    if isinstance(type_, sa.Boolean):
        return "boolean"
    if isinstance(type_, sa.Float):
        return "float"
    if isinstance(type_, sa.Integer):
        return "integer"
    if isinstance(type_, sa.Numeric):
        return "decimal"
    if isinstance(type_, sa.DateTime):
        return "timestamp"
    if isinstance(type_, sa.Date):
        return "date"
    if isinstance(type_, sa.String | sa.Enum):
        return "string"
    name = type(type_).__name__.upper()
    if "UUID" in name:
        return "other"
    if any(word in name for word in ("CHAR", "TEXT", "STRING")):
        return "string"
    return "other"


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()
#: Compiled statements a warehouse engine keeps (SQLAlchemy's default is 500). Each run
#: reflects its table afresh, so its SELECTs are new statements: a cache entry keeps the
#: statement, its Table, MetaData and columns alive (about 0.4 MiB a table), and with
#: hundreds of tables on 15-minute schedules an entry is evicted before it is hit again.
#: 64 keeps what one run reuses (reflection queries) and makes memory flat in the number
#: of tables (docs/service.md, "Load check").
WAREHOUSE_QUERY_CACHE = 64


def _engine_for(config: WarehouseConfig) -> Engine:
    """One engine per URL and timeout in a process (DuckDB allows one per file)."""
    key = f"{config.url}|{config.query_timeout}|{config.connect_timeout}"
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = create_engine(config.url, query_timeout=config.query_timeout,
                                   connect_timeout=config.connect_timeout,
                                   query_cache_size=WAREHOUSE_QUERY_CACHE)
            _ENGINES[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, shutdown)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()


def create_engine(url: str, *, query_timeout: float = 300.0, connect_timeout: float = 10.0,
                  read_only: bool = False, pool_size: int = 5,
                  query_cache_size: int = 500) -> Engine:
    """A SQLAlchemy engine with timeouts set for its dialect.

    A URL that names no database, or a file whose folder cannot be created, is a
    ConfigError (the caller adds the key it came from).
    """
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as error:
        raise ConfigError(f"not a valid SQLAlchemy URL: {redact(url)!r} ({error})") from None
    backend = parsed.get_backend_name()
    caps = capabilities_for(backend)
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "query_cache_size": query_cache_size}
    connect_args: dict[str, Any] = {}
    database = caps.database_file(parsed)
    if database is not None:
        _make_folder(database)
    if caps.session_connect_args is not None:
        connect_args.update(caps.session_connect_args(
            query_timeout, read_only and caps.read_only == "session"))
    if caps.server:
        connect_args["connect_timeout"] = max(1, int(connect_timeout))
        kwargs.update(pool_size=pool_size, max_overflow=pool_size)
    if read_only and caps.read_only == "uri" and parsed.database not in (None, "", ":memory:"):
        url = f"{parsed.drivername}:///file:{Path(parsed.database).resolve()}?mode=ro&uri=true"
    if read_only and caps.read_only == "connect_arg":
        connect_args["read_only"] = True
    if caps.python_sqlite3:
        connect_args.update(timeout=max(1.0, connect_timeout), check_same_thread=False)
    try:
        engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    except ModuleNotFoundError as error:
        raise WarehouseError(f"no driver for {backend!r} URLs is installed ({error})") from None
    except sa.exc.NoSuchModuleError:
        raise ConfigError(f"unknown database type {parsed.drivername!r} in "
                          f"{redact(url)!r}") from None
    if caps.session_statement is not None:
        _set_session_on_connect(engine, caps.session_statement, query_timeout,
                                read_only and caps.read_only == "session")
    if caps.reserved_words is not None:
        preparer = engine.dialect.identifier_preparer
        preparer.reserved_words = set(preparer.reserved_words) | caps.reserved_words()
    return engine


def _set_session_on_connect(engine: Engine, statement: Callable[[str, float, bool], str],
                            timeout: float, read_only: bool) -> None:
    """Run the session settings that depend on the server's VERSION() on each new
    DB-API connection (a mysql:// URL may reach MySQL or MariaDB)."""
    @sa.event.listens_for(engine, "connect")
    def _session(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute("SELECT VERSION()")
            version = cursor.fetchone()[0]
            if isinstance(version, bytes):
                version = version.decode()
            cursor.execute(statement(str(version), timeout, read_only))
        finally:
            cursor.close()


def _make_folder(database: Path) -> None:
    if database.is_dir():
        raise ConfigError(f"{str(database)!r} is a folder, not a database file")
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"cannot create the folder {str(database.parent)!r} for the "
                          f"database file: {error.strerror or error}") from None


def cancel(conn: Connection) -> None:
    """Interrupt the statement running on ``conn`` (called from a timer thread)."""
    driver = conn.connection.driver_connection
    for method in ("cancel_safe", "cancel", "interrupt"):
        fn = getattr(driver, method, None)
        if fn is not None:
            with contextlib.suppress(Exception):
                fn()
            return


_TRANSIENT_SQLSTATE_PREFIXES = ("08", "40", "53", "57P", "58")
# 42704 undefined object (Spark: schema not found), 42K03 Spark's path not found.
_NOT_FOUND_SQLSTATES = {"42P01", "42703", "3F000", "42883", "42704", "42K03"}
_TRANSIENT_WORDS = (
    "connection refused", "could not connect", "server closed the connection",
    "terminating connection", "connection is closed", "connection reset", "broken pipe",
    "database is locked", "timeout expired", "connection timed out", "could not translate host",
    "ssl syscall", "consuming input failed", "lost synchronization", "the connection is lost",
    "could not set lock", "conflicting lock",
    # MySQL protocol (MariaDB): server gone, deadlock victim, lock wait, no free slot.
    "server has gone away", "lost connection", "deadlock found", "lock wait timeout",
    "too many connections",
)
_NOT_FOUND_WORDS = ("no such table", "no such column", "does not exist", "catalog error",
                    "doesn't exist", "unknown column", "unknown database")
#: Error numbers of the MySQL protocol that the server sends about a statement (client
#: errors, 2000 and up, are about the connection).
_SERVER_ERROR_NUMBERS = range(1000, 2000)


def classify(error: BaseException, what: str, *, timeout: float | None = None) -> MonitorError:
    """Map a driver or SQLAlchemy error to our tree, naming the object involved."""
    if isinstance(error, MonitorError):
        return error
    orig = getattr(error, "orig", None) or error
    sqlstate = getattr(orig, "sqlstate", None) or ""
    text = redact(str(orig).strip().splitlines()[0] if str(orig).strip() else repr(orig))
    lowered = str(orig).lower()
    name = type(orig).__name__
    if sqlstate == "57014" or "interrupt" in lowered or name == "InterruptException" or (
            "canceling statement" in lowered):
        limit = f" after {timeout:g}s" if timeout else ""
        return QueryTimeout(f"{what}: query cancelled{limit} (statement timeout): {text}")
    if sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES) or any(
            w in lowered for w in _TRANSIENT_WORDS) or (
            isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated):
        return WarehouseUnavailable(f"{what}: {text}")
    if sqlstate in _NOT_FOUND_SQLSTATES or name == "CatalogException" or any(
            w in lowered for w in _NOT_FOUND_WORDS):
        return ObjectNotFound(f"{what}: {text}")
    if "user-defined function raised exception" in lowered:
        # SQLite's REGEXP is Python's re: a bad pattern fails every time.
        return QueryFailed(f"{what}: {text} (an invalid regular expression?)")
    args = getattr(orig, "args", ())
    number = args[0] if args and isinstance(args[0], int) else None
    if (isinstance(error, sa.exc.OperationalError) and not sqlstate
            and number not in _SERVER_ERROR_NUMBERS):
        return WarehouseUnavailable(f"{what}: {text}")
    return QueryFailed(f"{what}: {text}")


class SqlWarehouse:
    """A warehouse reached through SQLAlchemy (SQLite, DuckDB, PostgreSQL, ...)."""

    def __init__(self, name: str, config: WarehouseConfig) -> None:
        self.name = name
        self.config = config
        self._engine: Engine | None = None
        try:
            self.capabilities = capabilities_for_url(config.url)
        except (sa.exc.ArgumentError, ValueError):
            raise ConfigError(f"warehouses.{name}: not a valid SQLAlchemy URL: "
                              f"{redact(config.url)!r}") from None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            try:
                self._engine = _engine_for(self.config)
            except ConfigError as error:
                raise ConfigError(f"warehouses.{self.name}: {error}") from None
        return self._engine

    @contextlib.contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection; failures to connect become WarehouseUnavailable."""
        try:
            conn = self.engine.connect()
        except sa.exc.SQLAlchemyError as error:
            raise WarehouseUnavailable(
                f"warehouse {self.name!r}: cannot connect: "
                f"{redact(str(getattr(error, 'orig', None) or error))}".splitlines()[0]
            ) from None
        # The server may be another member of the URL's family (MariaDB for mysql://).
        self.capabilities = for_server(self.capabilities, conn.dialect)
        try:
            yield conn
        finally:
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                conn.close()

    def execute(self, conn: Connection, statement: sa.Executable,
                params: dict[str, Any] | None = None, *, what: str | None = None
                ) -> sa.CursorResult[Any]:
        """Run one statement under the warehouse's query timeout."""
        timeout = self.config.query_timeout
        timer = threading.Timer(timeout + (1.0 if self.capabilities.server_statement_timeout
                                           else 0.0), cancel, args=(conn,))
        timer.daemon = True
        timer.start()
        try:
            result = conn.execute(statement, params or {})
            # Buffer the rows inside the timed window so a slow fetch is cancelled too.
            return result.freeze()() if result.returns_rows else result
        except sa.exc.SQLAlchemyError as error:
            raise classify(error, what or f"warehouse {self.name!r}", timeout=timeout) from None
        finally:
            timer.cancel()

    def describe(self, table: str | TableSource, schema: str | None = None) -> TableShape:
        """Reflect a table's columns; ObjectNotFound names what is missing and what exists.

        Files (a ``TableSource``) are first registered as a view, where the engine can.
        """
        where = f"{schema}.{table}" if schema else str(table)
        try:
            with self.connect() as conn:
                if isinstance(table, TableSource):
                    table = self._register_source(conn, table)
                if self.capabilities.reflection == "information_schema":
                    columns = _information_schema_columns(self, conn, table, schema)
                else:
                    columns = sa.inspect(conn).get_columns(table, schema=schema)
        except sa.exc.NoSuchTableError:
            raise ObjectNotFound(self._missing_table_message(table, schema)) from None
        except sa.exc.SQLAlchemyError as error:
            raise classify(error, f"warehouse {self.name!r}, table {where!r}") from None
        if not columns:
            raise ObjectNotFound(self._missing_table_message(table, schema))
        boolean = self.capabilities.is_boolean_type
        infos = tuple(
            ColumnInfo(name=c["name"], type_name=c.get("type_name") or str(c["type"]),
                       kind="boolean" if boolean and boolean(c["type"])
                       else column_kind(c["type"]),
                       nullable=bool(c.get("nullable", True)))
            for c in columns
        )
        sa_table = sa.Table(table, sa.MetaData(), *(sa.Column(c["name"], c["type"])
                                                    for c in columns), schema=schema)
        return TableShape(schema=schema, name=table, table=sa_table, columns=infos)

    def describe_table(self, table: TableConfig) -> TableShape:
        """Reflect a configured table: by name, or its files.

        Files are a view named after the table on engines that attach them to every
        connection (DuckDB, ``monitor.lake``), else registered here (Spark).
        """
        if isinstance(table.table, TableSource) and self.capabilities.register_source:
            return self.describe(table.table)
        return self.describe(table.relation, table.schema)

    def _register_source(self, conn: Connection, source: TableSource) -> str:
        if self.capabilities.register_source is None:
            engine = self.capabilities.title or self.capabilities.name
            raise ConfigError(f"warehouse {self.name!r}: {engine} cannot read files as a "
                              f"table ({source})")
        return self.capabilities.register_source(conn, source)

    def table_names(self, schema: str | None = None) -> list[str]:
        try:
            with self.connect() as conn:
                return sorted(sa.inspect(conn).get_table_names(schema=schema))
        except sa.exc.SQLAlchemyError as error:
            raise classify(error, f"warehouse {self.name!r}") from None

    def _missing_table_message(self, table: str, schema: str | None) -> str:
        where = f"{schema}.{table}" if schema else table
        problem = source_problem(self.engine, table) if schema is None else None
        if problem:
            return f"warehouse {self.name!r}: table {where!r}: {problem}"
        try:
            names = self.table_names(schema)
        except MonitorError:
            names = []
        hint = f" (tables there: {', '.join(names[:20])})" if names else ""
        return f"warehouse {self.name!r}: table {where!r} does not exist{hint}"


_INFO_TYPES: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"), sa.DateTime(timezone=True)),
    (("TIMESTAMP", "DATETIME"), sa.DateTime()),
    (("DATE",), sa.Date()),
    (("BOOL",), sa.Boolean()),
    (("DOUBLE", "FLOAT", "REAL"), sa.Double()),
    (("DECIMAL", "NUMERIC"), sa.Numeric()),
    (("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
      "UINTEGER", "UBIGINT", "INT"), sa.BigInteger()),
    (("VARCHAR", "TEXT", "STRING", "CHAR"), sa.String()),
)


def _type_from_name(type_name: str) -> sa.types.TypeEngine[Any]:
    upper = type_name.upper()
    for prefixes, type_ in _INFO_TYPES:
        if upper.startswith(prefixes):
            return type_
    return sa.types.NullType()


def _information_schema_columns(warehouse: SqlWarehouse, conn: Connection, table: str,
                                schema: str | None) -> list[dict[str, Any]]:
    cols = sa.table("columns", sa.column("table_schema"), sa.column("table_name"),
                    sa.column("column_name"), sa.column("data_type"),
                    sa.column("is_nullable"), sa.column("ordinal_position"),
                    schema="information_schema")
    schema_expr = sa.literal(schema) if schema else sa.func.current_schema()
    query = (sa.select(cols.c.column_name, cols.c.data_type, cols.c.is_nullable)
             .where(cols.c.table_name == table, cols.c.table_schema == schema_expr)
             .order_by(cols.c.ordinal_position))
    rows = warehouse.execute(conn, query, what=f"columns of {table!r}").all()
    return [{"name": name, "type": _type_from_name(str(data_type)),
             "type_name": str(data_type), "nullable": nullable == "YES"}
            for name, data_type, nullable in rows]


def open_warehouses(configs: dict[str, WarehouseConfig],
                    resolve: Any = None) -> dict[str, SqlWarehouse]:
    """Warehouse objects for every configured name (engines open lazily)."""
    out = {}
    for name, cfg in configs.items():
        if resolve is not None:
            cfg = cfg.model_copy(update={"url": resolve(cfg.url)})
        out[name] = SqlWarehouse(name, cfg)
    return out


def quoted(shape: TableShape, columns: Sequence[str]) -> list[sa.ColumnElement[Any]]:
    """Column objects of a reflected table (SQLAlchemy quotes them when it renders)."""
    return [shape.table.c[name] for name in columns]
