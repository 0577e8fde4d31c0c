"""Batch rules and table rules: which expectations judge the file, which the table.

An expectation's ``meta.scope`` says what it is about: ``batch`` (the default) is
judged on the staged batch alone; ``table`` on the table as it would be once the
batch is published, the publish candidate: a view of the target's rows plus the
batch's (``UNION ALL``), so a table-wide minimum row count does not block a small
file. Table-scoped checks are never row-level (no row of the batch is to blame).

>>> from monitor.validation.suites import ExpectationSpec
>>> spec = ExpectationSpec("s", 0, "expect_table_row_count_to_be_between",
...                        {"min_value": 1000}, meta={"scope": "table"})
>>> scope_of(spec)
'table'
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Literal

import sqlalchemy as sa

from monitor.errors import ConfigError
from monitor.validation.suites import ExpectationSpec, Suite
from monitor.warehouse import SqlWarehouse, TableShape, classify

Scope = Literal["batch", "table"]
SCOPES: tuple[Scope, ...] = ("batch", "table")


def scope_of(spec: ExpectationSpec) -> Scope:
    """``meta.scope`` of an expectation (``batch`` when unset); ConfigError names it."""
    value = (spec.meta or {}).get("scope", "batch")
    if value not in SCOPES:
        raise ConfigError(f"suite {spec.suite!r}, expectation {spec.label}: meta.scope "
                          f"{value!r} is not one of {', '.join(SCOPES)}")
    return value  # type: ignore[return-value]


def split_suites(suites: Sequence[Suite]) -> tuple[list[Suite], list[Suite]]:
    """The suites with only their batch-scoped, and with only their table-scoped ones."""
    batch, table = [], []
    for suite in suites:
        scoped = [(scope_of(s), s) for s in suite.expectations]
        batch.append(replace(suite, expectations=tuple(s for k, s in scoped if k == "batch")))
        chosen = tuple(s for k, s in scoped if k == "table")
        if chosen:
            table.append(replace(suite, expectations=chosen))
    return batch, table


@contextmanager
def candidate_view(warehouse: SqlWarehouse, target: TableShape,
                   staging: TableShape) -> Iterator[TableShape]:
    """A view of the target's rows plus the batch's, dropped afterwards."""
    name = f"{staging.name[:40]}_candidate_{uuid.uuid4().hex[:8]}"
    staged = {c.name for c in staging.columns}
    columns = [c.name for c in target.columns]
    from_target = sa.select(*(target.table.c[c] for c in columns))
    from_batch = sa.select(*(staging.table.c[c] if c in staged else
                             sa.cast(sa.null(), target.table.c[c].type).label(c)
                             for c in columns))
    body = sa.union_all(from_target, from_batch)
    preparer = warehouse.engine.dialect.identifier_preparer
    quoted = (f"{preparer.quote_identifier(target.schema)}." if target.schema else ""
              ) + preparer.quote_identifier(name)
    sql = body.compile(dialect=warehouse.engine.dialect, compile_kwargs={"literal_binds": True})
    try:
        with warehouse.engine.begin() as conn:
            conn.execute(sa.text(f"CREATE VIEW {quoted} AS {sql}"))
    except sa.exc.SQLAlchemyError as error:
        raise classify(error, f"creating the publish candidate view {name!r}") from None
    view = sa.Table(name, sa.MetaData(), *(sa.Column(c, target.table.c[c].type)
                                           for c in columns), schema=target.schema)
    try:
        yield TableShape(schema=target.schema, name=name, table=view, columns=target.columns)
    finally:
        try:
            with warehouse.engine.begin() as conn:
                conn.execute(sa.text(f"DROP VIEW {quoted}"))
        except sa.exc.SQLAlchemyError as error:
            raise classify(error, f"dropping the publish candidate view {name!r}") from None
