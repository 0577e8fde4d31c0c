"""Write-audit-publish in the warehouse: staging table, ledger, and the publish transaction.

1. *write*: the batch goes to a staging table beside the target
   (``<table>__dq_staging_<batch>``), re-created on every attempt;
2. *audit*: the gate judges the staging table (``monitor.ingest.batch``);
3. *publish*: ONE transaction moves the rows into the target, writes the
   failing rows to the quarantine and records the batch in the ledger table
   ``dq_batch_ledger`` (same schema). A crash or a killed connection before
   the commit leaves the target as it was; the ledger makes a retry after
   the commit a no-op, even if the metric store missed the news.

>>> staging_name("orders", "0123456789abcdef0123")
'orders__dq_staging_0123456789ab'
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from monitor.errors import MonitorError
from monitor.ingest.fit import bind_type, ddl_type
from monitor.ingest.quarantine import ensure_quarantine, quarantine_name, write_rows
from monitor.timeutil import to_naive_utc
from monitor.warehouse import ColumnInfo, SqlWarehouse, TableShape, classify

LEDGER = "dq_batch_ledger"
ROW = "dq_row_number"
Checkpoint = Callable[[str, Connection | None], None]


@dataclass(frozen=True)
class RowFailure:
    """A row-level check whose failing staging rows go to quarantine."""

    label: str
    column: str
    condition: ColumnElement[bool]  # true for the failing rows (built on the staging table)
    show_value: bool = True  # False for pii columns
    key: str = ""  # the expectation's key


@dataclass(frozen=True)
class Published:
    rows_published: int
    rows_quarantined: int
    duplicate: bool = False


def staging_name(table: str, batch_id: str) -> str:
    return f"{table[:30]}__dq_staging_{batch_id[:12]}"


def ledger_table(schema: str | None) -> sa.Table:
    return sa.Table(LEDGER, sa.MetaData(),
                    sa.Column("batch_id", sa.String(64), primary_key=True),
                    sa.Column("table_name", sa.String(200), nullable=False),
                    sa.Column("content_hash", sa.String(64), nullable=False),
                    sa.Column("source_file", sa.Text(), nullable=False),
                    sa.Column("rows_published", sa.BigInteger()),
                    sa.Column("rows_quarantined", sa.BigInteger()),
                    sa.Column("published_at", sa.DateTime(), nullable=False),
                    schema=schema)


def ledger_entry(warehouse: SqlWarehouse, schema: str | None,
                 batch_id: str) -> dict[str, Any] | None:
    """The ledger row of a published batch, or None."""
    ledger = ledger_table(schema)
    with warehouse.connect() as conn:
        if not sa.inspect(conn).has_table(LEDGER, schema=schema):
            return None
        row = warehouse.execute(conn, sa.select(ledger).where(ledger.c.batch_id == batch_id),
                                what="the batch ledger").mappings().first()
    return dict(row) if row else None


def create_staging(warehouse: SqlWarehouse, target: TableShape, name: str,
                   columns: Sequence[str]) -> TableShape:
    """An empty staging table with the target's exact types for ``columns`` (dropped first)."""
    infos = [target.column(c) for c in columns]
    table = sa.Table(name, sa.MetaData(), sa.Column(ROW, sa.BigInteger(), nullable=False),
                     *(sa.Column(c.name, ddl_type(c, target.table.c[c.name].type))
                       for c in infos),
                     schema=target.schema)
    try:
        with warehouse.engine.begin() as conn:
            table.drop(conn, checkfirst=True)
            table.create(conn)
    except sa.exc.SQLAlchemyError as error:
        raise classify(error, f"creating staging table {name!r}") from None
    caps = warehouse.capabilities
    data_only = sa.Table(name, sa.MetaData(),
                         *(sa.Column(c.name, bind_type(c, target.table.c[c.name].type, caps))
                           for c in infos),
                         sa.Column(ROW, sa.BigInteger()), schema=target.schema)
    return TableShape(schema=target.schema, name=name, table=data_only,
                      columns=tuple(ColumnInfo(c.name, c.type_name, c.kind, True)
                                    for c in infos))


def _copy_rows(conn: Connection, staging: TableShape, names: list[str],
               rows: Sequence[Sequence[Any]]) -> bool:
    """COPY the rows in where the driver can (psycopg 3); False to use INSERTs instead."""
    driver = conn.connection.driver_connection
    if not hasattr(driver, "cursor") or type(driver).__module__.split(".")[0] != "psycopg":
        return False
    from psycopg import sql

    target = (sql.Identifier(staging.schema, staging.name) if staging.schema
              else sql.Identifier(staging.name))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        target, sql.SQL(", ").join(sql.Identifier(n) for n in names))
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return True


def load_staging(warehouse: SqlWarehouse, staging: TableShape, frame: pd.DataFrame,
                 rows: Sequence[int], *, chunk: int = 10_000) -> int:
    """Insert ``frame``'s rows numbered ``rows`` (0-based; stored from 1).

    PostgreSQL (psycopg 3) gets them by COPY, about ten times faster than INSERTs.
    """
    names = [c.name for c in staging.columns]
    columns = [frame[n].tolist() for n in names]
    tuples = [(*(col[i] for col in columns), i + 1) for i in rows]
    try:
        with warehouse.engine.begin() as conn:
            if not _copy_rows(conn, staging, [*names, ROW], tuples):
                keys = [*names, ROW]
                insert = staging.table.insert()
                for start in range(0, len(tuples), chunk):
                    conn.execute(insert, [dict(zip(keys, t, strict=True))
                                          for t in tuples[start:start + chunk]])
    except sa.exc.SQLAlchemyError as error:
        raise classify(error, f"loading staging table {staging.qualified!r}") from None
    except Exception as error:
        if type(error).__module__.split(".")[0] != "psycopg":
            raise
        raise classify(error, f"loading staging table {staging.qualified!r}") from None
    return len(tuples)


def drop_staging(warehouse: SqlWarehouse, staging: TableShape) -> None:
    """Drop a staging table; a failure only leaves it for the next attempt to replace."""
    with contextlib.suppress(sa.exc.SQLAlchemyError, MonitorError), \
            warehouse.engine.begin() as conn:
        staging.table.drop(conn, checkfirst=True)


def _failing_rows(warehouse: SqlWarehouse, conn: Connection, staging: TableShape,
                  failures: Sequence[RowFailure]) -> list[dict[str, Any]]:
    """Staging rows that fail any row-level check, with the reasons."""
    table = staging.table
    flags = [sa.case((f.condition, 1), else_=0).label(f"f{i}") for i, f in enumerate(failures)]
    query = (sa.select(table, *flags).where(sa.or_(*(f.condition for f in failures)))
             .order_by(table.c[ROW]))
    out = []
    for row in warehouse.execute(conn, query, what="rows failing row-level checks").mappings():
        reasons = []
        for i, failure in enumerate(failures):
            if row[f"f{i}"]:
                found = row[failure.column] if failure.show_value else None
                value = "" if not failure.show_value else (
                    f" ({failure.column} is null)" if found is None
                    else f" ({failure.column}={found!r})")
                reasons.append(f"{failure.label}{value}")
        record = {c.name: row[c.name] for c in staging.columns}
        out.append({**record, ROW: row[ROW], "dq_reason": "; ".join(reasons)})
    return out


def publish(warehouse: SqlWarehouse, *, target: TableShape, staging: TableShape,
            batch_id: str, content_hash: str, source: str,
            rejected: Sequence[Mapping[str, Any]], failures: Sequence[RowFailure],
            go: bool, at: dt.datetime, checkpoint: Checkpoint | None = None) -> Published:
    """The publish transaction: quarantine the failing rows; if ``go``, publish the rest.

    ``rejected`` are rows that never reached staging (values that did not
    convert), with ``dq_row_number``, ``dq_reason`` and ``dq_raw``.
    """
    ledger = ledger_table(target.schema)
    columns = [c.name for c in staging.columns]
    try:
        with warehouse.connect() as conn, conn.begin():
            ledger.create(conn, checkfirst=True)
            done = warehouse.execute(conn, sa.select(ledger.c.batch_id).where(
                ledger.c.batch_id == batch_id), what="the batch ledger").first()
            if go and done is not None:
                return Published(0, 0, duplicate=True)
            held = [dict(r) for r in rejected]
            if failures:
                held += _failing_rows(warehouse, conn, staging, failures)
            quarantined = 0
            has_quarantine = sa.inspect(conn).has_table(quarantine_name(target.name),
                                                        schema=target.schema)
            quarantine = None
            if held or has_quarantine:
                quarantine = ensure_quarantine(conn, target)
                quarantined = write_rows(conn, quarantine, batch_id, held, at)
            published = 0
            if go:
                source_rows = sa.select(*(staging.table.c[c] for c in columns))
                if quarantine is not None and held:
                    source_rows = source_rows.where(~sa.exists().where(
                        quarantine.c.dq_batch_id == batch_id,
                        quarantine.c.dq_row_number == staging.table.c[ROW]))
                warehouse.execute(conn, target.table.insert().from_select(columns, source_rows),
                                  what=f"publishing into {target.qualified}")
                count = sa.select(sa.func.count()).select_from(source_rows.subquery())
                published = int(warehouse.execute(conn, count, what="published rows").scalar()
                                or 0)
                warehouse.execute(conn, ledger.insert().values(
                    batch_id=batch_id, table_name=target.qualified, content_hash=content_hash,
                    source_file=source, rows_published=published, rows_quarantined=quarantined,
                    published_at=to_naive_utc(at)), what="the batch ledger")
            if checkpoint:
                checkpoint("before_commit", conn)
    except sa.exc.SQLAlchemyError as error:
        raise classify(error, f"publishing batch {batch_id[:12]} into {target.qualified}"
                       ) from None
    return Published(published, quarantined)
