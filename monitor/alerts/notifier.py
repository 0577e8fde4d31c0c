"""The notifier protocol: one outgoing message in, one delivery (or a typed failure) out.

Every way of telling people (Slack webhook, Slack bot, e-mail, PagerDuty, a JSON
webhook, console/log) takes an
``OutgoingMessage`` and returns a ``Delivery``. Failures are exceptions with
the retry markers of ``monitor.errors``: ``DeliveryFailed`` (transient: 429,
5xx, timeout, connection error; may carry Retry-After) and ``DeliveryRejected``
(terminal: bad token, unknown channel, malformed message).

>>> from monitor.config.models import AlertsConfig
>>> build_notifier(AlertsConfig()).name
'console'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from monitor.config.models import AlertsConfig
from monitor.errors import TerminalError, TransientError


@dataclass(frozen=True)
class OutgoingMessage:
    """What a notifier sends: fallback text, Block Kit blocks, and where."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    channel: str | None = None  # a Slack channel; ignored by webhooks and the console
    thread_ts: str | None = None  # reply in this thread (bot token only)
    reply_broadcast: bool = False  # a thread reply that also shows in the channel
    #: What the message is about, for notifiers that track incidents (PagerDuty) or
    #: describe them as data (webhooks, e-mail subjects).
    table: str | None = None
    event: str | None = None  # opened | update | reminder | resolved
    severity: str | None = None  # the worst severity of its incidents
    incident_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """Where a message landed: Slack's ``ts`` and channel id when the API returns them."""

    ts: str | None = None
    channel: str | None = None


class DeliveryFailed(TransientError):
    """The message did not get through this time (429, 5xx, timeout, connection error)."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message, details={"retry_after": retry_after, "status": status})
        self.retry_after = retry_after
        self.status = status


class DeliveryRejected(TerminalError):
    """The receiver refused the message for a reason retrying cannot fix."""


@runtime_checkable
class Notifier(Protocol):
    """Sends one message; raises DeliveryFailed or DeliveryRejected when it cannot."""

    #: Short name for logs and ``alerts list`` (``slack-bot``, ``slack-webhook``, ``console``).
    name: str
    #: True when messages get a ``ts`` that later messages can reply to (a thread).
    supports_threads: bool
    #: Seconds one ``send`` may take at most (its HTTP timeout); 0 when it cannot hang.
    timeout: float

    def send(self, message: OutgoingMessage) -> Delivery: ...


def build_notifier(alerts: AlertsConfig) -> Notifier:
    """Slack when ``alerts.slack`` is configured, else the console/log notifier."""
    if alerts.slack is None:
        from monitor.alerts.console import ConsoleNotifier

        return ConsoleNotifier()
    from monitor.alerts.slack import SlackNotifier

    return SlackNotifier(alerts.slack)


def build_notifiers(alerts: AlertsConfig) -> dict[str, Notifier]:
    """Every configured notifier by its config name (``slack``, ``email``, ``pagerduty``,
    ``webhook``), and ``console``, which routes may name and which is the default when
    nothing else is configured."""
    from monitor.alerts.console import ConsoleNotifier

    notifiers: dict[str, Notifier] = {}
    if alerts.slack is not None:
        from monitor.alerts.slack import SlackNotifier

        notifiers["slack"] = SlackNotifier(alerts.slack)
    if alerts.email is not None:
        from monitor.alerts.email import EmailNotifier

        notifiers["email"] = EmailNotifier(alerts.email)
    if alerts.pagerduty is not None:
        from monitor.alerts.pagerduty import PagerDutyNotifier

        notifiers["pagerduty"] = PagerDutyNotifier(alerts.pagerduty)
    if alerts.webhook is not None:
        from monitor.alerts.webhook import WebhookNotifier

        notifiers["webhook"] = WebhookNotifier(alerts.webhook)
    notifiers["console"] = ConsoleNotifier()
    return notifiers


def threads_available(alerts: AlertsConfig) -> bool:
    """Whether repeat detections can be thread replies (bot token) or need reminders."""
    return alerts.slack is not None and bool(alerts.slack.bot_token)
