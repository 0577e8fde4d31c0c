"""${VAR} interpolation and masking of secrets in logs."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config.secrets import (
    REGISTRY,
    MissingVariable,
    RedactingFilter,
    Secrets,
    only_variable,
    resolve_env,
    resolve_url_env,
    secret_parts,
)


class TestResolveEnv:
    def test_substitutes_and_remembers_the_secret(self) -> None:
        secrets = Secrets()

        out = resolve_env("pg://u:${PW}@h/${DB:-wh}", {"PW": "s3cr3t"}, secrets)

        assert out == "pg://u:s3cr3t@h/wh"
        assert secrets.redact("password s3cr3t leaked") == "password *** leaked"

    def test_missing_variable_is_named(self) -> None:
        with pytest.raises(MissingVariable) as error:
            resolve_env("${NOPE}", {}, Secrets())

        assert error.value.name == "NOPE"


class TestResolveUrlEnv:
    def test_user_info_and_query_values_are_percent_encoded(self) -> None:
        secrets = Secrets()
        env = {"U": "e@t", "PW": "Pw@7f/q:", "H": "db", "DB": "w", "K": "a&b"}

        out = resolve_url_env("pg://${U}:${PW}@${H}:5432/${DB}?sslkey=${K}#${DB}", env, secrets)

        assert out == "pg://e%40t:Pw%407f%2Fq%3A@db:5432/w?sslkey=a%26b#w"
        assert secrets.redact(out) == "pg://***:***@db:5432/w?sslkey=***#w"

    def test_no_user_info_means_nothing_is_encoded(self) -> None:
        out = resolve_url_env("pg://${H}/x", {"H": "a@b"}, Secrets())

        assert out == "pg://a@b/x"

    def test_text_that_is_not_a_url_is_resolved_as_written(self) -> None:
        assert resolve_url_env("a@${X}/b", {"X": "c@d"}, Secrets()) == "a@c@d/b"

    def test_an_unset_variable_is_named(self) -> None:
        with pytest.raises(MissingVariable) as error:
            resolve_url_env("pg://u:${NOPE}@h/d", {}, Secrets())

        assert error.value.name == "NOPE"


class TestSecrets:
    SECRET = "Pw@7fqXk/3aZ9q"

    @pytest.mark.parametrize("fragment", ["7fqXk", "3aZ9q", "Pw@7", "fqXk/3a", "Pw%407fqXk"])
    def test_every_fragment_of_four_or_more_characters_is_masked(self, fragment: str) -> None:
        secrets = Secrets([self.SECRET])

        out = secrets.redact(f"failed to resolve host '{fragment}'")

        assert out == "failed to resolve host '***'"

    def test_shorter_pieces_and_other_text_are_left_alone(self) -> None:
        secrets = Secrets([self.SECRET])

        assert secrets.redact("host '7fq' port 5432") == "host '7fq' port 5432"

    @given(st.text(alphabet="abcdefghijk@/:%0123", min_size=4, max_size=16),
           st.text(alphabet="abcdefghijk@/:%0123 '", max_size=40),
           st.text(alphabet="abcdefghijk@/:%0123 '", max_size=40),
           st.integers(0, 12), st.integers(4, 16))
    @settings(max_examples=300, deadline=None)
    def test_no_fragment_survives_in_any_text(self, secret: str, before: str, after: str,
                                              start: int, length: int) -> None:
        secrets = Secrets([secret])
        text = before + secret[start:start + length] + after

        out = secrets.redact(text)

        pieces = out.split("***")
        assert not any(secret[i:i + 4] in piece for piece in pieces
                       for i in range(len(secret) - 3))

    def test_a_url_masks_its_password_not_its_host(self) -> None:
        secrets = Secrets(["postgresql://etl:Zq8vLw3n@db.internal/warehouse"])

        out = secrets.redact("warehouse db.internal: password Zq8vLw3n rejected")

        assert out == "warehouse db.internal: password *** rejected"


class TestSecretParts:
    def test_a_webhook_keeps_scheme_host_and_first_segment_readable(self) -> None:
        assert secret_parts("https://hooks.slack.com/services/T0/B0/XyZ?a=b") == [
            "T0/B0/XyZ", "a=b"]

    def test_a_url_without_a_password_has_no_secret_fragments(self) -> None:
        assert secret_parts("postgresql://etl@db/w") == []


class TestOnlyVariable:
    def test_whole_value_or_not(self) -> None:
        assert only_variable(" ${TOKEN} ") == "TOKEN"
        assert only_variable("x${TOKEN}") is None
        assert only_variable("${TOKEN:-d}") is None


class TestRedactingFilter:
    def test_masks_messages_and_arguments(self, caplog: pytest.LogCaptureFixture) -> None:
        REGISTRY.add("xoxb-9f8e7d6c5b4a")
        logger = logging.getLogger("monitor.test_secrets")
        logger.addFilter(RedactingFilter())

        with caplog.at_level(logging.INFO, logger="monitor.test_secrets"):
            logger.info("token is %s", "xoxb-9f8e7d6c5b4a")

        assert "xoxb-9f8e7d6c5b4a" not in caplog.text
        assert "token is ***" in caplog.text


def fragments(secret: str) -> set[str]:
    """Every piece of ``secret`` that must never be written: FRAGMENT characters or more."""
    return {secret[i:j] for i in range(len(secret)) for j in range(i + 4, len(secret) + 1)}


def sqlite_text(path: Path) -> str:
    """Every value of every table of a SQLite file, as text."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(str(row) for name in names
                         for row in conn.execute(f'SELECT * FROM "{name}"'))


def database_text(url: str) -> str:
    """Every value of every table of a database, as text."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return "\n".join(str(tuple(row)) for name in sa.inspect(conn).get_table_names()
                             for row in conn.execute(sa.text(f'SELECT * FROM "{name}"')))
    finally:
        engine.dispose()


class TestSecretsAreNeverWritten:
    """A password with '@' and '/', and a secret host name, through a real run on PostgreSQL:
    no fragment of either reaches the logs, the store, the spool or the dashboard."""

    PASSWORD = "Pw@7fqXk/3aZ9q"
    HOST = "h7Qz2vK9.invalid"

    def test_no_fragment_in_logs_store_spool_or_dashboard(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capfd: pytest.CaptureFixture[str]) -> None:
        from monitor.cli import main
        from monitor.config.models import load_config
        from monitor.run.context import MonitorContext
        from monitor.run.runner import run_table
        from monitor.run.spool import Spool
        from tests.helpers.dashboard import app_on, open_page, texts
        from tests.helpers.postgres import base_url, temporary_database, temporary_schema

        monkeypatch.setenv("PG_PASSWORD", self.PASSWORD)
        monkeypatch.setenv("PG_HOST", self.HOST)
        server = sa.engine.make_url(base_url())
        with temporary_schema() as schema, temporary_database() as store_url:
            engine = sa.create_engine(base_url())
            with engine.begin() as conn:
                conn.execute(sa.text(f'CREATE TABLE "{schema}".orders (id int, at timestamp)'))
                conn.execute(sa.text(f'INSERT INTO "{schema}".orders VALUES (1, now())'))
            engine.dispose()

            def with_password(port: int | None = None, database: str | None = None) -> str:
                return (f"postgresql+psycopg://{server.username}:${{PG_PASSWORD}}@"
                        f"{server.host}:{port or server.port}/{database or server.database}")

            store_db = sa.engine.make_url(store_url).database
            config_path = tmp_path / "monitor.yaml"
            config_path.write_text(yaml.safe_dump({
                "store": with_password(database=store_db),
                "warehouses": {
                    "pg": with_password(),
                    "down": {"url": with_password(port=1), "connect_timeout": "2s"},
                    "hidden": {"url": f"postgresql+psycopg://{server.username}:${{PG_PASSWORD}}"
                                      f"@${{PG_HOST}}:5432/test", "connect_timeout": "2s"}},
                "profiling": {"max_retries": 0},
                "tables": [
                    {"name": "orders", "warehouse": "pg", "schema": schema, "table": "orders"},
                    {"name": "down", "warehouse": "down", "table": "orders"},
                    {"name": "hidden", "warehouse": "hidden", "table": "orders"}]}))

            # A run: one table on the password-bearing URL, two that fail to connect.
            code = main(["--config", str(config_path), "--log-level", "DEBUG", "run"])
            out, logs = capfd.readouterr()

            # The spool: the metric store is down too, so a failed run is kept locally.
            config = load_config(config_path)
            down_store = config.model_copy(update={"store": with_password(port=1).replace(
                "${PG_PASSWORD}", self.PASSWORD.replace("@", "%40").replace("/", "%2F"))})
            spool = Spool(tmp_path / "spool")
            spooled = run_table(MonitorContext(down_store), config.table("hidden"), spool=spool)
            spool_text = "\n".join(sqlite_text(p) for p in spool.pending())
            logs += capfd.readouterr().err

            # The dashboard, on its overview and runs pages.
            at = app_on(config_path, monkeypatch).run()
            shown = [texts(at), *(str(d.value.to_dict()) for d in at.dataframe)]
            runs = open_page(at, "runs")
            shown += [texts(runs), *(str(d.value.to_dict()) for d in runs.dataframe)]
            stored = database_text(store_url)

        assert code == 2  # orders ran, the other two could not (infrastructure: exit 2)
        assert "orders" in out
        assert "cannot connect" in stored  # the errors were written ...
        assert spooled.status == "failed"
        assert len(spool.pending()) == 1
        assert "cannot connect" in spool_text
        assert not at.exception
        assert "cannot connect" in "\n".join(shown)  # the runs page lists the errors
        written = {"stdout": out, "logs": logs, "store": stored, "spool": spool_text,
                   "dashboard": "\n".join(shown)}
        for secret in (self.PASSWORD, self.HOST):  # ... and none of them holds a piece
            for where, text in written.items():
                leaked = sorted(f for f in fragments(secret) if f in text)
                assert not leaked, (where, leaked)
