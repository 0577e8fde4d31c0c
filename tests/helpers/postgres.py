"""Reaching the local PostgreSQL server, or skipping (failing in CI) with a clear reason."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from tests.helpers.servers import Server

POSTGRES = Server("PostgreSQL", "postgresql+psycopg://postgres@127.0.0.1:5432/test",
                  url_var="DQ_TEST_POSTGRES_URL", require_var="DQ_REQUIRE_POSTGRES")
DEFAULT_URL = POSTGRES.default_url
URL_VAR = POSTGRES.url_var
REQUIRE_VAR = POSTGRES.require_var
base_url = POSTGRES.base_url
reachable = POSTGRES.reachable
require_postgres = POSTGRES.require
url_for_database = POSTGRES.url_for_database


@contextmanager
def temporary_schema(prefix: str = "dq_test") -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base_url())
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        engine.dispose()


@contextmanager
def temporary_database(prefix: str = "dq_test") -> Iterator[str]:
    """A fresh database on the server (URL yielded), dropped afterwards."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url_for_database(name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
