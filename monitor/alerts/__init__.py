"""Alerts: incidents from findings, Block Kit messages, an outbox, notifiers and routes.

Notifiers: Slack (``slack``), e-mail (``email``), PagerDuty (``pagerduty``), a JSON or
Teams webhook (``webhook``) and the log (``console``); ``alerts.routes`` picks which of
them gets each message (``monitor.alerts.routes``).

The run step that raises alerts is ``monitor.run.alert``; ``flush_outbox`` delivers what is due
(after each run, from the service, and by ``dq-monitor alerts deliver``).
"""

from monitor.alerts.notifier import (
    Delivery,
    DeliveryFailed,
    DeliveryRejected,
    Notifier,
    OutgoingMessage,
    build_notifier,
    build_notifiers,
)
from monitor.alerts.outbox import DeliveryReport, deliver_due, flush_outbox, requeue

__all__ = ["Delivery", "DeliveryFailed", "DeliveryRejected", "DeliveryReport", "Notifier",
           "OutgoingMessage", "build_notifier", "build_notifiers", "deliver_due", "flush_outbox",
           "requeue"]
