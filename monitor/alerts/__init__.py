"""Alerts: incidents from findings, Block Kit messages, an outbox, and notifiers.

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
)
from monitor.alerts.outbox import DeliveryReport, deliver_due, flush_outbox, requeue

__all__ = ["Delivery", "DeliveryFailed", "DeliveryRejected", "DeliveryReport", "Notifier",
           "OutgoingMessage", "build_notifier", "deliver_due", "flush_outbox",
           "requeue"]
