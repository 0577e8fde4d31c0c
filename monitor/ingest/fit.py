"""Whether a converted value fits a target column exactly, checked before loading.

The declared type is the contract on every warehouse: text no longer than
its ``VARCHAR(n)`` and without NUL characters, integers inside the range of
the integer type, decimals within ``NUMERIC(p, s)`` (no rounding of extra
places) and finite, floats inside the float type's range. Where the storage
cannot keep what the type says (SQLite keeps decimals as 8-byte floats),
values it would change are refused too (``0.1`` reads back as ``0.1``;
``12345678901234567.89`` would not). A value that does not fit is a row
error naming the column, never a failed COPY of the whole batch.

>>> import sqlalchemy as sa
>>> from decimal import Decimal
>>> from monitor.dialects import capabilities_for
>>> from monitor.warehouse import ColumnInfo
>>> money = column_fit(ColumnInfo("amount", "NUMERIC(20, 2)", "decimal"), sa.Numeric(20, 2),
...                    capabilities_for("postgresql"))
>>> money.problem(Decimal("12345678901234567.89")) is None
True
>>> money.problem(Decimal("1.005"))
'1.005 has 3 decimal places; NUMERIC(20, 2) keeps 2'
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from monitor.dialects import Capabilities
from monitor.warehouse import ColumnInfo

FLOAT4_MAX = 3.4028234663852886e38
_INT_BITS = {"TINYINT": 8, "INT1": 8, "SMALLINT": 16, "INT2": 16, "SMALLSERIAL": 16,
             "MEDIUMINT": 24, "INTEGER": 32, "INT": 32, "INT4": 32, "SERIAL": 32,
             "BIGINT": 64, "INT8": 64, "BIGSERIAL": 64, "LONG": 64, "HUGEINT": 128,
             "UTINYINT": -8, "USMALLINT": -16, "UINTEGER": -32, "UBIGINT": -64,
             "UHUGEINT": -128}  # negative: unsigned
_FLOAT4 = {"REAL", "FLOAT4", "FLOAT"}
_PARAMS = re.compile(r"\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\)")


@dataclass(frozen=True)
class ColumnFit:
    """What one target column holds exactly; ``problem(value)`` says why a value does not."""

    type_name: str
    kind: str
    low: int | None = None  # integers
    high: int | None = None
    length: int | None = None  # text, in characters
    precision: int | None = None  # decimals
    scale: int | None = None
    as_float: bool = False  # decimals stored as 8-byte floats (SQLite)
    float_max: float | None = None  # floats
    holds_nan: bool = True

    def problem(self, value: Any) -> str | None:
        """None if ``value`` (already converted to the column's kind) fits, else why not."""
        if value is None:
            return None
        if self.kind == "string" and isinstance(value, str):
            return self._text(value)
        if self.kind == "integer" and isinstance(value, int) and self.low is not None:
            if not self.low <= value <= self.high:  # type: ignore[operator]
                return (f"{value} is out of range for {self.type_name} "
                        f"({self.low} to {self.high})")
            return None
        if self.kind == "decimal" and isinstance(value, Decimal):
            return self._decimal(value)
        if self.kind == "float" and isinstance(value, float):
            if math.isnan(value) and not self.holds_nan:
                return f"NaN cannot be stored in {self.type_name} here (it would become NULL)"
            if self.float_max is not None and math.isfinite(value) and (
                    abs(value) > self.float_max):
                return f"{value!r} is out of range for {self.type_name}"
        return None

    def problems(self, values: list[Any]) -> dict[int, str]:
        """Why each value that does not fit does not, by position (quick when all fit)."""
        present = [v for v in values if v is not None]
        if not present:
            return {}
        if self.kind == "integer":
            if self.low is None or self.high is None or (
                    self.low <= min(present) and max(present) <= self.high):
                return {}
        elif self.kind == "string":
            longest = max(len(v) for v in present)
            if (self.length is None or longest <= self.length) and not any(
                    "\x00" in v for v in present):
                return {}
        elif self.kind == "float":
            if self.holds_nan and self.float_max is None:
                return {}
        elif self.kind != "decimal":
            return {}
        found = ((i, self.problem(v)) for i, v in enumerate(values))
        return {i: why for i, why in found if why is not None}

    def _text(self, value: str) -> str | None:
        if "\x00" in value:
            return (f"{_short(value)} contains a NUL character (\\x00), which text "
                    f"columns cannot hold")
        if self.length is not None and len(value) > self.length:
            return (f"{_short(value)} is {len(value)} characters; {self.type_name} "
                    f"holds {self.length}")
        return None

    def _decimal(self, value: Decimal) -> str | None:
        if not value.is_finite():
            return f"{value} is not a finite number; {self.type_name} holds only finite values"
        if value.is_zero():
            return None
        reduced = value.normalize()
        places = -int(reduced.as_tuple().exponent)
        if self.scale is not None and places > self.scale:
            if self.scale < 0:
                return f"{value} is not a multiple of 1E{-self.scale} ({self.type_name})"
            return (f"{value} has {places} decimal places; {self.type_name} keeps "
                    f"{self.scale}")
        if self.precision is not None:
            allowed = self.precision - (self.scale or 0)
            digits = reduced.adjusted() + 1  # digits before the decimal point
            if digits > allowed:
                return (f"{value} has {digits} digits before the decimal point; "
                        f"{self.type_name} holds {allowed}")
        if self.as_float:
            stored = float(value)
            if not math.isfinite(stored) or Decimal(repr(stored)) != value:
                return (f"{value} cannot be kept exactly: this warehouse stores decimals as "
                        f"8-byte floats (it would read back as {stored!r})")
        return None


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """A decimal passed to the driver as ``Decimal`` both ways.

    SQLAlchemy's ``Numeric`` goes through ``float`` on dialects it does not
    know to bind decimals natively (DuckDB), which rounds past 15 digits.
    """

    impl = sa.Numeric
    cache_ok = True

    def bind_processor(self, dialect: sa.Dialect) -> None:  # type: ignore[override]
        return None

    def result_processor(self, dialect: sa.Dialect,  # type: ignore[override]
                         coltype: object) -> None:
        return None


class DeclaredType(sa.types.UserDefinedType[Any]):
    """A column type written exactly as the database named it (``DECIMAL(38,10)``)."""

    cache_ok = True

    def __init__(self, name: str) -> None:
        self.name = name

    def get_col_spec(self, **kw: Any) -> str:
        return self.name


def ddl_type(info: ColumnInfo, type_: sa.types.TypeEngine[Any]) -> sa.types.TypeEngine[Any]:
    """The type to create a copy of ``info``'s column with (staging, quarantine).

    Where reflection kept only a generic type (DuckDB: ``Numeric()`` for
    ``DECIMAL(38,10)``, ``BigInteger()`` for ``HUGEINT``), the database's own
    name; else the reflected type.
    """
    if isinstance(type_, sa.types.NullType) or info.type_name.upper() == str(type_).upper():
        return type_
    return DeclaredType(info.type_name)


def bind_type(info: ColumnInfo, type_: sa.types.TypeEngine[Any],
              caps: Capabilities) -> sa.types.TypeEngine[Any]:
    """The type to bind and read ``info``'s values with, keeping decimals exact."""
    if info.kind == "decimal" and caps.exact_decimals:
        return ExactDecimal()
    return type_


def _short(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "...'"


def _params(type_name: str) -> tuple[int | None, int | None]:
    found = _PARAMS.search(type_name)
    if not found:
        return None, None
    return int(found[1]), int(found[2]) if found[2] is not None else None


def _integer_range(type_name: str, type_: sa.types.TypeEngine[Any],
                   caps: Capabilities) -> tuple[int, int]:
    words = type_name.upper().replace("(", " ").split()
    bits = 64 if not caps.sized_types else _INT_BITS.get(words[0] if words else "", 64)
    if caps.sized_types and ("UNSIGNED" in words or getattr(type_, "unsigned", False)):
        bits = -abs(bits)
    if bits < 0:
        return 0, 2 ** -bits - 1
    return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1


def column_fit(info: ColumnInfo, type_: sa.types.TypeEngine[Any],
               caps: Capabilities) -> ColumnFit:
    """The limits of a reflected column (its SQLAlchemy type, else its declared type name)."""
    name = info.type_name
    first, second = _params(name)
    if info.kind == "integer":
        low, high = _integer_range(name, type_, caps)
        return ColumnFit(name, info.kind, low=low, high=high)
    if info.kind == "string":
        length = getattr(type_, "length", None) or first
        return ColumnFit(name, info.kind, length=length)
    if info.kind == "decimal":
        precision = getattr(type_, "precision", None)
        scale = getattr(type_, "scale", None)
        if precision is None:
            precision, scale = first, second
        if precision is not None and scale is None:
            scale = 0  # NUMERIC(p) is NUMERIC(p, 0)
        return ColumnFit(name, info.kind, precision=precision, scale=scale,
                         as_float=not caps.exact_decimals)
    if info.kind == "float":
        single = caps.sized_types and name.upper().split("(")[0].strip() in _FLOAT4
        return ColumnFit(name, info.kind, float_max=FLOAT4_MAX if single else None,
                         holds_nan=caps.floats_hold_nan)
    return ColumnFit(name, info.kind)
