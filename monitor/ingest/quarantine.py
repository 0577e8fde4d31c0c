"""The quarantine table ``<table>__quarantine``: rows held back, with why and when.

It has the target's columns (all nullable) plus ``dq_batch_id``,
``dq_row_number`` (the row's position in the file, from 1), ``dq_reason``,
``dq_quarantined_at`` (UTC) and ``dq_raw`` (the row as it was in the file,
as JSON, when a value could not be converted). Writing a batch's rows
replaces that batch's earlier rows, so retries never duplicate them.

>>> quarantine_name("orders")
'orders__quarantine'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.dialects import capabilities_of
from monitor.errors import ConfigError
from monitor.ingest.fit import bind_type, ddl_type
from monitor.timeutil import to_naive_utc
from monitor.warehouse import SqlWarehouse, TableShape

SUFFIX = "__quarantine"
META_COLUMNS = ("dq_batch_id", "dq_row_number", "dq_reason", "dq_quarantined_at", "dq_raw")


def quarantine_name(table: str) -> str:
    return f"{table}{SUFFIX}"


def _definition(target: TableShape) -> sa.Table:
    clash = [c.name for c in target.columns if c.name in META_COLUMNS]
    if clash:
        raise ConfigError(f"table {target.qualified}: column(s) {', '.join(clash)} clash with "
                          f"the quarantine's own columns")
    name = quarantine_name(target.name)
    return sa.Table(
        name, sa.MetaData(),
        sa.Column("dq_batch_id", sa.String(64), nullable=False),
        sa.Column("dq_row_number", sa.BigInteger(), nullable=False),
        sa.Column("dq_reason", sa.Text(), nullable=False),
        sa.Column("dq_quarantined_at", sa.DateTime(), nullable=False),
        sa.Column("dq_raw", sa.Text()),
        *(sa.Column(c.name, ddl_type(c, target.table.c[c.name].type))
          for c in target.columns),
        sa.Index(f"ix_{name}_batch"[:60], "dq_batch_id", "dq_row_number"),
        schema=target.schema)


def ensure_quarantine(conn: Connection, target: TableShape) -> sa.Table:
    """The quarantine table of ``target``, created if missing (existing columns kept)."""
    table = _definition(target)
    inspector = sa.inspect(conn)
    if not inspector.has_table(table.name, schema=target.schema):
        table.create(conn)
        return _bound(table, target, conn)
    # The column names of a result: portable where reflection is not (DuckDB).
    probe = sa.select(sa.text("*")).select_from(sa.table(table.name, schema=target.schema))
    existing = set(conn.execute(probe.limit(0)).keys())
    missing = [name for name in META_COLUMNS if name not in existing]
    if missing:
        raise ConfigError(f"{target.schema + '.' if target.schema else ''}{table.name} exists "
                          f"but lacks {', '.join(missing)}; it is not a dq-monitor quarantine")
    return _bound(table, target, conn, existing)


def _bound(table: sa.Table, target: TableShape, conn: Connection,
           existing: set[str] | None = None) -> sa.Table:
    """The quarantine's columns typed to bind values exactly (decimals as Decimal)."""
    caps = capabilities_of(conn)
    types = {c.name: bind_type(c, target.table.c[c.name].type, caps) for c in target.columns}
    return sa.Table(table.name, sa.MetaData(),
                    *(sa.Column(c.name, types.get(c.name, c.type)) for c in table.columns
                      if existing is None or c.name in existing),
                    schema=target.schema)


def write_rows(conn: Connection, quarantine: sa.Table, batch_id: str,
               rows: Sequence[dict[str, Any]], at: dt.datetime) -> int:
    """Replace ``batch_id``'s rows with ``rows`` (target values + dq_row_number/reason/raw)."""
    conn.execute(quarantine.delete().where(quarantine.c.dq_batch_id == batch_id))
    if not rows:
        return 0
    stamp = to_naive_utc(at)
    names = quarantine.c.keys()
    # Every row gets every column: an executemany takes its columns from the first row.
    payload = [{**{k: row.get(k) for k in names}, "dq_batch_id": batch_id,
                "dq_quarantined_at": stamp} for row in rows]
    for start in range(0, len(payload), 5000):
        conn.execute(quarantine.insert(), payload[start:start + 5000])
    return len(payload)


def read_quarantine(warehouse: SqlWarehouse, target: TableShape,
                    batch_id: str | None = None) -> pd.DataFrame:
    """The quarantined rows (of one batch), in file order; empty if there is no quarantine."""
    name = quarantine_name(target.name)
    with warehouse.connect() as conn:
        if not sa.inspect(conn).has_table(name, schema=target.schema):
            return pd.DataFrame(columns=list(META_COLUMNS))
    shape = warehouse.describe(name, target.schema)
    query = sa.select(shape.table).order_by(shape.table.c.dq_batch_id,
                                            shape.table.c.dq_row_number)
    if batch_id:
        query = query.where(shape.table.c.dq_batch_id == batch_id)
    with warehouse.connect() as conn:
        result = warehouse.execute(conn, query, what=f"quarantine of {target.qualified}")
        return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))
