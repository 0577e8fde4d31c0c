"""Log lines for people and for machines, with secrets masked."""

from __future__ import annotations

import json
import logging

import pytest

from monitor.config.secrets import REGISTRY
from monitor.logs import JsonFormatter, configure_logging


class TestConfigureLogging:
    def test_json_lines_carry_structured_fields_and_mask_secrets(
            self, capsys: pytest.CaptureFixture[str]) -> None:
        REGISTRY.add("sk-log-secret-123")
        configure_logging("INFO", "json")

        logging.getLogger("monitor.run.runner").info(
            "run table=%s token=%s", "orders", "sk-log-secret-123",
            extra={"dq": {"event": "run", "table": "orders", "row_count": 3}})

        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert line["event"] == "run"
        assert line["row_count"] == 3
        assert line["level"] == "info"
        assert "sk-log-secret-123" not in json.dumps(line)

    def test_text_format_is_one_readable_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        configure_logging("INFO", "text")

        logging.getLogger("monitor.x").warning("hello %d", 5)

        err = capsys.readouterr().err
        assert "WARNING monitor.x: hello 5" in err


class TestJsonFormatter:
    def test_exceptions_are_included(self) -> None:
        try:
            raise ValueError("bad")
        except ValueError:
            record = logging.LogRecord("monitor", logging.ERROR, __file__, 1, "oops", None,
                                       exc_info=__import__("sys").exc_info())

        line = json.loads(JsonFormatter().format(record))

        assert "ValueError: bad" in line["exception"]


class TestTextFormatter:
    def test_a_traceback_is_masked_like_the_message(self,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
        REGISTRY.add("Pw@7fqXk/3aZ9q")
        configure_logging("INFO", "text")

        try:
            raise ValueError("failed to resolve host '7fqXk'")
        except ValueError:
            logging.getLogger("monitor.x").exception("connecting as 3aZ9q")

        err = capsys.readouterr().err
        assert "ValueError: failed to resolve host '***'" in err
        assert "connecting as ***" in err
        assert "7fqXk" not in err
        assert "3aZ9q" not in err
