"""The notifier protocol and how the configured one is chosen."""

from __future__ import annotations

from monitor.alerts.console import ConsoleNotifier
from monitor.alerts.email import EmailNotifier
from monitor.alerts.notifier import (
    DeliveryFailed,
    DeliveryRejected,
    Notifier,
    build_notifier,
    build_notifiers,
    threads_available,
)
from monitor.alerts.pagerduty import PagerDutyNotifier
from monitor.alerts.slack import SlackNotifier
from monitor.alerts.webhook import WebhookNotifier
from monitor.config.models import (
    AlertsConfig,
    EmailConfig,
    PagerDutyConfig,
    SlackConfig,
    WebhookConfig,
)
from monitor.errors import is_transient
from tests.helpers.protocols import protocol_mismatches

BOT = AlertsConfig(slack=SlackConfig(bot_token="xoxb-test-1", channel="#a"))
HOOK = AlertsConfig(slack=SlackConfig(webhook_url="https://hooks.example/services/x"))
BOTH = AlertsConfig(slack=SlackConfig(bot_token="xoxb-test-1", channel="#a",
                                      webhook_url="https://hooks.example/services/x"))


class TestBuildNotifier:
    def test_without_slack_alerts_go_to_the_console(self) -> None:
        notifier = build_notifier(AlertsConfig())

        assert isinstance(notifier, ConsoleNotifier)
        assert isinstance(notifier, Notifier)

    def test_a_bot_token_wins_over_a_webhook(self) -> None:
        for alerts, name in ((BOT, "slack-bot"), (HOOK, "slack-webhook"), (BOTH, "slack-bot")):
            notifier = build_notifier(alerts)

            assert isinstance(notifier, SlackNotifier)
            assert isinstance(notifier, Notifier)
            assert notifier.name == name
            assert notifier.timeout == 10.0


EMAIL = EmailConfig(host="smtp.invalid", sender="dq@example.com", to=["data@example.com"])
PAGERDUTY = PagerDutyConfig(routing_key="R7kq2ZpL9wXv4TnM8cYb3HfJ6dGs1AeQ")
WEBHOOK = WebhookConfig(url="https://hooks.invalid/Xq7ZjW2mRv9T", format="teams")


class TestBuildNotifiers:
    def test_every_configured_notifier_by_its_config_name_and_the_console(self) -> None:
        alerts = AlertsConfig(slack=HOOK.slack, email=EMAIL, pagerduty=PAGERDUTY,
                              webhook=WEBHOOK)

        notifiers = build_notifiers(alerts)

        assert {k: type(v) for k, v in notifiers.items()} == {
            "slack": SlackNotifier, "email": EmailNotifier, "pagerduty": PagerDutyNotifier,
            "webhook": WebhookNotifier, "console": ConsoleNotifier}
        assert list(build_notifiers(AlertsConfig())) == ["console"]


class TestThreadsAvailable:
    def test_only_a_bot_token_threads(self) -> None:
        assert [threads_available(a) for a in (AlertsConfig(), HOOK, BOT, BOTH)] == [
            False, False, True, True]


class TestDeliveryErrors:
    def test_failures_are_transient_and_rejections_terminal(self) -> None:
        failed = DeliveryFailed("429", retry_after=3.0, status=429)

        assert is_transient(failed)
        assert failed.details == {"retry_after": 3.0, "status": 429}
        assert not is_transient(DeliveryRejected("invalid_auth"))


class TestNotifier:
    def test_every_notifier_is_true_to_the_protocol(self) -> None:
        notifiers = [ConsoleNotifier(), SlackNotifier(BOT.slack), SlackNotifier(HOOK.slack),  # type: ignore[arg-type]
                     EmailNotifier(EMAIL), PagerDutyNotifier(PAGERDUTY),
                     WebhookNotifier(WEBHOOK), WebhookNotifier(WebhookConfig(url="http://x/y"))]

        assert {n.name: protocol_mismatches(n, Notifier) for n in notifiers} == {
            "console": [], "slack-bot": [], "slack-webhook": [], "email": [], "pagerduty": [],
            "teams-webhook": [], "webhook": []}
        assert all(isinstance(n, Notifier) for n in notifiers)

    def test_a_notifier_that_drifted_is_caught(self) -> None:
        class Drifted:
            name = "drifted"
            supports_threads = False

            def send(self, message: object, channel: str) -> None: ...

        assert protocol_mismatches(Drifted(), Notifier) == [
            "attribute timeout: missing",
            "method send: (message: 'object', channel: 'str') -> 'None' instead of "
            "(message: 'OutgoingMessage') -> 'Delivery'"]
