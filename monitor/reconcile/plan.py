"""The SQL one side of a reconciliation runs: bucket aggregates, key-range fingerprints, rows.

Every expression is plain integer arithmetic (``%``, ``*``, ``CAST ... AS BIGINT``,
``ROUND``, ``SUM``, ``COUNT``), so SQLite, DuckDB, PostgreSQL and MariaDB compute the
same numbers for the same rows: a fingerprint of a key range in one warehouse can be
compared with the other's. A key's hash is a multiplicative hash modulo the prime
2^31 - 1 (Park-Miller); no engine's ``md5``/``hash`` is needed (SQLite has none, and
DuckDB's ``hash`` differs from everyone else's).

>>> key_hash_python((42,))
2027382
>>> scaled_python(12.345, 2)
1235
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from monitor.config.models import ReconcileConfig, ReconcileSide
from monitor.errors import ConfigError
from monitor.warehouse import SqlWarehouse, TableShape

PRIME = 2_147_483_647  # 2^31 - 1
MULTIPLIER = 48_271
#: Weights of a value in a range's weighted sum: 1..WEIGHTS, from the key's hash.
WEIGHTS = 1_000

Range = tuple[int, int]  # [low, high) of the first key column


def key_hash_python(key: Sequence[int]) -> int:
    """The key hash the SQL computes, in Python (for tests and documentation)."""
    out = 0
    for part in key:
        term = (_trunc_mod(int(part), PRIME) * MULTIPLIER)
        out = _trunc_mod(out * 31 + _trunc_mod(term, PRIME), PRIME)
    return out


def scaled_python(value: float, decimals: int) -> int:
    """A value as the integer the SQL compares (rounded half away from zero)."""
    scaled = abs(value) * 10 ** decimals
    return int(scaled + 0.5) * (1 if value >= 0 else -1)


def _trunc_mod(a: int, b: int) -> int:
    # SQL's % keeps the sign of the dividend (C semantics), Python's the divisor's.
    rest = abs(a) % b
    return rest if a >= 0 else -rest


@dataclass(frozen=True)
class SidePlan:
    """The queries of one side: its warehouse, its reflected table, the entry's columns."""

    label: str  # "source" or "target"
    warehouse: SqlWarehouse
    shape: TableShape
    entry: ReconcileConfig

    # -- expressions ---------------------------------------------------------
    def col(self, name: str) -> sa.ColumnElement[Any]:
        self.shape.column(name)  # ObjectNotFound names the table and its columns
        return self.shape.table.c[name]

    def key_hash(self) -> sa.ColumnElement[Any]:
        """The key's hash, the same on every engine (see ``key_hash_python``)."""
        out: sa.ColumnElement[Any] = sa.literal(0, sa.BigInteger)
        for name in self.entry.key:
            part = sa.cast(self.col(name), sa.BigInteger) % PRIME
            out = (out * 31 + (part * MULTIPLIER) % PRIME) % PRIME
        return out

    def scaled(self, name: str) -> sa.ColumnElement[Any]:
        """A summed column at ``decimals`` as a BIGINT (NULL stays NULL)."""
        factor = 10 ** self.entry.decimals
        return sa.cast(sa.func.round(self.col(name) * factor), sa.BigInteger)

    def first_key(self) -> sa.ColumnElement[Any]:
        return self.col(self.entry.key[0])

    # -- statements ------------------------------------------------------------
    def bucket_aggregates(self) -> sa.Select[Any]:
        """One aggregate query: rows and sums per bucket (or of the whole table)."""
        table = self.shape.table
        columns: list[sa.ColumnElement[Any]] = [sa.func.count().label("rows")]
        columns += [sa.func.sum(self.col(c)).label(f"sum_{i}")
                    for i, c in enumerate(self.entry.sums)]
        if not self.entry.bucket:
            return sa.select(*columns).select_from(table)
        assert self.entry.timestamp_column is not None
        bucket = self.warehouse.capabilities.bucket(self.col(self.entry.timestamp_column),
                                                    self.entry.bucket).label("bucket")
        return (sa.select(bucket, *columns).select_from(table)
                .group_by(bucket).order_by(bucket))

    def key_bounds(self) -> sa.Select[Any]:
        """The first key column's range and the row count."""
        key = self.first_key()
        return sa.select(sa.func.min(key), sa.func.max(key), sa.func.count()).select_from(
            self.shape.table)

    def fingerprints(self, ranges: Sequence[Range]) -> sa.Select[Any]:
        """Per key range: rows, sum of key hashes, and per summed column its non-null
        count, sum and hash-weighted sum. One grouped query for all the ranges
        (sorted, disjoint); only rows inside them are read and hashed."""
        key = self.first_key()
        # Rows are filtered to the ranges, so the first range ending above a key holds it.
        segment = sa.case(*((key < hi, i) for i, (_, hi) in enumerate(ranges)),
                          else_=-1).label("segment")
        hashed = self.key_hash()
        weight = hashed % WEIGHTS + 1
        columns: list[sa.ColumnElement[Any]] = [
            segment, sa.func.count().label("rows"), sa.func.sum(hashed).label("key_sum")]
        for i, name in enumerate(self.entry.sums):
            value = self.scaled(name)
            columns += [sa.func.count(value).label(f"n_{i}"),
                        sa.func.sum(value).label(f"s_{i}"),
                        sa.func.sum(value * weight).label(f"w_{i}")]
        return (sa.select(*columns).select_from(self.shape.table)
                .where(self.within(ranges)).group_by(segment))

    def within(self, ranges: Sequence[Range]) -> sa.ColumnElement[bool]:
        """Keys inside the ranges, neighbouring ranges merged into one condition."""
        key = self.first_key()
        return sa.or_(*(sa.and_(key >= lo, key < hi) for lo, hi in merged(ranges)))

    def rows(self, ranges: Sequence[Range]) -> sa.Select[Any]:
        """The keys and scaled values of the rows in the ranges: what a diff moves."""
        columns = [self.col(k).label(f"k_{i}") for i, k in enumerate(self.entry.key)]
        columns += [self.scaled(c).label(f"v_{i}") for i, c in enumerate(self.entry.sums)]
        return sa.select(*columns).select_from(self.shape.table).where(self.within(ranges))


def merged(ranges: Sequence[Range]) -> list[Range]:
    """Sorted ranges with touching neighbours joined.

    >>> merged([(0, 5), (5, 9), (12, 20)])
    [(0, 9), (12, 20)]
    """
    out: list[Range] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(hi, out[-1][1]))
        else:
            out.append((lo, hi))
    return out


def side_plan(label: str, side: ReconcileSide, entry: ReconcileConfig,
              warehouse: SqlWarehouse) -> SidePlan:
    """Reflect one side and check the entry's columns exist with usable types."""
    shape = warehouse.describe(side.table, side.schema)
    where = f"reconcile {entry.name!r}, {label} {side.qualified}"
    for name in entry.key:
        kind = _kind(shape, name, where)
        if kind != "integer":
            raise ConfigError(f"{where}: key column {name!r} is {kind}; key ranges are "
                              f"bisected on integer keys only")
    for name in entry.sums:
        kind = _kind(shape, name, where)
        if kind not in ("integer", "float", "decimal"):
            raise ConfigError(f"{where}: sums column {name!r} is {kind}, not a number")
    if entry.timestamp_column:
        _kind(shape, entry.timestamp_column, where)
    return SidePlan(label, warehouse, shape, entry)


def _kind(shape: TableShape, name: str, where: str) -> str:
    for col in shape.columns:
        if col.name == name:
            return col.kind
    known = ", ".join(c.name for c in shape.columns)
    raise ConfigError(f"{where}: no column {name!r} (columns: {known})")


def run_query(plan: SidePlan, statement: sa.Executable, what: str) -> list[sa.Row[Any]]:
    """Run one statement on the side's warehouse; the error names the entry and side."""
    with plan.warehouse.connect() as conn:
        return list(plan.warehouse.execute(
            conn, statement, what=f"reconcile {plan.entry.name!r}, {plan.label} {what}"))
