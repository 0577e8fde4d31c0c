"""Reaching the local MariaDB server, or skipping (failing in CI) with a clear reason.

On MariaDB a schema is a database: a test's tables live in a database of its
own (``temporary_schema``), reached from the server's ``test`` database.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

DEFAULT_URL = "mariadb+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4"
URL_VAR = "DQ_TEST_MARIADB_URL"
REQUIRE_VAR = "DQ_REQUIRE_MARIADB"

_reachable: tuple[bool, str] | None = None


def base_url() -> str:
    return os.environ.get(URL_VAR, DEFAULT_URL)


def reachable() -> tuple[bool, str]:
    """(True, '') when the server answers, else (False, reason); checked once per session."""
    global _reachable
    if _reachable is None:
        try:
            engine = sa.create_engine(base_url(), connect_args={"connect_timeout": 3})
        except ModuleNotFoundError as error:  # no PyMySQL: pip install 'dq-monitor[mysql]'
            _reachable = (False, f"no MariaDB driver ({error}); pip install 'dq-monitor[mysql]'")
            return _reachable
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
            _reachable = (True, "")
        except sa.exc.SQLAlchemyError as error:
            first = str(error.orig or error).strip().splitlines()[0]
            _reachable = (False, f"MariaDB not reachable at {base_url()} ({first}); "
                                 f"set {URL_VAR} to point the tests at a server")
        finally:
            engine.dispose()
    return _reachable


def require_mariadb() -> None:
    """Skip the calling test without MariaDB; fail instead when CI requires it."""
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
def temporary_database(prefix: str = "dq_test") -> Iterator[str]:
    """A fresh database (a schema, on MariaDB) on the server, dropped afterwards.

    Its character set is utf8mb4 with the server's default collation, as a
    user's database would have (case-insensitive ``utf8mb4_general_ci``).
    """
    require_mariadb()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@contextmanager
def temporary_schema(prefix: str = "dq_test") -> Iterator[str]:
    """A schema of the test's own: a database, since MariaDB's schemas are databases."""
    with temporary_database(prefix) as name:
        yield name

