"""Upserts and whole-set replacement on SQLite, PostgreSQL, MariaDB and DuckDB."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.store.upsert import replace_rows, upsert
from monitor.warehouse import create_engine
from tests.helpers import mariadb
from tests.helpers.postgres import temporary_database

meta = sa.MetaData()
pairs = sa.Table("t_pairs", meta, sa.Column("scope", sa.String(10), primary_key=True),
                 sa.Column("k", sa.Integer, primary_key=True, autoincrement=False),
                 sa.Column("v", sa.String(10)))
keys_only = sa.Table("t_keys", meta,
                     sa.Column("k", sa.Integer, primary_key=True, autoincrement=False))


@pytest.fixture(params=["sqlite", "postgresql", "mariadb", "duckdb"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """The metric stores' databases (ON CONFLICT, ON DUPLICATE KEY UPDATE on MariaDB),
    and DuckDB (the delete-first fallback)."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'u.db'}"
        elif request.param == "duckdb":
            url = f"duckdb:///{tmp_path / 'u.duckdb'}"
        elif request.param == "mariadb":
            url = mariadb.url_for_database(
                stack.enter_context(mariadb.temporary_database("dq_upsert")))
        else:
            url = stack.enter_context(temporary_database("dq_upsert"))
        made = create_engine(url)
        meta.create_all(made)
        yield made
        made.dispose()


def rows_of(engine: sa.Engine, table: sa.Table) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(table)))


class TestUpsert:
    def test_replaces_rows_with_the_same_key_and_adds_the_others(
            self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            upsert(conn, pairs, [{"scope": "a", "k": 1, "v": "old"}])

        with engine.begin() as conn:
            written = upsert(conn, pairs, [{"scope": "a", "k": 2, "v": "new"},
                                           {"scope": "a", "k": 1, "v": "new"}])

        assert written == 2
        assert rows_of(engine, pairs) == [("a", 1, "new"), ("a", 2, "new")]

    def test_a_key_given_twice_keeps_its_last_row(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            written = upsert(conn, pairs, [{"scope": "a", "k": 1, "v": "first"},
                                           {"scope": "a", "k": 1, "v": "last"}])

        assert written == 1
        assert rows_of(engine, pairs) == [("a", 1, "last")]

    def test_a_table_of_keys_only_ignores_existing_keys(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            upsert(conn, keys_only, [{"k": 1}])
            upsert(conn, keys_only, [{"k": 1}, {"k": 2}])

        assert rows_of(engine, keys_only) == [(1,), (2,)]

    def test_more_rows_than_one_statement_takes(self, engine: sa.Engine) -> None:
        rows = [{"scope": "a", "k": k, "v": str(k)} for k in range(1234)]

        with engine.begin() as conn:
            written = upsert(conn, pairs, rows)

        assert written == 1234
        assert len(rows_of(engine, pairs)) == 1234

    def test_nothing_to_write(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            assert upsert(conn, pairs, []) == 0


class TestReplaceRows:
    def test_the_scope_ends_up_holding_exactly_the_new_rows(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            upsert(conn, pairs, [{"scope": "a", "k": k, "v": "old"} for k in (1, 2, 3)]
                   + [{"scope": "b", "k": 1, "v": "other"}])

        with engine.begin() as conn:
            replace_rows(conn, pairs, [{"scope": "a", "k": 2, "v": "new"},
                                       {"scope": "a", "k": 4, "v": "new"}],
                         scope=[pairs.c.scope == "a"], vary=["k"])

        assert rows_of(engine, pairs) == [("a", 2, "new"), ("a", 4, "new"), ("b", 1, "other")]

    def test_no_rows_empties_the_scope(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            upsert(conn, pairs, [{"scope": "a", "k": 1, "v": "x"}, {"scope": "b", "k": 1,
                                                                    "v": "y"}])

        with engine.begin() as conn:
            replace_rows(conn, pairs, [], scope=[pairs.c.scope == "a"], vary=["k"])

        assert rows_of(engine, pairs) == [("b", 1, "y")]

    def test_a_key_of_two_varying_columns(self, engine: sa.Engine) -> None:
        with engine.begin() as conn:
            upsert(conn, pairs, [{"scope": s, "k": 1, "v": "old"} for s in ("a", "b", "c")])

        with engine.begin() as conn:
            replace_rows(conn, pairs, [{"scope": "b", "k": 1, "v": "new"}],
                         scope=[pairs.c.k == 1], vary=["scope", "k"])

        assert rows_of(engine, pairs) == [("b", 1, "new")]
