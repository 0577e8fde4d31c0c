"""Writing rows by their key without racing another writer: ``INSERT ... ON CONFLICT``.

Deleting a key and inserting it again is not safe when two processes write
the same key at once: under READ COMMITTED the second delete does not see the
first writer's uncommitted rows, so its insert then fails with a duplicate
key; and a delete locks rows in table order while inserts go in key order,
so two such writers can deadlock. An upsert instead waits for the first
writer and replaces its row, so the later transaction wins, whole; rows are
deleted only when the new set no longer has them (``replace_rows``).

>>> import sqlalchemy as sa
>>> t = sa.Table("kv", sa.MetaData(), sa.Column("k", sa.String, primary_key=True),
...              sa.Column("v", sa.Integer))
>>> engine = sa.create_engine("sqlite://")
>>> with engine.begin() as conn:
...     t.create(conn)
...     upsert(conn, t, [{"k": "a", "v": 1}])
...     upsert(conn, t, [{"k": "a", "v": 2}, {"k": "b", "v": 3}])
...     sorted(conn.execute(sa.select(t)).all())
1
2
[('a', 2), ('b', 3)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from monitor.dialects import capabilities_of

#: Rows per statement (well under SQLite's and PostgreSQL's bound-parameter limits).
CHUNK = 500


def _insert(conn: Connection, table: sa.Table, keys: list[str], columns: list[str]) -> Any:
    statement = capabilities_of(conn).upsert_statement
    return None if statement is None else statement(table, keys, columns)


def upsert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows``, replacing any row with the same primary key; how many were written.

    Rows are written in key order, so concurrent writers lock rows in the same
    order and wait for each other instead of deadlocking; a key given twice
    keeps its last row. The statement is the dialect's (``ON CONFLICT`` on SQLite and
    PostgreSQL, ``ON DUPLICATE KEY UPDATE`` on MariaDB, whose tables written here have
    no unique key but the primary one); other dialects delete each key first.
    """
    keys = [c.name for c in table.primary_key.columns]
    unique: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        unique[tuple(row[k] for k in keys)] = row
    if not unique:
        return 0
    ordered = [unique[k] for k in sorted(unique)]
    columns = list(ordered[0])
    statement = _insert(conn, table, keys, columns)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        if statement is None:
            for row in chunk:
                conn.execute(table.delete().where(*(table.c[k] == row[k] for k in keys)))
            conn.execute(table.insert(), chunk)
        else:
            conn.execute(statement, chunk)
    return len(ordered)


def replace_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], *,
                 scope: Sequence[ColumnElement[bool]], vary: Sequence[str]) -> int:
    """Make ``rows`` the only rows in ``scope``: upsert them, delete the others.

    ``vary`` names the key columns that differ between rows of the scope (the
    rest of the key is fixed by ``scope``). Only the stored rows the new set
    lacks are deleted (by key, in key order), so two writers of the same set
    never lock rows in different orders, and no statement grows with the set.
    """
    columns = [table.c[name] for name in vary]
    new = {tuple(row[name] for name in vary) for row in rows}
    stored = {tuple(found) for found in conn.execute(sa.select(*columns).where(*scope))}
    stale = sorted(stored - new)
    for start in range(0, len(stale), CHUNK):
        chunk = stale[start:start + CHUNK]
        match = (columns[0].in_([k[0] for k in chunk]) if len(columns) == 1
                 else sa.tuple_(*columns).in_(chunk))
        conn.execute(table.delete().where(*scope, match))
    return upsert(conn, table, rows)
