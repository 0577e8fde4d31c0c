"""The generic JSON and Microsoft Teams webhooks against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from monitor.alerts.notifier import DeliveryFailed, DeliveryRejected, Notifier, OutgoingMessage
from monitor.alerts.webhook import WebhookNotifier
from monitor.config.models import WebhookConfig
from monitor.config.secrets import REGISTRY
from tests.helpers.http_receiver import Receiver, running_receiver
from tests.helpers.protocols import protocol_mismatches

MESSAGE = OutgoingMessage(
    text="*orders*: 412 rows, usually about 980",
    blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*critical* · 412 rows"}}],
    table="orders", event="opened", severity="critical", incident_ids=(7,))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def hook(url: str, **kw: object) -> WebhookNotifier:
    return WebhookNotifier(WebhookConfig.model_validate({"url": url, "timeout": 0.5, **kw}))


class TestWebhookNotifier:
    def test_posts_what_the_message_is_about_as_json(self, receiver: Receiver) -> None:
        delivery = hook(receiver.hook_url).send(MESSAGE)

        assert receiver.accepted() == [{
            "source": "dq-monitor", "event": "opened", "table": "orders",
            "severity": "critical", "incident_ids": [7],
            "title": "orders: 412 rows, usually about 980", "text": "critical · 412 rows"}]
        assert delivery.channel == "webhook"

    def test_teams_gets_an_adaptive_card(self, receiver: Receiver) -> None:
        notifier = hook(receiver.hook_url, format="teams")

        notifier.send(MESSAGE)

        (body,) = receiver.accepted()
        (attachment,) = body["attachments"]
        card = attachment["content"]
        assert (body["type"], attachment["contentType"]) == (
            "message", "application/vnd.microsoft.card.adaptive")
        assert [b["text"] for b in card["body"]] == ["orders: 412 rows, usually about 980",
                                                     "critical · 412 rows"]
        assert card["body"][0]["color"] == "attention"
        assert notifier.name == "teams-webhook"

    def test_sends_the_configured_headers_and_masks_them(self, receiver: Receiver) -> None:
        hook(receiver.hook_url, headers={"Authorization": "Bearer Tq9vXc2LmZ8p"}).send(MESSAGE)

        assert receiver.requests[0].headers["Authorization"] == "Bearer Tq9vXc2LmZ8p"
        assert "Tq9vXc2LmZ8p" not in REGISTRY.redact("token Bearer Tq9vXc2LmZ8p")

    @pytest.mark.parametrize(("failure", "error"), [("429", DeliveryFailed),
                                                    ("500", DeliveryFailed),
                                                    ("hang", DeliveryFailed)])
    def test_transient_failures_are_retried(self, receiver: Receiver, failure: str,
                                            error: type[Exception]) -> None:
        receiver.fail(failure)

        with pytest.raises(error):
            hook(receiver.hook_url, timeout=0.3).send(MESSAGE)

    def test_an_unknown_path_is_a_dead_letter(self, receiver: Receiver) -> None:
        with pytest.raises(DeliveryRejected, match="HTTP 404"):
            hook(receiver.base_url + "/hooks/gone").send(MESSAGE)

    def test_failures_never_show_the_url(self, receiver: Receiver,
                                         caplog: pytest.LogCaptureFixture) -> None:
        secret_path = "/hooks/Zr4TqW9vLx2Kp7Nm"
        with pytest.raises(DeliveryRejected) as raised:
            hook(receiver.base_url + secret_path).send(MESSAGE)

        assert "Zr4TqW9vLx2Kp7Nm" not in str(raised.value)
        assert "Zr4TqW9vLx2Kp7Nm" not in caplog.text

    def test_only_http_urls(self) -> None:
        with pytest.raises(DeliveryRejected, match="http"):
            hook("file:///etc/passwd").send(MESSAGE)

    def test_is_true_to_the_protocol(self, receiver: Receiver) -> None:
        assert protocol_mismatches(hook(receiver.hook_url), Notifier) == []
