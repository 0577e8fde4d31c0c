"""Reaching the local PostgreSQL server, or skipping (failing in CI) with a clear reason."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
URL_VAR = "DQ_TEST_POSTGRES_URL"
REQUIRE_VAR = "DQ_REQUIRE_POSTGRES"

_reachable: tuple[bool, str] | None = None


def base_url() -> str:
    return os.environ.get(URL_VAR, DEFAULT_URL)


def reachable() -> tuple[bool, str]:
    """(True, '') when the server answers, else (False, reason); checked once per session."""
    global _reachable
    if _reachable is None:
        engine = sa.create_engine(base_url(), connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            _reachable = (True, "")
        except sa.exc.SQLAlchemyError as error:
            first = str(error.orig or error).strip().splitlines()[0]
            _reachable = (False, f"PostgreSQL not reachable at {base_url()} ({first}); "
                                 f"set {URL_VAR} to point the tests at a server")
        finally:
            engine.dispose()
    return _reachable


def require_postgres() -> None:
    """Skip the calling test without PostgreSQL; fail instead when CI requires it."""
    ok, reason = reachable()
    if ok:
        return
    if os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VAR}=1 makes this a failure)")
    pytest.skip(reason)


def url_for_database(name: str) -> str:
    return sa.engine.make_url(base_url()).set(database=name).render_as_string(
        hide_password=False)


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
