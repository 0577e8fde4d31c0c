"""Compare a batch file with its target table and convert its values, before loading.

Schema drift is reported as gate checks: a column missing from the file or
an extra one warns; a *retyped* column blocks. A column is retyped when the
file's own type cannot hold the target's (Parquet: string where the target
has numbers, ...) or, for untyped CSV/JSON, when not a single value of it
converts. Numbers convert exactly: integers to ``int`` and decimals to
``Decimal`` straight from the text, never through a float. Single values
that do not convert or do not fit the column's type (``monitor.ingest.fit``),
and NULLs in NOT NULL target columns, are row errors: those rows never reach
staging and go to quarantine.

>>> import pandas as pd
>>> values, errors = convert_column(pd.Series(["1.5", "x", None], dtype=object), "float")
>>> list(values), errors
([1.5, None, None], {1: "'x' is not a number"})
>>> convert_column(pd.Series(["9007199254740993", "12345678901234567.89"]), "decimal")[0]
[Decimal('9007199254740993'), Decimal('12345678901234567.89')]
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

from monitor.dialects import Capabilities, capabilities_for
from monitor.errors import InputError
from monitor.gate.checks import GateCheck
from monitor.ingest.files import BatchFile
from monitor.ingest.fit import column_fit
from monitor.warehouse import ColumnInfo, TableShape

_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_NUMERIC = ("integer", "float", "decimal")
FAST_PATH_ROWS = 1000  # longer time columns convert vectorised
MAX_INTEGER_DIGITS = 40  # more digits than any integer type holds (128 bits: 39)


@dataclass(frozen=True)
class Drift:
    """How the file's columns differ from the target's."""

    missing: tuple[str, ...] = ()  # target columns the file lacks
    extra: tuple[str, ...] = ()  # file columns the target lacks (not loaded)
    retyped: Mapping[str, str] = field(default_factory=dict)  # column -> why
    filled: tuple[str, ...] = ()  # missing columns dq-monitor fills (the load time)
    not_null_missing: tuple[str, ...] = ()  # missing columns the target requires

    def checks(self) -> list[GateCheck]:
        out = []
        for name in self.missing:
            if name in self.filled:
                continue
            required = name in self.not_null_missing
            out.append(GateCheck(
                f"schema:{name}", False, "critical" if required else "warning",
                f"column {name!r} is missing from the file"
                + (" and NOT NULL in the target" if required else " (loaded as NULL)")))
        out += [GateCheck(f"schema:{name}", False, "warning",
                          f"column {name!r} is not in the target table (not loaded)")
                for name in self.extra]
        out += [GateCheck(f"schema:{name}", False, "critical", f"column {name!r} is retyped: "
                          f"{why}") for name, why in self.retyped.items()]
        if not out:
            out.append(GateCheck("schema", True, "info", "the file's columns match the target"))
        return out


@dataclass(frozen=True)
class Prepared:
    """The batch as target-typed rows, the row errors, and the drift."""

    frame: pd.DataFrame  # target column names, converted values (None for NULL)
    row_errors: dict[int, list[str]]  # 0-based row -> reasons
    drift: Drift
    mapping: dict[str, str]  # target column -> file column
    source: str = ""  # the file
    lines: tuple[int, ...] = ()  # the file line each row starts on (CSV, JSON lines)

    def where(self, row: int) -> str:
        """Where a row (0-based) is in the file: ``orders.csv line 4`` or ``... row 3``."""
        if row < len(self.lines):
            return f"{self.source} line {self.lines[row]}"
        return f"{self.source} row {row + 1}"

    def reason(self, row: int) -> str:
        """Why a row does not fit, with where it is: ``b.csv line 4: amount: ...``."""
        return f"{self.where(row)}: {'; '.join(self.row_errors[row])}"


def _not_a_number(value: Any) -> ValueError:
    return ValueError(f"{_show(value)} is not a number")


def _plain(value: Any) -> Any:
    """numpy scalars as Python values; everything else as it is."""
    return value.item() if hasattr(value, "item") and not isinstance(
        value, int | float | Decimal | str) else value


def to_decimal(value: Any) -> Decimal:
    """A number exactly as written: text and ints as they are, floats by their repr."""
    value = _plain(value)
    if isinstance(value, bool):
        raise _not_a_number(value)
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that reads back as this float
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise _not_a_number(value) from None
    raise _not_a_number(value)


def to_integer(value: Any) -> int:
    """A whole number, exactly (never through a float)."""
    value = _plain(value)
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"{_show(value)} is not a whole number")
        return int(value)
    number = to_decimal(value)
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{_show(value)} is not a whole number")
    if number.adjusted() > MAX_INTEGER_DIGITS:
        raise ValueError(f"{_show(value)} is too large for any integer column")
    return int(number)


def to_float(value: Any) -> float:
    """The nearest float; text that overflows a float is refused, not made infinite."""
    value = _plain(value)
    if isinstance(value, bool):
        raise _not_a_number(value)
    if isinstance(value, float):
        return value
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        raise _not_a_number(value) from None
    except OverflowError:  # an int too large for a float
        raise ValueError(f"{_show(value)} is out of range for a float column") from None
    if math.isinf(number) and not to_decimal(value).is_infinite():
        raise ValueError(f"{_show(value)} is out of range for a float column")
    return number


_NUMBERS = {"integer": to_integer, "float": to_float, "decimal": to_decimal}


def _convert(value: Any, kind: str) -> Any:
    """One value as the target kind; raises ValueError with a readable reason."""
    if kind in _NUMERIC:
        return _NUMBERS[kind](value)
    if kind == "string":
        if isinstance(value, Decimal):
            return str(value)  # a JSON number as written
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ValueError(f"{_show(value)} is not true or false")
    if kind in ("timestamp", "date"):
        return _convert_time(value, kind)
    return value


def _convert_time(value: Any, kind: str) -> Any:
    """A date or time from a datetime, a date, or ISO-like text (numbers are no time)."""
    if isinstance(value, dt.datetime | dt.date):
        stamp = pd.Timestamp(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            stamp = pd.Timestamp(text[:-1] if text.endswith(("Z", "z")) else text)
        except (ValueError, TypeError, OverflowError):
            raise ValueError(f"{_show(value)} is not a date or time") from None
    else:
        raise ValueError(f"{_show(value)} is not a date or time")
    try:
        if stamp is pd.NaT:
            raise ValueError
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        moment = stamp.to_pydatetime()
        return moment.date() if kind == "date" else moment
    except (ValueError, OverflowError, NotImplementedError):
        raise ValueError(f"{_show(value)} is not a date or time") from None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def convert_column(values: pd.Series, kind: str) -> tuple[list[Any], dict[int, str]]:
    """Values converted to ``kind`` (None for NULL) and the reason per failed row."""
    out: list[Any] = []
    errors: dict[int, str] = {}
    if kind in ("timestamp", "date") and len(values) > FAST_PATH_ROWS:
        return _convert_times(values, kind)
    if kind == "string":
        return [v if v is None or type(v) is str else _convert(v, kind)
                for v in values.tolist()], {}
    for i, value in enumerate(values.tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)
                             and kind not in _NUMERIC):
            out.append(None)
            continue
        try:
            out.append(_convert(value, kind))
        except ValueError as error:
            out.append(None)
            errors[i] = str(error)
    return out, errors


def _convert_times(values: pd.Series, kind: str) -> tuple[list[Any], dict[int, str]]:
    """The vectorised path of ``convert_column`` for long time columns (ISO 8601 text)."""
    raw = values.to_numpy(dtype=object)
    texts = pd.Series([v if isinstance(v, str) else None for v in raw], dtype=object)
    parsed = pd.to_datetime(texts, errors="coerce", utc=True, format="ISO8601")
    stamps = parsed.dt.tz_localize(None).to_numpy(dtype=object)
    out: list[Any] = []
    errors: dict[int, str] = {}
    for i, value in enumerate(raw):
        stamp = stamps[i]
        if value is None:
            out.append(None)
            continue
        if stamp is pd.NaT or stamp is None or not isinstance(value, str):
            try:  # not text, or text the fast parser refused: the exact path decides
                out.append(_convert(value, kind))
            except ValueError as error:
                out.append(None)
                errors[i] = str(error)
            continue
        moment = stamp.to_pydatetime() if hasattr(stamp, "to_pydatetime") else stamp
        out.append(moment.date() if kind == "date" else moment)
    return out, errors


def _arrow_retyped(arrow_type: str, kind: str) -> str | None:
    """Why a Parquet column's type cannot hold the target kind (None: it can).

    Text may hold times (they are parsed, like CSV), but text where the target
    has numbers or booleans, or numbers where it has times, is a changed schema.
    """
    name = arrow_type.lower()
    family = ("text" if "string" in name or name == "utf8" else
              "number" if name.startswith(("int", "uint", "float", "double", "decimal",
                                           "halffloat")) else
              "time" if name.startswith(("timestamp", "date")) else
              "boolean" if name == "bool" else "other")
    wanted = {"integer": "number", "float": "number", "decimal": "number",
              "timestamp": "time", "date": "time", "boolean": "boolean"}.get(kind)
    if wanted is None or family in (wanted, "other") or (family == "text" and wanted == "time"):
        return None
    return f"the file has {arrow_type}, the target column is {kind}"


def _match(file_columns: tuple[str, ...], target: TableShape) -> dict[str, str]:
    exact = {c: c for c in file_columns}
    folded = {c.casefold(): c for c in file_columns}
    out = {}
    for col in target.columns:
        found = exact.get(col.name) or folded.get(col.name.casefold())
        if found is not None:
            out[col.name] = found
    return out


def prepare_batch(batch: BatchFile, target: TableShape, *,
                  fill: Mapping[str, Any] | None = None,
                  capabilities: Capabilities | None = None) -> Prepared:
    """Drift, converted values and row errors of ``batch`` for the ``target`` table.

    ``fill`` gives values for target columns the file lacks (e.g. the load time).
    Values are converted exactly (integers as ``int``, decimals as ``Decimal``)
    and checked against the column's type on the target's ``capabilities``
    (``monitor.ingest.fit``); those that do not fit are row errors.
    """
    caps = capabilities or capabilities_for("generic")
    fill = dict(fill or {})
    mapping = _match(batch.columns, target)
    if not mapping:
        # Nothing could be loaded: another file, or a header row that is not one.
        raise InputError(f"{batch.path}: none of its columns "
                         f"({', '.join(map(repr, batch.columns)) or 'none'}) is a column of "
                         f"{target.qualified} ({', '.join(c.name for c in target.columns)})")
    used = set(mapping.values())
    missing = tuple(c.name for c in target.columns if c.name not in mapping)
    filled = tuple(name for name in missing if name in fill)
    extra = tuple(c for c in batch.columns if c not in used)
    retyped: dict[str, str] = {}
    columns: dict[str, list[Any]] = {}
    row_errors: dict[int, list[str]] = {}
    for info in target.columns:
        if info.name not in mapping:
            if info.name in fill:
                columns[info.name] = [fill[info.name]] * batch.rows
            continue
        source = mapping[info.name]
        arrow = batch.source_types.get(source)
        why = _arrow_retyped(arrow, info.kind) if arrow else None
        values, errors = convert_column(batch.frame[source], info.kind)
        present = int(batch.frame[source].notna().sum())
        if why is None and present and len(errors) == present:
            samples = ", ".join(_show(batch.frame[source].iloc[i]) for i in list(errors)[:3])
            why = f"no value converts to {info.kind} (e.g. {samples})"
        if why:
            retyped[info.name] = why
            continue
        fit = column_fit(info, target.table.c[info.name].type, caps)
        for row, reason in fit.problems(values).items():
            values[row] = None  # kept out of typed columns; the raw row keeps the value
            errors[row] = reason
        columns[info.name] = values
        for row, reason in sorted(errors.items()):
            row_errors.setdefault(row, []).append(f"{info.name}: {reason}")
        _not_null(info, values, row_errors)
    not_null_missing = tuple(c.name for c in target.columns
                             if c.name in missing and c.name not in filled and not c.nullable)
    frame = pd.DataFrame(columns, dtype=object) if columns else pd.DataFrame(
        index=range(batch.rows))
    drift = Drift(missing=missing, extra=extra, retyped=retyped, filled=filled,
                  not_null_missing=not_null_missing)
    return Prepared(frame=frame, row_errors=row_errors, drift=drift, mapping=mapping,
                    source=str(batch.path), lines=batch.lines)


def _not_null(info: ColumnInfo, values: list[Any], row_errors: dict[int, list[str]]) -> None:
    if info.nullable:
        return
    for row, value in enumerate(values):
        if value is None and not any(r.startswith(f"{info.name}:") for r in
                                     row_errors.get(row, [])):
            row_errors.setdefault(row, []).append(
                f"{info.name}: NULL, but the target column is NOT NULL")
