"""Slack through slack_sdk against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from monitor.alerts.notifier import DeliveryFailed, DeliveryRejected, OutgoingMessage
from monitor.alerts.slack import SlackNotifier, classify_status, parse_retry_after
from monitor.config.models import SlackConfig
from monitor.config.secrets import REGISTRY
from tests.helpers.slack_server import TOKEN, SlackServer, channel_id, running_slack_server

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*orders*: 412 rows"}}]


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with running_slack_server() as server:
        yield server


def bot(slack: SlackServer, token: str = TOKEN, timeout: float = 0.5) -> SlackNotifier:
    return SlackNotifier(SlackConfig(bot_token=token, channel="#data-alerts",
                                     base_url=slack.base_url, timeout=timeout))


def webhook(slack: SlackServer, url: str | None = None, timeout: float = 0.5) -> SlackNotifier:
    return SlackNotifier(SlackConfig(webhook_url=url or slack.webhook_url, timeout=timeout))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestSlackNotifierBot:
    def test_posts_to_the_default_channel_and_returns_the_thread(self, slack: SlackServer
                                                                 ) -> None:
        notifier = bot(slack)

        delivery = notifier.send(OutgoingMessage(text="orders: 412 rows", blocks=BLOCKS))

        (posted,) = slack.messages
        assert (posted.kind, posted.channel, posted.text, posted.blocks) == (
            "chat", channel_id("#data-alerts"), "orders: 412 rows", BLOCKS)
        assert (delivery.ts, delivery.channel) == (posted.ts, posted.channel)
        assert (notifier.name, notifier.supports_threads) == ("slack-bot", True)

    def test_replies_in_a_thread_of_another_channel(self, slack: SlackServer) -> None:
        notifier = bot(slack)
        first = notifier.send(OutgoingMessage(text="opened", channel="#orders"))

        notifier.send(OutgoingMessage(text="resolved", channel=first.channel,
                                      thread_ts=first.ts, reply_broadcast=True))

        reply = slack.messages[1]
        assert (reply.channel, reply.thread_ts, reply.reply_broadcast) == (
            channel_id("#orders"), first.ts, True)

    def test_429_is_transient_and_carries_retry_after(self, slack: SlackServer) -> None:
        slack.fail("429", retry_after=7)

        with pytest.raises(DeliveryFailed) as raised:
            bot(slack).send(OutgoingMessage(text="x"))

        assert (raised.value.status, raised.value.retry_after) == (429, 7.0)
        assert slack.messages == []

    def test_500_is_transient(self, slack: SlackServer) -> None:
        slack.fail("500")

        with pytest.raises(DeliveryFailed) as raised:
            bot(slack).send(OutgoingMessage(text="x"))

        assert raised.value.status == 500

    def test_a_hanging_server_fires_the_timeout(self, slack: SlackServer) -> None:
        slack.fail("hang")
        started = time.monotonic()

        with pytest.raises(DeliveryFailed, match="no answer within 0.3s"):
            bot(slack, timeout=0.3).send(OutgoingMessage(text="x"))

        assert 0.25 <= time.monotonic() - started < 3

    def test_a_dropped_connection_is_transient(self, slack: SlackServer) -> None:
        slack.fail("reset")

        with pytest.raises(DeliveryFailed, match="connection failed"):
            bot(slack).send(OutgoingMessage(text="x"))

    def test_nobody_listening_is_transient(self) -> None:
        config = SlackConfig(bot_token=TOKEN, channel="#a", timeout=0.5,
                             base_url=f"http://127.0.0.1:{free_port()}/api/")

        with pytest.raises(DeliveryFailed, match="connection failed"):
            SlackNotifier(config).send(OutgoingMessage(text="x"))

    def test_a_bad_token_is_rejected_for_good(self, slack: SlackServer) -> None:
        with pytest.raises(DeliveryRejected, match="invalid_auth"):
            bot(slack, token="xoxb-not-the-right-one").send(OutgoingMessage(text="x"))


class TestSlackNotifierWebhook:
    def test_posts_text_and_blocks(self, slack: SlackServer) -> None:
        notifier = webhook(slack)

        delivery = notifier.send(OutgoingMessage(text="orders: 412 rows", blocks=BLOCKS,
                                                 channel="#ignored"))

        (posted,) = slack.messages
        assert (posted.kind, posted.text, posted.blocks) == ("webhook", "orders: 412 rows",
                                                             BLOCKS)
        assert delivery.ts is None
        assert (notifier.name, notifier.supports_threads) == ("slack-webhook", False)

    @pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500)])
    def test_429_and_500_are_transient(self, slack: SlackServer, kind: str, status: int
                                       ) -> None:
        slack.fail(kind, retry_after=3)

        with pytest.raises(DeliveryFailed) as raised:
            webhook(slack).send(OutgoingMessage(text="x"))

        assert raised.value.status == status
        assert raised.value.retry_after == (3.0 if status == 429 else None)

    def test_a_hanging_server_fires_the_timeout(self, slack: SlackServer) -> None:
        slack.fail("hang")
        started = time.monotonic()

        with pytest.raises(DeliveryFailed):
            webhook(slack, timeout=0.3).send(OutgoingMessage(text="x"))

        assert time.monotonic() - started < 3

    def test_an_unknown_webhook_is_rejected(self, slack: SlackServer) -> None:
        url = f"http://127.0.0.1:{slack.port}/services/T0/B0/revoked"

        with pytest.raises(DeliveryRejected, match="404 no_service"):
            webhook(slack, url=url).send(OutgoingMessage(text="x"))


class TestSecrets:
    def test_token_and_webhook_url_never_reach_the_logs(self, slack: SlackServer,
                                                        caplog: pytest.LogCaptureFixture
                                                        ) -> None:
        caplog.set_level(logging.DEBUG)
        logging.getLogger("slack_sdk").setLevel(logging.DEBUG)
        errors: list[str] = []
        for notifier in (bot(slack, timeout=0.2), webhook(slack, timeout=0.2)):
            notifier.send(OutgoingMessage(text="ok", blocks=BLOCKS))
            for kind in ("429", "500", "hang", "reset"):
                slack.fail(kind)
                try:
                    notifier.send(OutgoingMessage(text="x"))
                except DeliveryFailed as error:
                    errors.append(str(error))

        seen = caplog.text + "\n".join(errors)
        secret_part = slack.webhook_url.rsplit("/", 1)[1]
        assert len(errors) == 8
        assert TOKEN not in seen
        assert secret_part not in seen
        assert REGISTRY.redact(slack.webhook_url) == "***"
        assert REGISTRY.redact(f"token {TOKEN}") == "token ***"


class TestClassifyStatus:
    def test_transient_and_terminal_answers(self) -> None:
        assert isinstance(classify_status(503, "", {}, "w"), DeliveryFailed)
        assert isinstance(classify_status(200, "ratelimited", {}, "w"), DeliveryFailed)
        assert isinstance(classify_status(200, "channel_not_found", {}, "w"), DeliveryRejected)
        assert isinstance(classify_status(403, "action_prohibited", {}, "w"), DeliveryRejected)
        failed = classify_status(429, "", {"retry-after": ["12"]}, "w")
        assert isinstance(failed, DeliveryFailed)
        assert failed.retry_after == 12.0


class TestParseRetryAfter:
    def test_seconds_and_http_dates(self) -> None:
        assert parse_retry_after(" 30 ") == 30.0
        assert parse_retry_after("-5") == 0.0
        assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT",
                                 now=1445412480.0) == pytest.approx(30.0)
        assert parse_retry_after("whenever") is None
        assert parse_retry_after(None) is None
