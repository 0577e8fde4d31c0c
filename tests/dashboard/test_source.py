"""Where the dashboard reads: config path, read-only and writable handles, store checks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from monitor.dashboard import source
from monitor.errors import StoreError
from monitor.store import SqlMetricStore
from monitor.store.schema import runs
from tests.helpers.seed import Seeder, naive_now


class TestConfigPath:
    @pytest.mark.parametrize(("argv", "expected"), [
        ([], None),
        (["--config", "a.yaml"], "a.yaml"),
        (["--config=b.yaml"], "b.yaml"),
        (["-q", "tests/x", "--config", "c.yaml", "--other"], "c.yaml"),
    ])
    def test_reads_only_the_config_option(self, argv: list[str], expected: str | None):
        assert source.config_path(argv) == expected

    @given(st.lists(st.sampled_from(["-q", "-x", "tests", "--tb=short", "-k", "name"])))
    def test_other_arguments_never_choose_a_config(self, argv: list[str]):
        assert source.config_path(argv) is None


class TestReader:
    def test_cannot_write(self, store: SqlMetricStore):
        reader = source.reader(store.url)

        with pytest.raises(StoreError), reader.transaction() as conn:
            conn.execute(runs.delete())
        reader.dispose()

    def test_reads(self, sqlite_store: SqlMetricStore):
        seeder = Seeder()
        seeder.run("t", naive_now())
        seeder.write(sqlite_store)
        reader = source.reader(sqlite_store.url)

        with reader.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar() == 1
        assert reader.read_only
        reader.dispose()


class TestWriter:
    def test_writes_without_creating_tables(self, tmp_path: Path):
        path = tmp_path / "empty.db"
        sqlite3.connect(path).close()

        writer = source.writer(f"sqlite:///{path}")

        assert not writer.read_only
        assert not sa.inspect(writer.engine).has_table("dq_runs")
        writer.dispose()


class TestCheckStore:
    def test_ready(self, sqlite_store: SqlMetricStore):
        seeder = Seeder()
        seeder.run("t", naive_now())
        seeder.run("u", naive_now())
        seeder.write(sqlite_store)

        check = source.check_store(source.reader(sqlite_store.url))

        assert check == source.StoreCheck("ready", "", 2)
        assert check.ready

    def test_empty(self, store: SqlMetricStore):
        check = source.check_store(source.reader(store.url))

        assert check.state == "empty"
        assert not check.ready
        assert "no runs yet" in check.message

    def test_tables_not_created(self, tmp_path: Path):
        path = tmp_path / "other.db"
        sqlite3.connect(path).close()

        check = source.check_store(source.reader(f"sqlite:///{path}"))

        assert check.state == "uninitialized"
        assert "has no dq-monitor tables yet" in check.message

    def test_missing_file(self, tmp_path: Path):
        check = source.check_store(source.reader(f"sqlite:///{tmp_path / 'nope.db'}"))

        assert check.state == "missing"
        assert str(tmp_path / "nope.db") in check.message

    def test_unreachable_hides_the_password(self):
        check = source.check_store(
            source.reader("postgresql+psycopg://dq:hunter2@127.0.0.1:9/metrics"))

        assert check.state == "unreachable"
        assert "postgresql+psycopg://dq:***@127.0.0.1:9/metrics cannot be reached" in \
            check.message
        assert "hunter2" not in check.message


class TestShownUrl:
    def test_password_hidden(self):
        assert source.shown_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"

    def test_not_a_url(self):
        assert source.shown_url("not a url") == "not a url"
