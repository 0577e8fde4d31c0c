"""Keys an ingested batch must respect: the target's unique keys and the suites' uniqueness.

A batch row whose key is already in the target is a data problem, not a
failed load: the check is row-level, so ``publish_good`` quarantines those
rows and ``all_or_nothing`` blocks the batch (exit 1), instead of the
publish failing on ``duplicate key value violates unique constraint``.
The keys are the target's primary key, unique constraints and unique
indexes, and the columns of the suites' ``expect_column_values_to_be_unique``
and ``expect_compound_columns_to_be_unique`` (a uniqueness expectation on a
batch means unique in the table once published). Keys the database enforces
must also not repeat inside the batch; that blocks the whole batch.

>>> key = TargetKey(("order_id",), "primary key")
>>> key.label
'already_in_target(order_id)'
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from monitor.gate.checks import GateCheck
from monitor.ingest.publish import RowFailure
from monitor.validation.suite_runner import resolve_column
from monitor.validation.suites import Severity, Suite
from monitor.warehouse import SqlWarehouse, TableShape, classify

_UNIQUE_EXPECTATIONS = {"expect_column_values_to_be_unique": "column",
                        "expect_compound_columns_to_be_unique": "column_list"}


@dataclass(frozen=True)
class TargetKey:
    """Columns whose values identify a row of the target, and where that rule comes from."""

    columns: tuple[str, ...]
    origin: str  # "primary key", "unique constraint uq_x", "suite orders: values_..."
    severity: Severity = "critical"
    enforced: bool = True  # the database refuses repeats (not just a suite)

    @property
    def label(self) -> str:
        return f"already_in_target({', '.join(self.columns)})"

    @property
    def check_name(self) -> str:
        return f"key:{','.join(self.columns)}"


def _inspected(warehouse: SqlWarehouse, target: TableShape) -> list[TargetKey]:
    with warehouse.connect() as conn:
        inspector = sa.inspect(conn)
        keys = []
        primary = inspector.get_pk_constraint(target.name, schema=target.schema)
        if primary and primary.get("constrained_columns"):
            keys.append(TargetKey(tuple(primary["constrained_columns"]), "primary key"))
        for unique in inspector.get_unique_constraints(target.name, schema=target.schema):
            keys.append(TargetKey(tuple(unique["column_names"]),
                                  f"unique constraint {unique.get('name') or ''}".strip()))
        for index in inspector.get_indexes(target.name, schema=target.schema):
            columns = index.get("column_names") or []
            partial = any("where" in k for k, v in (index.get("dialect_options") or {}).items()
                          if v is not None)
            if index.get("unique") and columns and None not in columns and not partial:
                keys.append(TargetKey(tuple(columns), f"unique index {index.get('name')}"))
        return keys


def _information_schema(warehouse: SqlWarehouse, target: TableShape) -> list[TargetKey]:
    """Where the inspector cannot (DuckDB): the standard views."""
    tc = sa.table("table_constraints", sa.column("constraint_name"),
                  sa.column("constraint_type"), sa.column("table_name"),
                  sa.column("table_schema"), schema="information_schema")
    kcu = sa.table("key_column_usage", sa.column("constraint_name"), sa.column("column_name"),
                   sa.column("ordinal_position"), sa.column("table_name"),
                   sa.column("table_schema"), schema="information_schema")
    schema = sa.literal(target.schema) if target.schema else sa.func.current_schema()
    query = (sa.select(tc.c.constraint_name, tc.c.constraint_type, kcu.c.column_name)
             .join(kcu, sa.and_(kcu.c.constraint_name == tc.c.constraint_name,
                                kcu.c.table_name == tc.c.table_name,
                                kcu.c.table_schema == tc.c.table_schema))
             .where(tc.c.table_name == target.name, tc.c.table_schema == schema,
                    tc.c.constraint_type.in_(("PRIMARY KEY", "UNIQUE")))
             .order_by(tc.c.constraint_name, kcu.c.ordinal_position))
    with warehouse.connect() as conn:
        rows = warehouse.execute(conn, query, what=f"keys of {target.qualified}").all()
    grouped: dict[tuple[str, str], list[str]] = {}
    for name, kind, column in rows:
        grouped.setdefault((str(name), str(kind)), []).append(str(column))
    return [TargetKey(tuple(columns), "primary key" if kind == "PRIMARY KEY"
                      else f"unique constraint {name}")
            for (name, kind), columns in grouped.items()]


def constraint_keys(warehouse: SqlWarehouse, target: TableShape) -> list[TargetKey]:
    """The target's primary key, unique constraints and unique indexes."""
    try:
        return _inspected(warehouse, target)
    except (sa.exc.SQLAlchemyError, NotImplementedError):
        pass  # DuckDB's inspector queries catalogs DuckDB does not have
    try:
        return _information_schema(warehouse, target)
    except sa.exc.SQLAlchemyError as error:
        raise classify(error, f"reading the keys of {target.qualified}") from None


def suite_keys(target: TableShape, suites: Sequence[Suite]) -> list[TargetKey]:
    """Columns the suites expect to be unique (without ``mostly``), as the target spells them."""
    keys = []
    for suite in suites:
        for spec in suite.expectations:
            argument = _UNIQUE_EXPECTATIONS.get(spec.type)
            if argument is None or spec.kwargs.get("mostly") not in (None, 1, 1.0):
                continue
            value = spec.kwargs.get(argument)
            names = [value] if isinstance(value, str) else list(value or [])
            columns = [resolve_column(target, str(n)) for n in names]
            if not columns or None in columns:
                continue
            keys.append(TargetKey(tuple(c for c in columns if c), f"suite {suite.name}: "
                                  f"{spec.label}", severity=spec.severity, enforced=False))
    return keys


def target_keys(warehouse: SqlWarehouse, target: TableShape,
                suites: Sequence[Suite]) -> list[TargetKey]:
    """Every key of the target, once per set of columns (database constraints first)."""
    out: dict[frozenset[str], TargetKey] = {}
    for key in [*constraint_keys(warehouse, target), *suite_keys(target, suites)]:
        known = out.get(frozenset(key.columns))
        if known is None or (key.severity == "critical" and known.severity != "critical"):
            out[frozenset(key.columns)] = key
    return list(out.values())


def _example(warehouse: SqlWarehouse, conn: sa.Connection, staging: TableShape,
             key: TargetKey, condition: sa.ColumnElement[bool], pii: Collection[str]) -> str:
    columns = [staging.table.c[c] for c in key.columns]
    row = warehouse.execute(conn, sa.select(*columns).where(condition).limit(1),
                            what="a key example").first()
    if row is None:
        return ""
    shown = ", ".join(f"{c}={'***' if c in pii else repr(v)}"
                      for c, v in zip(key.columns, row, strict=True))
    return f" (e.g. {shown})"


def key_checks(warehouse: SqlWarehouse, target: TableShape, staging: TableShape,
               keys: Sequence[TargetKey], *,
               pii: Collection[str] = ()) -> tuple[list[GateCheck], list[RowFailure]]:
    """Checks for each key: batch rows already in the target (row-level) and, for
    enforced keys, values repeated inside the batch (batch-level)."""
    staged = {c.name for c in staging.columns}
    checks: list[GateCheck] = []
    failures: list[RowFailure] = []
    with warehouse.connect() as conn:
        for key in keys:
            if not set(key.columns) <= staged:
                continue
            values = [staging.table.c[c] for c in key.columns]
            collides = sa.exists().where(*(target.table.c[c] == staging.table.c[c]
                                           for c in key.columns))
            count = int(warehouse.execute(conn, sa.select(sa.func.count()).select_from(
                staging.table).where(collides), what=f"{key.label} of the batch").scalar()
                or 0)
            if count:
                example = _example(warehouse, conn, staging, key, collides, pii)
                checks.append(GateCheck(
                    key.check_name, False, key.severity,
                    f"{count:,} row(s) have a {key.origin} value already in "
                    f"{target.qualified}{example}", row_level=True))
                if key.severity == "critical":
                    failures.append(RowFailure(label=key.label, column=key.columns[0],
                                               condition=collides,
                                               show_value=key.columns[0] not in pii,
                                               key=key.check_name))
            else:
                checks.append(GateCheck(key.check_name, True, "info",
                                        f"no row repeats a {key.origin} value of the target"))
            if key.enforced:
                repeated = _repeated(warehouse, conn, staging, values)
                if repeated:
                    checks.append(GateCheck(
                        f"{key.check_name}:batch", False, "critical",
                        f"{repeated:,} value(s) of the {key.origin} ({', '.join(key.columns)}) "
                        f"occur more than once in the batch; the target refuses repeats"))
    return checks, failures


def _repeated(warehouse: SqlWarehouse, conn: sa.Connection, staging: TableShape,
              values: list[sa.ColumnElement[Any]]) -> int:
    groups = (sa.select(*values).where(*(v.is_not(None) for v in values))
              .group_by(*values).having(sa.func.count() > 1).subquery())
    return int(warehouse.execute(conn, sa.select(sa.func.count()).select_from(groups),
                                 what="repeated keys in the batch").scalar() or 0)
