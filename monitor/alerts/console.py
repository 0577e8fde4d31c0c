"""The embedded default: alerts written to the log (stderr) when Slack is not configured.

Each alert is one log record holding what Slack would show, as plain text:
no ``:emoji:`` codes, no ``*bold*`` markup, and the message once (not its
fallback text and then its blocks, which say the same thing).

>>> ConsoleNotifier().send(OutgoingMessage(text="orders: 412 rows, usually about 980"))
Delivery(ts=None, channel='console')
"""

from __future__ import annotations

import logging

from monitor.alerts.blocks import plain, render_text
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
        # The fallback text is what Slack shows where blocks cannot be shown: with
        # blocks it repeats them, so only the blocks are printed.
        body = render_text(message.blocks) if message.blocks else plain(message.text)
        self.log.warning("ALERT %s", body,
                         extra={"dq": {"event": "alert", "text": message.text}})
        return Delivery(channel="console")
