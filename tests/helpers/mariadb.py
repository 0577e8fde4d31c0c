"""Reaching the local MariaDB server, or skipping (failing in CI) with a clear reason.

On MariaDB a schema is a database: a test's tables live in a database of its
own (``temporary_schema``), reached from the server's ``test`` database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from tests.helpers.servers import Server

MARIADB = Server("MariaDB", "mariadb+pymysql://root@127.0.0.1:3306/test?charset=utf8mb4",
                 url_var="DQ_TEST_MARIADB_URL", require_var="DQ_REQUIRE_MARIADB",
                 driver_hint="pip install 'dq-monitor[mysql]'")
DEFAULT_URL = MARIADB.default_url
URL_VAR = MARIADB.url_var
REQUIRE_VAR = MARIADB.require_var
base_url = MARIADB.base_url
reachable = MARIADB.reachable
require_mariadb = MARIADB.require
url_for_database = MARIADB.url_for_database


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

