"""What each SQL dialect can do, in one place.

Generic code asks a ``Capabilities`` object; nothing else in the package says
``if dialect == ...``. Expressions are SQLAlchemy Core, so identifiers are
quoted by SQLAlchemy and values are bound as parameters.

>>> capabilities_for("duckdb").approx_distinct
'native'
>>> capabilities_for("postgresql").approx_distinct
'sketch'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

Granularity = Literal["hour", "day"]
ApproxDistinct = Literal["native", "sketch", "none"]

_POS_INF = float("inf")
_NEG_INF = float("-inf")


def _inf(value: float) -> ColumnElement[Any]:
    return sa.literal(value, sa.Double)


@dataclass(frozen=True)
class Capabilities:
    """Dialect differences as data, consulted by the generic profiling code."""

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

    # -- numbers -----------------------------------------------------------
    def finite(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        """True where a float value is neither NaN nor +-infinity (NULL stays NULL)."""
        if self.name == "duckdb":
            return sa.func.isfinite(column)
        # PostgreSQL orders NaN above +inf, so the range test excludes it too;
        # SQLite cannot store NaN at all.
        return sa.and_(column > _inf(_NEG_INF), column < _inf(_POS_INF))

    def is_nan(self, column: ColumnElement[Any]) -> ColumnElement[bool] | None:
        """Expression true for NaN, or None where the engine cannot store NaN (SQLite)."""
        if self.name == "duckdb":
            return sa.func.isnan(column)
        if self.name == "postgresql":
            return column == sa.literal(float("nan"), sa.Double)
        return None

    def is_infinite(self, column: ColumnElement[Any]) -> ColumnElement[bool]:
        return sa.or_(column == _inf(_POS_INF), column == _inf(_NEG_INF))

    def approx_count_distinct(self, column: ColumnElement[Any]) -> ColumnElement[Any] | None:
        """A native approximate distinct aggregate, or None."""
        return self._approx_distinct_fn(column) if self._approx_distinct_fn else None

    # -- text --------------------------------------------------------------
    def length(self, column: ColumnElement[Any]) -> ColumnElement[Any]:
        if self.name == "postgresql":
            return sa.func.char_length(column)
        return sa.func.length(column)

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
    ),
    "postgresql": Capabilities(
        name="postgresql",
        approx_distinct="sketch",
        has_stddev=True,
        has_percentile=True,
        has_regex=True,
        server_statement_timeout=True,
        floats_hold_nan=True,
        timestamps_are_text=False,
        distinct_apart=True,
        distinct_collation="C",
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
