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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.sql.elements import ColumnElement

Granularity = Literal["hour", "day"]
# "planner_statistics": no approximate aggregate, but the planner's statistics
# (PostgreSQL's pg_stats n_distinct, kept by ANALYZE) give an estimate for free.
ApproxDistinct = Literal["native", "planner_statistics", "none"]
# How a connection is made read-only: a server session setting, a URI mode on
# the file, or an argument of the driver's connect().
ReadOnly = Literal["session", "uri", "connect_arg"]
Reflection = Literal["inspector", "information_schema"]

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
    _approx_distinct_fn: Callable[[ColumnElement[Any]], ColumnElement[Any]] | None = None
    #: count(DISTINCT) keeps the whole aggregate serial (PostgreSQL plans no partial
    #: aggregate for it), so a scan computes exact distinct counts in a branch apart.
    distinct_apart: bool = False
    #: Collation text is compared in for distinct counts (None: the column's own).
    distinct_collation: str | None = None
    # -- expressions: SQL function names where the portable form is not used --
    finite_function: str | None = None  # else a range test (PostgreSQL orders NaN above +inf)
    nan_function: str | None = None  # else ``x = 'NaN'`` where floats hold NaN
    length_function: str = "length"  # characters, not bytes
    # -- connections ---------------------------------------------------------
    server: bool = False  # reached over the network: credentials, pool, connect timeout
    file_database: bool = False  # the URL's database is a local file path
    python_sqlite3: bool = False  # driven by Python's sqlite3 (busy timeout, any thread)
    read_only: ReadOnly | None = None
    # DuckDB's reserved words beyond what its SQLAlchemy dialect knows, to quote them.
    reserved_words: Callable[[], set[str]] | None = None
    # -- reflection, writes, Great Expectations --------------------------------
    reflection: Reflection = "inspector"
    # ``insert()`` with ``on_conflict_do_update``; None: delete each key, then insert.
    insert_on_conflict: Callable[[sa.Table], Any] | None = None
    gx_data_source: str | None = None  # the GX ``data_sources.add_*`` method, None: no GX
    gx_unsupported: str | None = None  # why GX cannot validate this dialect, if known
    title: str = ""  # the name as messages spell it ("DuckDB"); empty: ``name``
    #: The optional Python module that provides the SQLAlchemy dialect (None: built in or core).
    driver_module: str | None = None

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
        return sa.or_(column == _inf(_POS_INF), column == _inf(_NEG_INF))

    def approx_count_distinct(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        """A native approximate distinct aggregate, or None."""
        return self._approx_distinct_fn(column) if self._approx_distinct_fn else None

    # -- text --------------------------------------------------------------
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


_GX_DUCKDB = "its SQL data source fails on every metric"

_CAPABILITIES = {
    "sqlite": Capabilities(
        name="sqlite",
        approx_distinct="none",
        has_stddev=False,
        has_percentile=False,
        has_regex=True,  # pysqlite: SQLAlchemy registers a Python REGEXP function
        server_statement_timeout=False,
        floats_hold_nan=False,
        timestamps_are_text=True,
        sized_types=False,
        exact_decimals=False,
        file_database=True,
        python_sqlite3=True,
        read_only="uri",
        insert_on_conflict=sqlite.insert,
        gx_data_source="add_sqlite",
        title="SQLite",
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
        file_database=True,
        read_only="connect_arg",
        reserved_words=_duckdb_reserved_words,
        driver_module="duckdb_engine",
        # duckdb-engine's inspector queries pg_catalog tables that DuckDB 2 no
        # longer has; information_schema is standard.
        reflection="information_schema",
        gx_unsupported=_GX_DUCKDB,
        title="DuckDB",
    ),
    "postgresql": Capabilities(
        name="postgresql",
        approx_distinct="planner_statistics",
        has_stddev=True,
        has_percentile=True,
        has_regex=True,
        server_statement_timeout=True,
        floats_hold_nan=True,
        timestamps_are_text=False,
        distinct_apart=True,
        distinct_collation="C",
        length_function="char_length",
        server=True,
        read_only="session",
        insert_on_conflict=postgresql.insert,
        gx_data_source="add_postgres",
        title="PostgreSQL",
    ),
}


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
    return capabilities_for(bind.dialect.name)


def file_url_prefixes() -> tuple[str, ...]:
    """``sqlite:///``, ``duckdb:///``: how URLs of a file database begin."""
    return tuple(f"{name}:///" for name, caps in _CAPABILITIES.items() if caps.file_database)
