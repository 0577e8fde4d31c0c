"""What each SQL dialect can do, in one place.

Generic code asks a ``Capabilities`` object; nothing else in the package says
``if dialect == ...`` (tests/test_dialects.py fails on such a comparison
anywhere else). Every difference is a flag or a value of one instance per
dialect in ``_CAPABILITIES``; the methods read those values, never the name.
Expressions are SQLAlchemy Core, so identifiers are quoted by SQLAlchemy and
values are bound as parameters.

>>> capabilities_for("duckdb").approx_distinct
'native'
>>> capabilities_for("postgresql").approx_distinct
'planner_statistics'
>>> capabilities_for_url("sqlite:///w.db").database_file("sqlite:///w.db")
PosixPath('w.db')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from monitor.spark import sources as spark_sources

Granularity = Literal["hour", "day"]
# "planner_statistics": no approximate aggregate, but the planner's statistics
# (PostgreSQL's pg_stats n_distinct, kept by ANALYZE) give an estimate for free.
ApproxDistinct = Literal["native", "planner_statistics", "none"]
# How a connection is made read-only: a server session setting, a URI mode on
# the file, or an argument of the driver's connect().
ReadOnly = Literal["session", "uri", "connect_arg"]
Reflection = Literal["inspector", "information_schema"]
# How ``serve`` replicas on one store elect the one that schedules: a lock held by a
# session (PostgreSQL's advisory locks: freed when the session ends).
SessionLock = Literal["advisory"]

_POS_INF = float("inf")
_NEG_INF = float("-inf")


def _inf(value: float) -> ColumnElement[Any]:
    return sa.literal(value, sa.Double)


@dataclass(frozen=True)
class Capabilities:
    """Dialect differences as data (one instance per dialect), consulted by generic code."""

    name: str
    approx_distinct: ApproxDistinct
    has_stddev: bool
    has_percentile: bool
    has_regex: bool
    server_statement_timeout: bool
    floats_hold_nan: bool
    timestamps_are_text: bool
    # False where storage ignores the declared size: SQLite keeps every integer in 64
    # bits and every float in 8 bytes, and every decimal as an 8-byte float.
    sized_types: bool = True
    exact_decimals: bool = True
    #: False where a float column cannot store +-infinity (MariaDB/MySQL reject them, and
    #: PyMySQL cannot even bind one): finiteness is then just "not NULL".
    floats_hold_infinity: bool = True
    _approx_distinct_fn: Callable[[ColumnElement[Any]], ColumnElement[Any]] | None = None
    #: count(DISTINCT) keeps the whole aggregate serial (PostgreSQL plans no partial
    #: aggregate for it), so a scan computes exact distinct counts in a branch apart.
    distinct_apart: bool = False
    #: GROUP BY GROUPING SETS: a scan's totals and per-segment rows in one pass.
    grouping_sets: bool = False
    #: Statements that make what follows on a connection read-only, and undo it (None:
    #: it ends with the transaction); for the config's own SQL (segment expressions).
    read_only_statements: tuple[str, str | None] | None = None
    #: Collation text is compared in for distinct counts (None: the column's own).
    distinct_collation: str | None = None
    #: Collation a regex is matched under, where the column's own would fold case.
    regex_collation: str | None = None
    # -- expressions: SQL function names where the portable form is not used --
    finite_function: str | None = None  # else a range test (PostgreSQL orders NaN above +inf)
    nan_function: str | None = None  # else ``x = 'NaN'`` where floats hold NaN
    length_function: str = "length"  # characters, not bytes
    #: Start of the hour or day of a time column; None: ``date_trunc('hour', x)``.
    _bucket_fn: Callable[[ColumnElement[Any], Granularity], ColumnElement[Any]] | None = None
    # -- connections ---------------------------------------------------------
    server: bool = False  # reached over the network: credentials, pool, connect timeout
    file_database: bool = False  # the URL's database is a local file path
    python_sqlite3: bool = False  # driven by Python's sqlite3 (busy timeout, any thread)
    read_only: ReadOnly | None = None
    session_lock: SessionLock | None = None  # None: no leader election on this store
    #: The driver's connect() arguments that set the server's statement timeout (seconds),
    #: the session's time zone to UTC, and read-only sessions where asked for.
    session_connect_args: Callable[[float, bool], dict[str, Any]] | None = None
    #: Settings that depend on the server reached, run on each new connection:
    #: ``(server VERSION(), timeout, read_only) -> statement`` (a mysql:// URL on MariaDB).
    session_statement: Callable[[str, float, bool], str] | None = None
    # DuckDB's reserved words beyond what its SQLAlchemy dialect knows, to quote them.
    reserved_words: Callable[[], set[str]] | None = None
    # -- reflection, writes, Great Expectations --------------------------------
    reflection: Reflection = "inspector"
    #: True for a reflected type that is a boolean column (MariaDB's BOOLEAN is TINYINT(1)).
    is_boolean_type: Callable[[sa.types.TypeEngine[Any]], bool] | None = None
    #: An INSERT that replaces rows by primary key: ``(table, keys, columns) -> statement``
    #: for rows of those columns; None: delete each key, then insert.
    upsert_statement: Callable[[sa.Table, Sequence[str], Sequence[str]], Any] | None = None
    gx_data_source: str | None = None  # the GX ``data_sources.add_*`` method, None: no GX
    gx_unsupported: str | None = None  # why GX cannot validate this dialect, if known
    title: str = ""  # the name as messages spell it ("DuckDB"); empty: ``name``
    #: The optional Python module that provides the SQLAlchemy dialect (None: built in or core).
    driver_module: str | None = None
    #: Only compiled in tests, never executed (docs/engines.md): the cloud warehouses.
    compiled_only: bool = False
    #: Free text for docs/engines.md: the quantile aggregate and how a statement timeout
    #: is set, where dq-monitor does not use them yet.
    quantile_function: str | None = None
    timeout_setting: str | None = None
    #: Reads Parquet/CSV/JSON files as tables (``table: {path: ...}``, ``monitor.lake``).
    reads_files: bool = False
    #: Where the engine keeps row counts and change times of a table, read without a
    #: scan (``monitor.metrics.metadata``): a query kind there; None: it keeps none.
    table_metadata: str | None = None
    #: Statements that make the next statements of a connection read-only (custom SQL
    #: metrics), and those that undo it afterwards; none: a rolled-back transaction only.
    read_only_begin: tuple[str, ...] = ()
    read_only_end: tuple[str, ...] = ()
    #: The aggregate computing several quantiles of a number in one call, as one array
    #: (``(value, fractions) -> expression``); None: quantiles are read from a ranked,
    #: read-limited statement instead (``monitor.metrics.distribution``).
    _quantiles_fn: Callable[[ColumnElement[Any], Sequence[float]], ColumnElement[Any]] | None = None
    #: True where ``_quantiles_fn`` is exact (linear interpolation, as ``np.quantile``).
    quantiles_exact: bool = True
    #: Registers files (a ``TableSource``) as a view on a connection and returns the
    #: view's name: ``(connection, source) -> name``; None: files are not tables here.
    register_source: Callable[[Connection, Any], str] | None = None
    #: Recursive CTEs with LATERAL: "the newest row of each series" as a walk down an
    #: index, one seek per series (``monitor.store.dashboard``), not a grouped scan.
    index_walk: bool = False
    #: The scheme of OpenLineage dataset namespaces ("Naming conventions"); None: ``name``.
    lineage_scheme: str | None = None

    def database_file(self, url: str | URL) -> Path | None:
        """The local database file a URL names, or None (a server, memory, a ``file:`` URI)."""
        if not self.file_database:
            return None
        database = sa.engine.make_url(url).database or ""
        if not database or database.startswith((":memory:", "file:")):
            return None
        return Path(database)

    # -- numbers -----------------------------------------------------------
    def finite(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """True where a float value is neither NaN nor +-infinity (NULL stays NULL)."""
        if not (self.floats_hold_nan or self.floats_hold_infinity):
            return column.is_not(None)
        if self.finite_function:
            return getattr(sa.func, self.finite_function)(column)
        # PostgreSQL orders NaN above +inf, so the range test excludes it too;
        # SQLite cannot store NaN at all.
        return sa.and_(column > _inf(_NEG_INF), column < _inf(_POS_INF))

    def is_nan(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        """Expression true for NaN, or None where the engine cannot store NaN (SQLite)."""
        if not self.floats_hold_nan:
            return None
        if self.nan_function:
            return getattr(sa.func, self.nan_function)(column)
        return column == sa.literal(float("nan"), sa.Double)

    def is_infinite(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        if not self.floats_hold_infinity:
            return sa.false()
        return sa.or_(column == _inf(_POS_INF), column == _inf(_NEG_INF))

    def approx_count_distinct(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        """A native approximate distinct aggregate, or None."""
        return self._approx_distinct_fn(column) if self._approx_distinct_fn else None

    @property
    def quantiles_in_plan(self) -> bool:
        """True where quantiles are one aggregate of the profile's plan (``quantiles``)."""
        return self._quantiles_fn is not None

    def quantiles(self, value: ColumnElement[Any],
                  fractions: Sequence[float]) -> ColumnElement[Any] | None:
        """One aggregate giving the quantiles of ``value`` at ``fractions`` as an array,
        or None where the engine has no such aggregate (SQLite, MariaDB)."""
        return self._quantiles_fn(value, fractions) if self._quantiles_fn else None

    # -- text --------------------------------------------------------------
    def regex_match(self, column: ColumnElement[Any], pattern: str) -> ColumnElement[bool]:
        """``column`` matches ``pattern``, case-sensitively (as Python's ``re``) everywhere."""
        if self.regex_collation:
            column = sa.collate(column, self.regex_collation)
        return column.regexp_match(pattern)

    def length(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        return getattr(sa.func, self.length_function)(column)

    # -- time --------------------------------------------------------------
    def timestamp(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        """The column in a form that compares and sorts correctly as a time."""
        if self.timestamps_are_text:
            # SQLite keeps datetimes as text in several layouts ('T' or ' ');
            # normalising makes min/max and range filters agree.
            return sa.func.strftime("%Y-%m-%d %H:%M:%f", column)
        return column

    def bind_timestamp(self, value: Any) -> ColumnElement[Any]:
        """A bound time value comparable with ``timestamp(column)``."""
        if self.timestamps_are_text:
            return sa.literal(value.strftime("%Y-%m-%d %H:%M:%S.000"), sa.String)
        return sa.literal(value.replace(tzinfo=None), sa.DateTime)

    def at_or_after(self, column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
        """``column >= value`` for a time column, written so an index on it can be used."""
        exact = self.timestamp(column) >= self.bind_timestamp(value)
        if not self.timestamps_are_text:
            return exact
        # strftime() hides the column from SQLite's index; a raw text comparison
        # against the previous day is a superset for every ISO layout and uses it.
        day_before = (value - dt.timedelta(days=1)).strftime("%Y-%m-%d")
        return sa.and_(column >= sa.literal(day_before, sa.String), exact)

    def before(self, column: ColumnElement[Any], value: Any) -> ColumnElement[bool]:
        """``column < value`` for a time column, written so an index on it can be used."""
        exact = self.timestamp(column) < self.bind_timestamp(value)
        if not self.timestamps_are_text:
            return exact
        day_after = (value + dt.timedelta(days=2)).strftime("%Y-%m-%d")
        return sa.and_(column < sa.literal(day_after, sa.String), exact)

    def bucket(self, column: ColumnElement[Any], granularity: Granularity) -> ColumnElement[Any]:
        """Start of the hour or day of a time column."""
        if self.timestamps_are_text:
            fmt = "%Y-%m-%d %H:00:00" if granularity == "hour" else "%Y-%m-%d 00:00:00"
            return sa.func.strftime(fmt, column)
        assert granularity in ("hour", "day")
        if self._bucket_fn is not None:
            return self._bucket_fn(column, granularity)
        return sa.func.date_trunc(sa.literal_column(f"'{granularity}'"), column)


def _duckdb_reserved_words() -> set[str]:
    """DuckDB's reserved words (``asof``, ``pivot``, ...); duckdb-engine inherits
    PostgreSQL's list, which misses DuckDB's additions."""
    import duckdb

    try:
        rows = duckdb.sql("SELECT keyword_name FROM duckdb_keywords() "
                          "WHERE keyword_category <> 'unreserved'").fetchall()
    except duckdb.Error:  # pragma: no cover - very old DuckDB
        return set()
    return {str(row[0]).lower() for row in rows}


def _postgres_session(timeout: float, read_only: bool) -> dict[str, Any]:
    options = f"-c statement_timeout={int(timeout * 1000)} -c timezone=UTC"
    if read_only:
        options += " -c default_transaction_read_only=on"
    return {"options": options}


def _mariadb_command(timeout: float, read_only: bool) -> str:
    # max_statement_time is in seconds (MariaDB 10.1+) and stops any statement.
    command = f"SET SESSION max_statement_time={timeout:g}, time_zone='+00:00'"
    if read_only:
        command += ", tx_read_only=1"  # MariaDB 11.1 adds transaction_read_only
    return command


def _mysql_command(timeout: float, read_only: bool) -> str:
    # MySQL's max_execution_time is in milliseconds and stops SELECTs only.
    command = f"SET SESSION max_execution_time={int(timeout * 1000)}, time_zone='+00:00'"
    if read_only:
        command += ", transaction_read_only=1"
    return command


def _mariadb_session(timeout: float, read_only: bool) -> dict[str, Any]:
    return {"init_command": _mariadb_command(timeout, read_only), "charset": "utf8mb4"}


def _mysql_session(timeout: float, read_only: bool) -> dict[str, Any]:
    # No init_command: which variables exist depends on the server a mysql:// URL
    # reaches, MySQL or MariaDB (``session_statement``).
    return {"charset": "utf8mb4"}


def session_statement_for_server(version: str, timeout: float, read_only: bool) -> str:
    """The session settings for the server a ``mysql://`` URL reached, by its
    ``VERSION()``: MariaDB refuses MySQL's ``max_execution_time``.

    >>> session_statement_for_server("10.11.19-MariaDB-0+deb12u1", 2.5, False)
    "SET SESSION max_statement_time=2.5, time_zone='+00:00'"
    >>> session_statement_for_server("8.0.36", 2.5, False)
    "SET SESSION max_execution_time=2500, time_zone='+00:00'"
    """
    if "mariadb" in version.lower():
        return _mariadb_command(timeout, read_only)
    return _mysql_command(timeout, read_only)


def _on_conflict(insert: Callable[[sa.Table], Any]
                 ) -> Callable[[sa.Table, Sequence[str], Sequence[str]], Any]:
    """``INSERT ... ON CONFLICT (keys) DO UPDATE`` (SQLite, PostgreSQL)."""
    def statement(table: sa.Table, keys: Sequence[str], columns: Sequence[str]) -> Any:
        stmt = insert(table)
        updates = {c: stmt.excluded[c] for c in columns if c not in keys}
        if not updates:
            return stmt.on_conflict_do_nothing(index_elements=list(keys))
        return stmt.on_conflict_do_update(index_elements=list(keys), set_=updates)
    return statement


def _on_duplicate_key(table: sa.Table, keys: Sequence[str], columns: Sequence[str]) -> Any:
    """``INSERT ... ON DUPLICATE KEY UPDATE`` (MariaDB, MySQL): fires on any unique key,
    so it replaces by primary key only where the table has no other unique key."""
    stmt = mysql.insert(table)
    updates = {c: stmt.inserted[c] for c in columns if c not in keys}
    # Setting a key to itself is how MySQL spells "do nothing" without INSERT IGNORE,
    # which would also swallow errors that are not duplicates.
    return stmt.on_duplicate_key_update(updates or {keys[0]: table.c[keys[0]]})


def _mariadb_bucket(column: ColumnElement[Any], granularity: Granularity) -> ColumnElement[Any]:
    # No date_trunc: format the start of the hour or day, and read it back as a DATETIME.
    fmt = "%Y-%m-%d %H:00:00" if granularity == "hour" else "%Y-%m-%d 00:00:00"
    return sa.cast(sa.func.date_format(column, sa.literal_column(f"'{fmt}'")), sa.DateTime)



def _fractions_literal(fractions: Sequence[float]) -> ColumnElement[Any]:
    # The fractions are the package's own constants (never user input): a list literal.
    return sa.literal_column("[" + ", ".join(f"{float(f)!r}" for f in fractions) + "]")


def _duckdb_quantiles(value: ColumnElement[Any], fractions: Sequence[float]
                      ) -> ColumnElement[Any]:
    return sa.func.quantile_cont(value, _fractions_literal(fractions))


def _postgres_quantiles(value: ColumnElement[Any], fractions: Sequence[float]
                        ) -> ColumnElement[Any]:
    array = sa.literal([float(f) for f in fractions], postgresql.ARRAY(sa.Double))
    return sa.func.percentile_cont(array).within_group(value)


def _mariadb_boolean(type_: sa.types.TypeEngine[Any]) -> bool:
    return isinstance(type_, mysql.TINYINT) and type_.display_width == 1


# -- column types and table options of the metric store ---------------------------
_MYSQL_FAMILY = ("mysql", "mariadb")


def precise_time() -> sa.types.TypeEngine[Any]:
    """A naive time to the microsecond on every dialect (MariaDB's DATETIME drops fractions).

    >>> from sqlalchemy.dialects import mysql
    >>> print(precise_time().compile(dialect=mysql.dialect()))
    DATETIME(6)
    """
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), *_MYSQL_FAMILY)


def long_text() -> sa.types.TypeEngine[Any]:
    """Text of any length (MariaDB's TEXT stops at 64 KiB; MEDIUMTEXT holds 16 MiB)."""
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), *_MYSQL_FAMILY)


#: Table options that make text keys compare as bytes where the default collation does
#: not (MariaDB's utf8mb4_general_ci folds case and ignores trailing spaces, so 'Orders'
#: and 'orders ' would be one key). Other dialects ignore them.
BINARY_TEXT_TABLE_OPTIONS: dict[str, str] = {
    "mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin",
    "mariadb_charset": "utf8mb4", "mariadb_collate": "utf8mb4_nopad_bin",
}


_GX_DUCKDB = "its SQL data source fails on every metric"

_CAPABILITIES = {
    "sqlite": Capabilities(
        name="sqlite",
        approx_distinct="none",
        has_stddev=False,
        has_percentile=False,
        quantile_function="none: a ranked read (row_number() OVER) gives exact quantiles",
        has_regex=True,  # pysqlite: SQLAlchemy registers a Python REGEXP function
        server_statement_timeout=False,
        floats_hold_nan=False,
        timestamps_are_text=True,
        sized_types=False,
        exact_decimals=False,
        file_database=True,
        python_sqlite3=True,
        read_only="uri",
        read_only_statements=("PRAGMA query_only = ON", "PRAGMA query_only = OFF"),
        upsert_statement=_on_conflict(sqlite.insert),
        gx_data_source="add_sqlite",
        title="SQLite",
        read_only_begin=("PRAGMA query_only = ON",),
        read_only_end=("PRAGMA query_only = OFF",),
    ),
    "duckdb": Capabilities(
        name="duckdb",
        approx_distinct="native",
        has_stddev=True,
        has_percentile=True,
        has_regex=True,
        server_statement_timeout=False,
        floats_hold_nan=True,
        timestamps_are_text=False,
        _approx_distinct_fn=sa.func.approx_count_distinct,
        finite_function="isfinite",
        nan_function="isnan",
        grouping_sets=True,
        file_database=True,
        read_only="connect_arg",
        reserved_words=_duckdb_reserved_words,
        driver_module="duckdb_engine",
        # duckdb-engine's inspector queries pg_catalog tables that DuckDB 2 no
        # longer has; information_schema is standard.
        reflection="information_schema",
        quantile_function="quantile_cont(x, [p, ...]) (exact)",
        _quantiles_fn=_duckdb_quantiles,
        gx_unsupported=_GX_DUCKDB,
        title="DuckDB",
        reads_files=True,
    ),
    "postgresql": Capabilities(
        name="postgresql",
        lineage_scheme="postgres",
        index_walk=True,
        approx_distinct="planner_statistics",
        has_stddev=True,
        has_percentile=True,
        has_regex=True,
        server_statement_timeout=True,
        floats_hold_nan=True,
        timestamps_are_text=False,
        distinct_apart=True,
        grouping_sets=True,
        distinct_collation="C",
        length_function="char_length",
        server=True,
        read_only="session",
        read_only_statements=("SET TRANSACTION READ ONLY", None),
        session_lock="advisory",
        session_connect_args=_postgres_session,
        quantile_function="percentile_cont(ARRAY[p, ...]) WITHIN GROUP (ORDER BY x) (exact)",
        _quantiles_fn=_postgres_quantiles,
        upsert_statement=_on_conflict(postgresql.insert),
        gx_data_source="add_postgres",
        title="PostgreSQL",
        table_metadata="pg_stat",
        read_only_begin=("SET TRANSACTION READ ONLY",),
    ),
}

_CAPABILITIES["mariadb"] = Capabilities(
    name="mariadb",
    lineage_scheme="mysql",
    approx_distinct="none",
    has_stddev=True,
    has_percentile=False,  # PERCENTILE_CONT is a window function only, not an aggregate
    quantile_function="none: a ranked read (row_number() OVER) gives exact quantiles",
    has_regex=True,  # REGEXP (PCRE); its case follows the column's collation
    server_statement_timeout=True,
    floats_hold_nan=False,
    floats_hold_infinity=False,
    timestamps_are_text=False,
    # NO PAD binary collation: equal means equal bytes, trailing spaces included, as
    # PostgreSQL's "C" (the default utf8mb4_general_ci folds case and pads).
    distinct_collation="utf8mb4_nopad_bin",
    # REGEXP follows the collation: under utf8mb4_general_ci '^abc$' matches 'ABC'.
    regex_collation="utf8mb4_nopad_bin",
    length_function="char_length",
    _bucket_fn=_mariadb_bucket,
    is_boolean_type=_mariadb_boolean,
    server=True,
    read_only="session",
    read_only_statements=("SET TRANSACTION READ ONLY", None),
    session_connect_args=_mariadb_session,
    upsert_statement=_on_duplicate_key,
    driver_module="pymysql",
    gx_unsupported="not tested with Great Expectations",
    title="MariaDB",
    table_metadata="information_schema_tables",
    # Before the transaction begins (it begins with the next statement): that one is read-only.
    read_only_begin=("SET TRANSACTION READ ONLY",),
)
_CAPABILITIES["spark"] = Capabilities(
    name="spark",
    approx_distinct="native",  # HyperLogLog++
    _approx_distinct_fn=sa.func.approx_count_distinct,
    has_stddev=True,
    has_percentile=True,
    # Not used: percentile_approx is approximate, so quantiles are the exact ranked read.
    quantile_function="percentile_approx",
    has_regex=True,  # RLIKE (Java regex)
    grouping_sets=True,
    # No read-only transaction or session setting in Spark (ROLLBACK is a no-op):
    # read_only_statements and read_only_begin stay empty (docs/engines.md).
    # No statement timeout in Spark: the warehouse's timer cancels the statement's
    # job group (monitor.spark.dbapi), which fails it with SQLSTATE 57014.
    server_statement_timeout=False,
    timeout_setting="none: the statement's Spark job group is cancelled",
    floats_hold_nan=True,
    nan_function="isnan",
    timestamps_are_text=False,
    register_source=spark_sources.register_source,
    driver_module="pyspark",
    gx_unsupported="not tested with Great Expectations",
    title="Apache Spark",
)
# MySQL 8 speaks the same SQL; tests run on MariaDB only (docs/engines.md).
_CAPABILITIES["mysql"] = replace(
    _CAPABILITIES["mariadb"], name="mysql", distinct_collation="utf8mb4_0900_bin",
    regex_collation="utf8mb4_0900_bin",
    session_connect_args=_mysql_session, session_statement=session_statement_for_server,
    title="MySQL")


# -- cloud warehouses: compiled in tests, never executed (docs/engines.md) -----------
class _approximate_count_distinct(FunctionElement[Any]):
    """Redshift's ``APPROXIMATE COUNT(DISTINCT x)`` (HyperLogLog), which is not a call."""

    inherit_cache = True
    type = sa.BigInteger()


@compiles(_approximate_count_distinct)
def _render_approximate_count(element: _approximate_count_distinct, compiler: Any,
                              **kw: Any) -> str:
    return f"APPROXIMATE COUNT(DISTINCT {compiler.process(element.clauses, **kw)})"


def _bigquery_bucket(column: ColumnElement[Any], granularity: Granularity) -> ColumnElement[Any]:
    # BigQuery's date part is a keyword argument after the value, not a string before it.
    return sa.func.timestamp_trunc(column, sa.literal_column(granularity.upper()))


_CLOUD = {
    "snowflake": Capabilities(
        name="snowflake", title="Snowflake", compiled_only=True,
        approx_distinct="native", _approx_distinct_fn=sa.func.approx_count_distinct,
        has_stddev=True, has_percentile=True, quantile_function="APPROX_PERCENTILE",
        has_regex=True,  # REGEXP_LIKE
        server_statement_timeout=True,
        timeout_setting="ALTER SESSION SET STATEMENT_TIMEOUT_IN_SECONDS = n",
        floats_hold_nan=True, timestamps_are_text=False, server=True,
        table_metadata="information_schema_row_count"),
    "bigquery": Capabilities(
        name="bigquery", title="BigQuery", compiled_only=True,
        approx_distinct="native", _approx_distinct_fn=sa.func.approx_count_distinct,
        has_stddev=True, has_percentile=True, quantile_function="APPROX_QUANTILES",
        has_regex=True,  # REGEXP_CONTAINS
        server_statement_timeout=False,
        timeout_setting="the job's job_timeout_ms (a client setting, no SQL)",
        floats_hold_nan=True, nan_function="is_nan", timestamps_are_text=False,
        _bucket_fn=_bigquery_bucket, server=True, table_metadata="dataset_tables"),
    "trino": Capabilities(
        name="trino", title="Trino", compiled_only=True,
        approx_distinct="native", _approx_distinct_fn=sa.func.approx_distinct,
        has_stddev=True, has_percentile=True, quantile_function="approx_percentile",
        # regexp_like exists, but the trino package's SQLAlchemy compiler refuses
        # regexp_match(), which the suite pushdown uses.
        has_regex=False,
        server_statement_timeout=False,
        timeout_setting="session property query_max_execution_time",
        floats_hold_nan=True, finite_function="is_finite", nan_function="is_nan",
        timestamps_are_text=False, server=True),
    "databricks": Capabilities(
        name="databricks", title="Databricks SQL", compiled_only=True,
        approx_distinct="native", _approx_distinct_fn=sa.func.approx_count_distinct,
        has_stddev=True, has_percentile=True, quantile_function="percentile_approx",
        has_regex=True,  # RLIKE
        server_statement_timeout=False,
        timeout_setting="SET STATEMENT_TIMEOUT = n (seconds)",
        floats_hold_nan=True, nan_function="isnan", timestamps_are_text=False,
        server=True),
    "redshift": Capabilities(
        name="redshift", title="Amazon Redshift", compiled_only=True,
        approx_distinct="native", _approx_distinct_fn=_approximate_count_distinct,
        has_stddev=True, has_percentile=True,
        quantile_function="APPROXIMATE PERCENTILE_DISC(p) WITHIN GROUP (ORDER BY x)",
        has_regex=True,  # the ~ operator, as PostgreSQL
        server_statement_timeout=True, timeout_setting="SET statement_timeout = ms",
        floats_hold_nan=True, timestamps_are_text=False, length_function="char_length",
        server=True),
}
# Their SQLAlchemy packages are the extra ``cloud`` (not named by ``driver_module``:
# dq-monitor does not connect to them yet).
_CAPABILITIES.update(_CLOUD)


def capabilities_for(dialect_name: str) -> Capabilities:
    """Capabilities of a SQLAlchemy dialect name; unknown dialects get a portable subset."""
    known = _CAPABILITIES.get(dialect_name)
    if known:
        return known
    return Capabilities(
        name=dialect_name,
        approx_distinct="none",
        has_stddev=True,
        has_percentile=False,
        has_regex=False,
        server_statement_timeout=False,
        floats_hold_nan=False,
        timestamps_are_text=False,
    )


def capabilities_for_url(url: str | URL) -> Capabilities:
    """Capabilities of the dialect a SQLAlchemy URL names (ArgumentError if it is none)."""
    return capabilities_for(sa.engine.make_url(url).get_backend_name())


def capabilities_of(bind: Connection | Engine) -> Capabilities:
    """Capabilities of the dialect of an open connection or an engine."""
    return for_server(capabilities_for(bind.dialect.name), bind.dialect)


def for_server(caps: Capabilities, dialect: Dialect) -> Capabilities:
    """The capabilities of the server a dialect connected to: a ``mysql://`` URL that
    reached a MariaDB server (SQLAlchemy's ``is_mariadb``, set on connecting) is MariaDB.

    >>> from sqlalchemy.dialects import mysql
    >>> dialect = mysql.dialect()
    >>> dialect.is_mariadb = True
    >>> for_server(capabilities_for("mysql"), dialect).name
    'mariadb'
    """
    if caps.name == "mysql" and getattr(dialect, "is_mariadb", False):
        return _CAPABILITIES["mariadb"]
    return caps


def file_url_prefixes() -> tuple[str, ...]:
    """``sqlite:///``, ``duckdb:///``: how URLs of a file database begin."""
    return tuple(f"{name}:///" for name, caps in _CAPABILITIES.items() if caps.file_database)
