"""${VAR} interpolation and masking of secrets in logs."""

from __future__ import annotations

import logging

import pytest

from monitor.secrets import (
    REGISTRY,
    MissingVariable,
    RedactingFilter,
    Secrets,
    only_variable,
    resolve_env,
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
