"""Count the SQL statements a piece of code sends to a database.

Each statement a profile issues is a round trip, and each one that reads the
table is a scan; tests hold those numbers with this recorder, which listens to
SQLAlchemy's ``before_cursor_execute`` event on one engine.

    with record_statements(warehouse.engine) as log:
        profile_table(warehouse, table)
    assert log.count("scan") == 1
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

StatementKind = Literal["catalog", "session", "scan"]

# Reflection and planner statistics: SQLite's PRAGMAs and sqlite_master, PostgreSQL's
# pg_catalog (pg_stats lives there too), DuckDB's and everyone's information_schema.
_CATALOG = re.compile(r"^\s*PRAGMA\b|\bsqlite_(?:master|schema|temp_master)\b|\bpg_catalog\."
                      r"|\bpg_stats\b|\binformation_schema\.", re.IGNORECASE)
_SESSION = re.compile(r"^\s*(?:SET|RESET|SHOW|BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)


def statement_kind(sql: str) -> StatementKind:
    """``catalog`` (reflection, statistics), ``session`` (SET, ...) or ``scan`` (the rest).

    >>> statement_kind('PRAGMA main.table_info("orders")')
    'catalog'
    >>> statement_kind("SET LOCAL jit = off")
    'session'
    >>> statement_kind("SELECT count(*) FROM orders")
    'scan'
    """
    if _CATALOG.search(sql):
        return "catalog"
    if _SESSION.match(sql):
        return "session"
    return "scan"


@dataclass
class StatementLog:
    """The statements sent while recording, in order."""

    statements: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.statements)

    def of_kind(self, kind: StatementKind) -> list[str]:
        return [s for s in self.statements if statement_kind(s) == kind]

    def count(self, kind: StatementKind | None = None) -> int:
        """How many statements (of one kind) were sent."""
        return len(self.statements) if kind is None else len(self.of_kind(kind))

    def summary(self) -> dict[str, int]:
        """Statements per kind, for assertion messages."""
        return {kind: self.count(kind) for kind in ("catalog", "session", "scan")}


@contextmanager
def record_statements(engine: sa.Engine) -> Iterator[StatementLog]:
    """Record every statement ``engine`` executes inside the block."""
    log = StatementLog()

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        log.statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield log
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
