"""A SQLAlchemy dialect for Spark SQL, on the driver of ``monitor.spark.dbapi``.

Identifiers are quoted with backticks (always: Spark resolves names without
regard to case, and its reserved words depend on ANSI mode), values are bound
as ``?`` markers, regular expressions are ``RLIKE`` (Java's regex, searched
like Python's ``re.search``), column types are Spark's. Reflection asks the
session's catalog, so temporary views (files registered as tables) are tables
too. Registered for ``spark://`` URLs by ``monitor.spark.register``.

>>> import sqlalchemy as sa
>>> t = sa.table("my table", sa.column("a b"), schema="lake")
>>> print(sa.select(sa.func.count(t.c["a b"])).where(t.c["a b"].regexp_match("^x"))
...       .compile(dialect=SparkDialect()))  # doctest: +NORMALIZE_WHITESPACE
SELECT count(`lake`.`my table`.`a b`) AS `count_1`
FROM `lake`.`my table`
WHERE `lake`.`my table`.`a b` RLIKE ?
"""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, default
from sqlalchemy.sql import compiler

from monitor.spark.session import session_settings

#: Spark type names (as the catalog spells them) -> SQLAlchemy types, by prefix.
_TYPES: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("tinyint", sa.SmallInteger()), ("smallint", sa.SmallInteger()), ("int", sa.Integer()),
    ("bigint", sa.BigInteger()), ("long", sa.BigInteger()),
    ("float", sa.Float()), ("double", sa.Double()), ("boolean", sa.Boolean()),
    ("string", sa.String()), ("varchar", sa.String()), ("char", sa.String()),
    ("timestamp", sa.DateTime()), ("date", sa.Date()), ("binary", sa.LargeBinary()),
)
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")


def spark_type(name: str) -> sa.types.TypeEngine[Any]:
    """The SQLAlchemy type of a Spark type name; NullType for arrays, maps, structs.

    >>> spark_type("decimal(10,2)"), spark_type("timestamp_ntz"), spark_type("array<int>")
    (Numeric(precision=10, scale=2), DateTime(), NullType())
    """
    lowered = name.strip().lower()
    decimal = _DECIMAL.fullmatch(lowered)
    if decimal:
        return sa.Numeric(int(decimal[1]), int(decimal[2]))
    if lowered == "decimal":
        return sa.Numeric(10, 0)
    for prefix, type_ in _TYPES:
        if lowered == prefix or (lowered.startswith(prefix) and not lowered[len(prefix)].isalpha()
                                 ) or (prefix == "timestamp" and lowered.startswith(prefix)):
            return type_
    return sa.types.NullType()


class SparkIdentifierPreparer(compiler.IdentifierPreparer):
    def __init__(self, dialect: default.DefaultDialect) -> None:
        super().__init__(dialect, initial_quote="`", escape_quote="`")

    def _requires_quotes(self, value: str) -> bool:
        return True


class SparkCompiler(compiler.SQLCompiler):
    def visit_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return f"{self.process(binary.left, **kw)} RLIKE {self.process(binary.right, **kw)}"

    def visit_not_regexp_match_op_binary(self, binary: Any, operator: Any, **kw: Any) -> str:
        return f"NOT ({self.visit_regexp_match_op_binary(binary, operator, **kw)})"


class SparkDDLCompiler(compiler.DDLCompiler):
    def visit_primary_key_constraint(self, constraint: Any, **kw: Any) -> str:
        return ""  # Spark's tables have no keys

    def visit_unique_constraint(self, constraint: Any, **kw: Any) -> str:
        return ""


class SparkTypeCompiler(compiler.GenericTypeCompiler):
    def visit_string(self, type_: Any, **kw: Any) -> str:
        return "STRING"

    visit_VARCHAR = visit_CHAR = visit_TEXT = visit_NVARCHAR = visit_NCHAR = visit_string
    visit_text = visit_unicode = visit_unicode_text = visit_string

    def visit_FLOAT(self, type_: Any, **kw: Any) -> str:
        return "DOUBLE"

    visit_REAL = visit_DOUBLE = visit_DOUBLE_PRECISION = visit_FLOAT

    def visit_DATETIME(self, type_: Any, **kw: Any) -> str:
        return "TIMESTAMP"

    visit_TIMESTAMP = visit_DATETIME

    def visit_BLOB(self, type_: Any, **kw: Any) -> str:
        return "BINARY"

    visit_large_binary = visit_BINARY = visit_VARBINARY = visit_BLOB

    def visit_uuid(self, type_: Any, **kw: Any) -> str:
        return "STRING"


class SparkDialect(default.DefaultDialect):
    """Spark SQL through a SparkSession (classic or Spark Connect)."""

    name = "spark"
    driver = "pyspark"
    paramstyle = "qmark"
    positional = True
    statement_compiler = SparkCompiler
    ddl_compiler = SparkDDLCompiler
    type_compiler_cls = SparkTypeCompiler
    preparer = SparkIdentifierPreparer
    supports_statement_cache = True
    supports_native_boolean = True
    supports_native_decimal = True
    # Spark's ``/`` divides integers into a fraction (``DIV`` truncates): ``a // b``
    # compiles to FLOOR(a / b), as SQLAlchemy does for engines whose ``/`` is exact.
    div_is_floordiv = False
    supports_alter = False
    supports_sequences = False
    supports_default_values = False
    supports_empty_insert = False
    supports_sane_rowcount = False
    supports_sane_multi_rowcount = False
    supports_multivalues_insert = True
    # One INSERT ... VALUES (...), (...) per page of rows instead of a Spark job per row.
    use_insertmanyvalues = True
    use_insertmanyvalues_wo_returning = True
    insertmanyvalues_page_size = 500
    max_identifier_length = 255
    default_paramstyle = "qmark"

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        from monitor.spark import dbapi

        return dbapi

    def create_connect_args(self, url: URL) -> tuple[list[Any], dict[str, Any]]:
        return [], session_settings(url)

    def _get_server_version_info(self, connection: Any) -> tuple[int, ...]:
        version = _spark(connection).version
        return tuple(int(p) for p in re.findall(r"\d+", version)[:3])

    def _get_default_schema_name(self, connection: Any) -> str:
        return str(_spark(connection).catalog.currentDatabase())

    def get_isolation_level(self, dbapi_connection: Any) -> str:
        return "AUTOCOMMIT"

    def do_rollback(self, dbapi_connection: Any) -> None:
        pass

    def do_commit(self, dbapi_connection: Any) -> None:
        pass

    # -- reflection through the session's catalog --------------------------------
    def get_schema_names(self, connection: Any, **kw: Any) -> list[str]:
        return [db.name for db in _spark(connection).catalog.listDatabases()]

    def has_table(self, connection: Any, table_name: str, schema: str | None = None,
                  **kw: Any) -> bool:
        return _find_table(connection, table_name, schema) is not None

    def get_table_names(self, connection: Any, schema: str | None = None,
                        **kw: Any) -> list[str]:
        return [t.name for t in _tables(connection, schema)
                if not t.isTemporary and t.tableType != "VIEW"]

    def get_view_names(self, connection: Any, schema: str | None = None,
                       **kw: Any) -> list[str]:
        return [t.name for t in _tables(connection, schema)
                if t.isTemporary or t.tableType == "VIEW"]

    def get_temp_view_names(self, connection: Any, schema: str | None = None,
                            **kw: Any) -> list[str]:
        return [t.name for t in _tables(connection, schema) if t.isTemporary]

    def get_columns(self, connection: Any, table_name: str, schema: str | None = None,
                    **kw: Any) -> list[dict[str, Any]]:
        if _find_table(connection, table_name, schema) is None:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        quote = self.identifier_preparer.quote_identifier
        name = f"{quote(schema)}.{quote(table_name)}" if schema else quote(table_name)
        columns = _spark(connection).catalog.listColumns(name)
        return [{"name": c.name, "type": spark_type(c.dataType), "type_name": c.dataType,
                 "nullable": bool(c.nullable), "default": None} for c in columns]

    def get_pk_constraint(self, connection: Any, table_name: str, schema: str | None = None,
                          **kw: Any) -> dict[str, Any]:
        return {"constrained_columns": [], "name": None}

    def get_foreign_keys(self, connection: Any, table_name: str, schema: str | None = None,
                         **kw: Any) -> list[Any]:
        return []

    def get_indexes(self, connection: Any, table_name: str, schema: str | None = None,
                    **kw: Any) -> list[Any]:
        return []

    def get_unique_constraints(self, connection: Any, table_name: str,
                               schema: str | None = None, **kw: Any) -> list[Any]:
        return []


def _spark(connection: Any) -> Any:
    """The SparkSession behind a SQLAlchemy connection."""
    return connection.connection.dbapi_connection.spark


def _tables(connection: Any, schema: str | None) -> list[Any]:
    catalog = _spark(connection).catalog
    try:
        return list(catalog.listTables(schema) if schema else catalog.listTables())
    except Exception as error:  # noqa: BLE001 - Spark's errors, as the driver's
        from monitor.spark import dbapi

        translated = dbapi.translate(error)
        if "SCHEMA_NOT_FOUND" in (translated.condition or ""):
            return []  # an unknown schema holds no tables
        raise sa.exc.DBAPIError.instance(None, None, translated, dbapi.Error) from None


def _find_table(connection: Any, table_name: str, schema: str | None) -> Any:
    for table in _tables(connection, schema):
        if table.name == table_name or (table.name.lower() == table_name.lower()):
            return table
    return None
