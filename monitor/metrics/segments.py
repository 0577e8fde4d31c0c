"""Segments: a bucketed table's volume, null rates and means per value of one or two
columns (or SQL expressions), measured in the bucketed profile's own grouped scan.

The segments of a table are its top ``max_segments`` values by volume (decided before
the scan, see ``monitor.run.segments``); every other value, and a value longer than
``MAX_VALUE_LENGTH`` characters, is the one "other" segment. The scan groups by the
bucket and a small integer (``segment_case``: the segment's index, -1 for "other"), so
a 20,000-value column costs 51 groups per bucket, never 20,000.

A segment's series are stored under the table with the segment encoded in the column
key (``series_column``), which needs no schema change.

>>> key = series_column(("country",), ("DE",), "amount")
>>> key
'@seg:[["country"],["DE"]]|amount'
>>> parse_series_column(key)
(('country',), ('DE',), 'amount')
>>> parse_series_column(series_column(("country",), None))
(('country',), None, '')
>>> parse_series_column("amount") is None
True
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from monitor.config.models import SegmentExpr, TableConfig
from monitor.dialects import Capabilities
from monitor.errors import ObjectNotFound
from monitor.metrics.states import State
from monitor.warehouse import TableShape

PREFIX = "@seg:"
#: Longer values are in "other": the stored key must fit ``dq_metrics.column_name``.
MAX_VALUE_LENGTH = 64
#: Index of the "other" segment in the scan's grouping key.
OTHER_INDEX = -1
NUMERIC = ("integer", "decimal", "float")
Label = tuple[Any, ...]


@dataclass(frozen=True)
class Part:
    """One column or expression of a table's segments, as SQL."""

    name: str
    expr: ColumnElement[Any]
    is_sql: bool = False


@dataclass(frozen=True)
class SegmentPlan:
    """The segments a scan measures: the parts and the kept values (by volume)."""

    parts: tuple[Part, ...]
    labels: tuple[Label, ...]
    columns: tuple[str, ...] = ()  # measured per segment: null rate (and mean if numeric)
    numeric: frozenset[str] = frozenset()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)

    @property
    def has_sql(self) -> bool:
        return any(p.is_sql for p in self.parts)

    def case(self) -> ColumnElement[Any]:
        """The segment's index as SQL (-1: other); values are bound, never formatted in."""
        return segment_case(self.parts, self.labels)

    def states(self) -> tuple[State, ...]:
        """The aggregate states a segment's metrics are read from."""
        out = [State("rows")]
        for column in self.columns:
            out.append(State("non_null", column))
            if column in self.numeric:
                out.append(State("mean", column))
        return tuple(out)


@dataclass(frozen=True)
class SegmentProfile:
    """The metrics of one segment in one bucket (label None: the "other" segment)."""

    label: Label | None
    row_count: int
    columns: dict[str, dict[str, float | None]] = field(default_factory=dict)


def segment_parts(table: TableConfig, shape: TableShape) -> tuple[Part, ...]:
    """The table's ``segments`` as SQL: columns quoted by SQLAlchemy (text of other types
    than text, integer and boolean), expressions as given in the config."""
    parts = []
    for i, item in enumerate(table.segments):
        if isinstance(item, SegmentExpr):
            parts.append(Part(item.name, sa.literal_column(f"({item.expr})"), is_sql=True))
            continue
        try:
            info = shape.column(item)
        except ObjectNotFound as error:
            raise ObjectNotFound(f"table {table.name!r}: segments[{i}]: {error}") from None
        column: ColumnElement[Any] = shape.table.c[item]
        if info.kind not in ("string", "integer", "boolean"):
            column = sa.cast(column, sa.String(200))
        parts.append(Part(item, column))
    return tuple(parts)


def measured_columns(table: TableConfig, shape: TableShape, kinds: Mapping[str, str]
                     ) -> tuple[tuple[str, ...], frozenset[str]]:
    """Columns measured per segment (all but the time and segment columns) and the
    numeric ones among them (their mean too)."""
    skip = {table.timestamp_column, table.loaded_at_column,
            *(s for s in table.segments if isinstance(s, str))}
    columns = tuple(c.name for c in shape.columns if c.name not in skip)
    return columns, frozenset(c for c in columns if kinds.get(c) in NUMERIC)


def plain(value: Any) -> Any:
    """A segment value as JSON holds it (times and decimals as text or numbers).

    >>> plain(decimal.Decimal("2")), plain(dt.date(2026, 1, 2)), plain(None)
    (2, '2026-01-02', None)
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def keepable(label: Label) -> bool:
    """Whether a value can be a segment of its own (short enough to store and bind)."""
    return all(not isinstance(v, str) or len(v) <= MAX_VALUE_LENGTH for v in label)


def segment_case(parts: Sequence[Part], labels: Sequence[Label]) -> ColumnElement[Any]:
    """``CASE WHEN country = :v0 THEN 0 ... ELSE -1 END`` (``IS NULL`` for None)."""
    whens = []
    for index, label in enumerate(labels):
        tests = [part.expr.is_(None) if value is None else part.expr == value
                 for part, value in zip(parts, label, strict=True)]
        whens.append((sa.and_(*tests), sa.literal_column(str(int(index)), sa.Integer)))
    other = sa.literal_column(str(OTHER_INDEX), sa.Integer)
    return sa.case(*whens, else_=other) if whens else other


def top_query(table: sa.Table, parts: Sequence[Part], where: ColumnElement[bool] | None,
              limit: int) -> sa.Select[Any]:
    """The cheap query naming the biggest segments: one GROUP BY of the segment parts."""
    columns = [p.expr.label(f"_dq_p{i}") for i, p in enumerate(parts)]
    rows = sa.func.count().label("_dq_rows")
    query = sa.select(*columns, rows).select_from(table)
    if where is not None:
        query = query.where(where)
    keys = [sa.literal_column(str(i + 1)) for i in range(len(parts))]
    return query.group_by(*keys).order_by(sa.desc(sa.literal_column("_dq_rows"))).limit(limit)


def choose(stored: Mapping[Label, float], found: Iterable[tuple[Label, float]],
           limit: int) -> tuple[Label, ...]:
    """The ``limit`` biggest segments by stored volume plus the volume just counted.

    A segment known from the history stays even when it has no rows now: that is
    the segment whose load went missing.

    >>> choose({("DE",): 900.0, ("FR",): 500.0}, [(("NL",), 600), (("DE",), 0)], 2)
    (('DE',), ('NL',))
    """
    volume: dict[Label, float] = {}
    for label, rows in [*stored.items(), *found]:
        if keepable(label):
            volume[label] = volume.get(label, 0.0) + float(rows)
    ranked = sorted(volume, key=lambda label: (-volume[label], _sort_key(label)))
    return tuple(ranked[:limit])


def _sort_key(label: Label) -> str:
    return json.dumps(list(label), default=str)


def read_segments(plan: SegmentPlan, states: Mapping[State, Any], index: int
                  ) -> SegmentProfile:
    """One result row's segment metrics."""
    label = None if index == OTHER_INDEX else plan.labels[index]
    rows = int(states[State("rows")] or 0)
    columns: dict[str, dict[str, float | None]] = {}
    for column in plan.columns:
        non_null = states.get(State("non_null", column))
        values: dict[str, float | None] = {
            "null_rate": (1.0 - float(non_null or 0) / rows) if rows else None}
        if column in plan.numeric:
            mean = states.get(State("mean", column))
            values["mean"] = None if mean is None else float(mean)
        columns[column] = values
    return SegmentProfile(label, rows, columns)


def series_column(names: Sequence[str], label: Label | None, column: str = "") -> str:
    """The stored column key of a segment's series (label None: "other")."""
    values = None if label is None else [plain(v) for v in label]
    key = json.dumps([list(names), values], ensure_ascii=False, separators=(",", ":"))
    return f"{PREFIX}{key}|{column}"


def parse_series_column(text: str) -> tuple[tuple[str, ...], Label | None, str] | None:
    """(names, label, column) of a stored key; None for a plain column."""
    if not text.startswith(PREFIX):
        return None
    try:
        (names, values), end = json.JSONDecoder().raw_decode(text, len(PREFIX))
    except (ValueError, TypeError):
        return None
    label = None if values is None else tuple(values)
    return tuple(names), label, text[end + 1:]


def readable_column(text: str | None) -> str | None:
    """A stored column key as a person reads it: a segment's series by its segment.

    >>> readable_column('@seg:[["country"],["DE"]]|amount'), readable_column("amount")
    ('amount, country DE', 'amount')
    >>> readable_column('@seg:[["country","channel"],["DE","web"]]|')
    'country / channel DE / web'
    """
    parsed = parse_series_column(text) if text else None
    if parsed is None:
        return text
    names, label, column = parsed
    segment = f"{' / '.join(names)} {describe(label)}"
    return f"{column}, {segment}" if column else segment


def describe(label: Label | None) -> str:
    """A segment as a sentence names it.

    >>> describe(("DE", "web")), describe((None,)), describe(None)
    ('DE / web', '(no value)', 'other')
    """
    if label is None:
        return "other"
    return " / ".join("(no value)" if v is None else str(v) for v in label)


@contextlib.contextmanager
def read_only(conn: Connection, plan: SegmentPlan | None,
              caps: Capabilities) -> Iterator[None]:
    """Where the segments hold the config's own SQL, the statement runs read-only:
    a read-only transaction (PostgreSQL, MariaDB) or ``query_only`` (SQLite); see
    ``Capabilities.read_only_statements``. DuckDB has no per-session switch; an
    expression there cannot write either (no ``;``)."""
    statements = caps.read_only_statements
    if plan is None or not plan.has_sql or statements is None:
        yield
        return
    on, off = statements
    conn.exec_driver_sql(on)
    try:
        yield
    finally:
        if off is not None:
            conn.exec_driver_sql(off)
