"""Copying the rows of one store into another (how a spool file is replayed).

A spool file is a small SQLite store holding one run's writes; ``monitor.run.spool``
decides when to keep and replay one, and this module moves the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store import schema
from monitor.store.pending_findings import pending_finding_rows
from monitor.store.sql_store import SqlMetricStore

#: Columns that say which copy of a row is newer, most telling first.
_VERSION_COLUMNS = ("recorded_at", "finished_at", "updated_at", "created_at")


@dataclass(frozen=True)
class StoreRows:
    """Every row of a store, by table, and the findings it kept to alert on."""

    tables: dict[sa.Table, list[dict[str, Any]]]
    pending_findings: list[dict[str, Any]]

    @property
    def run_ids(self) -> list[str]:
        """The runs recorded in these rows."""
        return [row["run_id"] for row in self.tables.get(schema.runs, [])]


def read_store_rows(source: SqlMetricStore) -> StoreRows:
    """Every row of every store table of ``source`` (its version row left out)."""
    skip = {schema.meta, schema.pending_findings}
    with source.connect() as conn:
        tables = {table: [dict(r) for r in conn.execute(sa.select(table)).mappings()]
                  for table in schema.metadata.sorted_tables if table not in skip}
        pending = list(pending_finding_rows(conn))
    return StoreRows(tables, pending)


def merge_rows(conn: Connection, rows: StoreRows) -> None:
    """Write the rows in the caller's transaction, keeping stored rows that are newer."""
    for table, table_rows in rows.tables.items():
        for row in table_rows:
            _merge_row(conn, table, row)


def _merge_row(conn: Connection, table: sa.Table, row: dict[str, Any]) -> None:
    """Insert ``row``, replacing a stored row with the same key unless that one is newer."""
    key = sa.and_(*(column == row[column.name] for column in table.primary_key.columns))
    version = next((table.c[name] for name in _VERSION_COLUMNS if name in table.c), None)
    wanted = [c for c in (version, table.c.get("run_id")) if c is not None]
    if wanted:
        current = conn.execute(sa.select(*wanted).where(key)).mappings().first()
    else:
        current = conn.execute(sa.select(sa.literal(1)).where(key)).first()
    if current is not None:
        same_run = "run_id" in table.c and current.get("run_id") == row.get("run_id")
        stored, ours = (current.get(version.name), row.get(version.name)) if (
            version is not None) else (None, None)
        if not same_run and stored is not None and ours is not None and stored > ours:
            return  # the store already holds a newer version of this row
        conn.execute(table.delete().where(key))
    conn.execute(table.insert().values(**row))


def numbered_table_with_rows(store: SqlMetricStore) -> str | None:
    """A table holding rows whose ids the store numbers (they cannot be copied), or None."""
    with store.connect() as conn:
        for table in schema.metadata.sorted_tables:
            column = table.autoincrement_column
            if column is not None and conn.execute(
                    sa.select(sa.func.count()).select_from(table)).scalar():
                return table.name
    return None
