"""The embedded default: alerts written to the log (stderr) when Slack is not configured.

>>> ConsoleNotifier().send(OutgoingMessage(text="orders: 412 rows, usually about 980"))
Delivery(ts=None, channel='console')
"""

from __future__ import annotations

import logging

from monitor.alerts.blocks import render_text
from monitor.alerts.notifier import Delivery, OutgoingMessage

log = logging.getLogger("monitor.alerts")


class ConsoleNotifier:
    """Logs each message at WARNING (so it shows at every usual log level); never fails."""

    name = "console"
    supports_threads = False
    timeout = 0.0

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.log = logger or log

    def send(self, message: OutgoingMessage) -> Delivery:
        body = render_text(message.blocks) if message.blocks else message.text
        self.log.warning("ALERT %s\n%s", message.text, body,
                         extra={"dq": {"event": "alert", "text": message.text}})
        return Delivery(channel="console")
