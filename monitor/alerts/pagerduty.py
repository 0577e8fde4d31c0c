"""PagerDuty through the Events API v2: trigger on an incident, resolve it on recovery.

Each incident is one PagerDuty alert, keyed by ``<dedup_prefix>/<table>/<incident
id>``: an ``opened``, ``update`` or ``reminder`` message triggers (PagerDuty
folds a trigger for an open key into the same alert), a ``resolved`` message
resolves. A message about several incidents sends one event per incident; a
retry resends all of them, which the dedup keys make harmless. The answer is
202 ``{status, message, dedup_key}``; 400 (an invalid event) is a dead
letter; 429 and 5xx are retried by the outbox. The routing key is a secret.

>>> from monitor.config.models import PagerDutyConfig
>>> notifier = PagerDutyNotifier(PagerDutyConfig(routing_key="R0UT1NGKEY"))
>>> notifier.dedup_key("orders", 7)
'dq-monitor/orders/7'
>>> notifier.event(OutgoingMessage(text="orders: 412 rows", table="orders", event="resolved",
...                                incident_ids=(7,)), 7)["event_action"]
'resolve'
"""

from __future__ import annotations

from typing import Any

from monitor.alerts.blocks import plain, render_text
from monitor.alerts.http import post_json
from monitor.alerts.notifier import Delivery, DeliveryRejected, OutgoingMessage
from monitor.config.models import PagerDutyConfig
from monitor.config.secrets import REGISTRY

#: PagerDuty's severities are critical, error, warning and info.
SEVERITIES = {"critical": "critical", "warning": "warning", "info": "info"}
#: PagerDuty cuts a summary at 1,024 characters; we cut it first, at a word.
SUMMARY_LIMIT = 1024


def summary(message: OutgoingMessage) -> str:
    """The alert's one-line title: the message's first line, as plain text."""
    first = plain(message.text).strip().splitlines()[0] if message.text.strip() else ""
    text = first or f"data quality problem on table {message.table}"
    if len(text) <= SUMMARY_LIMIT:
        return text
    return text[: SUMMARY_LIMIT - 1].rsplit(" ", 1)[0] + "…"


class PagerDutyNotifier:
    """Sends Events API v2 events to ``<base_url>/v2/enqueue``."""

    name = "pagerduty"
    supports_threads = False

    def __init__(self, config: PagerDutyConfig) -> None:
        REGISTRY.add(config.routing_key)
        self.config = config
        self.timeout = float(config.timeout)
        self.url = config.base_url.rstrip("/") + "/v2/enqueue"

    def dedup_key(self, table: str | None, incident_id: int) -> str:
        return f"{self.config.dedup_prefix}/{table or '-'}/{incident_id}"

    def event(self, message: OutgoingMessage, incident_id: int) -> dict[str, Any]:
        """The Events API v2 body for one incident of a message."""
        key = self.dedup_key(message.table, incident_id)
        if message.event == "resolved":
            return {"routing_key": self.config.routing_key, "event_action": "resolve",
                    "dedup_key": key}
        details = render_text(message.blocks) if message.blocks else plain(message.text)
        return {
            "routing_key": self.config.routing_key, "event_action": "trigger", "dedup_key": key,
            "payload": {
                "summary": summary(message), "source": self.config.source,
                "severity": SEVERITIES.get(message.severity or "", "error"),
                "component": message.table, "group": "data-quality",
                "class": message.event or "opened",
                "custom_details": {"table": message.table, "incident_id": incident_id,
                                   "event": message.event, "details": details},
            },
        }

    def send(self, message: OutgoingMessage) -> Delivery:
        """One event per incident of the message."""
        if not message.incident_ids:
            raise DeliveryRejected("pagerduty: the message names no incident, so it has no "
                                   "dedup key to trigger or resolve")
        for incident_id in message.incident_ids:
            post_json(self.url, self.event(message, incident_id), timeout=self.timeout,
                               what=f"pagerduty {message.event or 'event'} of incident "
                                    f"{incident_id}")
        return Delivery(channel="pagerduty")
