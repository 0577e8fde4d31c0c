"""Fixtures: real warehouses (SQLite, DuckDB, PostgreSQL, MariaDB) and metric stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.config.secrets import REGISTRY
from monitor.store import SqlMetricStore, open_store
from monitor.warehouse import dispose_engines
from tests.helpers import mariadb
from tests.helpers.postgres import require_postgres, temporary_database
from tests.helpers.warehouses import (
    KINDS,
    WarehouseUnderTest,
    postgres_warehouse,
    sqlite_warehouse,
    warehouse_of,
)


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    yield
    dispose_engines()


@pytest.fixture(autouse=True)
def _fresh_secrets() -> Iterator[None]:
    """Secrets one test registers (``xoxb-test-1``) must not mask words in the next one."""
    yield
    REGISTRY.clear()


@pytest.fixture(params=KINDS)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseUnderTest]:
    """The same test on SQLite, DuckDB, PostgreSQL and MariaDB (a schema of its own);
    a test module may override it with ``WITH_SPARK`` to add Spark."""
    with warehouse_of(request.param, tmp_path) as wh:
        yield wh


@pytest.fixture(params=["sqlite", "postgresql"])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseUnderTest]:
    """SQLite and PostgreSQL: the engines the gate and ingestion are tested on (Great
    Expectations cannot validate DuckDB)."""
    if request.param == "sqlite":
        w = sqlite_warehouse(tmp_path)
        yield w
        w.dispose()
    else:
        with postgres_warehouse() as w:
            yield w


@pytest.fixture
def pg_warehouse() -> Iterator[WarehouseUnderTest]:
    """A PostgreSQL warehouse only."""
    with postgres_warehouse() as wh:
        yield wh


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlMetricStore]:
    store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
    yield store
    store.dispose()


@pytest.fixture
def pg_store() -> Iterator[SqlMetricStore]:
    """A metric store in a PostgreSQL database of its own."""
    require_postgres()
    with temporary_database("dq_store") as url:
        store = open_store(url)
        yield store
        store.dispose()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlMetricStore]:
    """The same test on a SQLite, a PostgreSQL and a MariaDB metric store."""
    if request.param == "sqlite":
        s = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        yield s
        s.dispose()
    elif request.param == "mariadb":
        with mariadb.temporary_database("dq_store") as name:
            s = open_store(mariadb.url_for_database(name))
            yield s
            s.dispose()
    else:
        require_postgres()
        with temporary_database("dq_store") as url:
            s = open_store(url)
            yield s
            s.dispose()
