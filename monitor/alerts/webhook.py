"""A generic JSON webhook, or a Microsoft Teams (Workflows) webhook with an Adaptive Card.

``format: json`` posts what the message is about as data::

    {"source": "dq-monitor", "event": "opened", "table": "orders", "severity": "critical",
     "incident_ids": [7], "title": "...", "text": "<the message as plain text>"}

``format: teams`` posts ``{"type": "message", "attachments": [Adaptive Card]}``,
which Teams' "post to a channel when a webhook request is received" workflow
accepts. 2xx is delivered; 429 and 5xx are retried; other statuses are dead
letters. The URL and header values are secrets (they are masked in logs).

>>> from monitor.config.models import WebhookConfig
>>> hook = WebhookNotifier(WebhookConfig(url="https://hooks.invalid/T0k3nPath"))
>>> hook.body(OutgoingMessage(text="orders: 412 rows", table="orders", event="opened"))["title"]
'orders: 412 rows'
"""

from __future__ import annotations

from typing import Any

from monitor.alerts.blocks import plain, render_text
from monitor.alerts.http import post_json
from monitor.alerts.notifier import Delivery, OutgoingMessage
from monitor.config.models import WebhookConfig
from monitor.config.secrets import REGISTRY

_TEAMS_COLOR = {"critical": "attention", "warning": "warning", "info": "accent"}


def message_text(message: OutgoingMessage) -> str:
    """The message as plain text (what the console shows)."""
    return render_text(message.blocks) if message.blocks else plain(message.text)


def title(message: OutgoingMessage) -> str:
    first = plain(message.text).strip().splitlines()
    return first[0] if first else f"dq-monitor: table {message.table}"


class WebhookNotifier:
    """POSTs one JSON document per message to the configured URL."""

    supports_threads = False

    def __init__(self, config: WebhookConfig) -> None:
        REGISTRY.add(config.url)
        for value in config.headers.values():
            REGISTRY.add(value)
        self.config = config
        self.timeout = float(config.timeout)
        self.name = "teams-webhook" if config.format == "teams" else "webhook"

    def body(self, message: OutgoingMessage) -> dict[str, Any]:
        if self.config.format == "teams":
            return self._card(message)
        return {"source": "dq-monitor", "event": message.event, "table": message.table,
                "severity": message.severity, "incident_ids": list(message.incident_ids),
                "title": title(message), "text": message_text(message)}

    def _card(self, message: OutgoingMessage) -> dict[str, Any]:
        card = {
            "type": "AdaptiveCard", "version": "1.4",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "body": [
                {"type": "TextBlock", "text": title(message), "weight": "Bolder",
                 "size": "Medium", "wrap": True,
                 "color": _TEAMS_COLOR.get(message.severity or "", "default")},
                {"type": "TextBlock", "text": message_text(message), "wrap": True},
            ],
        }
        return {"type": "message", "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}

    def send(self, message: OutgoingMessage) -> Delivery:
        post_json(self.config.url, self.body(message), timeout=self.timeout,
                  what=self.name, headers=self.config.headers)
        return Delivery(channel=self.name)
