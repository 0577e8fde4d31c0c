"""${VAR} interpolation and masking of secrets in logs."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.secrets import (
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
