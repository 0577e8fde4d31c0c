"""The notifier protocol and how the configured one is chosen."""

from __future__ import annotations

from monitor.alerts.console import ConsoleNotifier
from monitor.alerts.notifier import (
    DeliveryFailed,
    DeliveryRejected,
    Notifier,
    build_notifier,
    threads_available,
)
from monitor.alerts.slack import SlackNotifier
from monitor.config.models import AlertsConfig, SlackConfig
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
        notifiers = [ConsoleNotifier(), SlackNotifier(BOT.slack), SlackNotifier(HOOK.slack)]  # type: ignore[arg-type]

        assert {n.name: protocol_mismatches(n, Notifier) for n in notifiers} == {
            "console": [], "slack-bot": [], "slack-webhook": []}

    def test_a_notifier_that_drifted_is_caught(self) -> None:
        class Drifted:
            name = "drifted"
            supports_threads = False

            def send(self, message: object, channel: str) -> None: ...

        assert protocol_mismatches(Drifted(), Notifier) == [
            "attribute timeout: missing",
            "method send: (message: 'object', channel: 'str') -> 'None' instead of "
            "(message: 'OutgoingMessage') -> 'Delivery'"]
