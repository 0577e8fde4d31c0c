"""The console/log notifier: the embedded default when Slack is not configured."""

from __future__ import annotations

import logging

import pytest

from monitor.alerts.blocks import build_message
from monitor.alerts.console import ConsoleNotifier
from monitor.alerts.notifier import Delivery, OutgoingMessage
from tests.alerts.test_blocks import ROWS


class TestConsoleNotifier:
    def test_logs_the_message_as_text_at_warning(self, caplog: pytest.LogCaptureFixture
                                                 ) -> None:
        caplog.set_level(logging.WARNING, logger="monitor.alerts")
        text, blocks = build_message("opened", "orders", [ROWS], owners=["@data-eng"],
                                     dashboard_url="http://localhost:8501")

        delivery = ConsoleNotifier().send(OutgoingMessage(text=text, blocks=blocks))

        (record,) = caplog.records
        assert record.levelno == logging.WARNING
        assert delivery == Delivery(ts=None, channel="console")
        message = record.getMessage()
        assert message.startswith(f"ALERT {text}\n:rotating_light: Data quality alert: orders")
        assert "observed *412*" in message
        assert "[Open dashboard] http://localhost:8501/?table=orders" in message

    def test_a_message_without_blocks_logs_its_text(self, caplog: pytest.LogCaptureFixture
                                                    ) -> None:
        caplog.set_level(logging.WARNING, logger="monitor.alerts")

        ConsoleNotifier().send(OutgoingMessage(text="just text"))

        assert caplog.records[0].getMessage() == "ALERT just text\njust text"

    def test_never_threads_and_never_hangs(self) -> None:
        notifier = ConsoleNotifier()

        assert (notifier.name, notifier.supports_threads, notifier.timeout) == (
            "console", False, 0.0)
