"""The console/log notifier: the embedded default when Slack is not configured."""

from __future__ import annotations

import logging

import pytest

from monitor.alerts.blocks import build_message
from monitor.alerts.console import ConsoleNotifier
from monitor.alerts.notifier import Delivery, OutgoingMessage
from monitor.logs import configure_logging
from tests.alerts.test_blocks import ROWS


class TestConsoleNotifier:
    def test_logs_what_slack_shows_once_as_plain_text(self, caplog: pytest.LogCaptureFixture
                                                      ) -> None:
        caplog.set_level(logging.WARNING, logger="monitor.alerts")
        text, blocks = build_message("opened", "orders", [ROWS], owners=["@data-eng"],
                                     dashboard_url="http://localhost:8501")

        delivery = ConsoleNotifier().send(OutgoingMessage(text=text, blocks=blocks))

        (record,) = caplog.records
        assert record.levelno == logging.WARNING
        assert delivery == Delivery(ts=None, channel="console")
        message = record.getMessage()
        assert message.startswith("ALERT Data quality alert: orders\n")
        assert "observed 412, expected 980, normal band 850 – 1,100" in message
        assert "[Open dashboard] http://localhost:8501/?table=orders" in message
        assert message.count("412 rows, usually about 980") == 1  # not text, then blocks
        assert ":rotating_light:" not in message
        assert ":red_circle:" not in message
        assert "*" not in message
        assert "`" not in message

    def test_prints_once_on_stderr_with_the_cli_logging(
            self, capsys: pytest.CaptureFixture[str]) -> None:
        configure_logging("INFO")
        text, blocks = build_message("opened", "orders", [ROWS], owners=["<@U012AB3CD>"])
        try:
            ConsoleNotifier().send(OutgoingMessage(text=text, blocks=blocks))
        finally:
            for handler in list(logging.getLogger().handlers):
                if getattr(handler, "_dq_monitor", False):
                    logging.getLogger().removeHandler(handler)

        err = capsys.readouterr().err
        assert err.count("Data quality alert: orders") == 1
        assert err.count("412 rows, usually about 980") == 1
        assert "critical · 412 rows, usually about 980" in err
        assert "Owners: @U012AB3CD" in err
        assert ":" + "red_circle:" not in err
        assert "*1 problem*" not in err
        assert "1 problem on table orders" in err

    def test_a_message_without_blocks_logs_its_text(self, caplog: pytest.LogCaptureFixture
                                                    ) -> None:
        caplog.set_level(logging.WARNING, logger="monitor.alerts")

        ConsoleNotifier().send(OutgoingMessage(text="just *text* &lt;here&gt;"))

        assert caplog.records[0].getMessage() == "ALERT just text <here>"

    def test_never_threads_and_never_hangs(self) -> None:
        notifier = ConsoleNotifier()

        assert (notifier.name, notifier.supports_threads, notifier.timeout) == (
            "console", False, 0.0)
