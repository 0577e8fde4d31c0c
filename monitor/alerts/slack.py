"""Slack through slack_sdk: an incoming webhook, or a bot token with ``chat.postMessage``.

With a bot token, messages go to the table's ``slack_channel`` or the default
``alerts.slack.channel`` and come back with a ``ts`` that later updates reply
to (a thread). A webhook posts to the one channel it was created for and
cannot thread. slack_sdk's own retries are switched off: the outbox retries
with backoff and counts the attempts. Every call has a timeout.

The token and webhook URL are secrets: they are registered for redaction and
slack_sdk logs through a logger of ours that never prints request details.

>>> notifier = SlackNotifier(SlackConfig(bot_token="xoxb-...", channel="#alerts"))
>>> notifier.send(OutgoingMessage(text="orders: row count dropped")).ts  # doctest: +SKIP
'1767600000.000100'
"""

from __future__ import annotations

import email.utils
import http.client
import logging
import time
from collections.abc import Mapping
from typing import Any

from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError, SlackClientError

from monitor.alerts.notifier import Delivery, DeliveryFailed, DeliveryRejected, OutgoingMessage
from monitor.config.models import SlackConfig
from monitor.config.secrets import REGISTRY, RedactingFilter, redact

log = logging.getLogger(__name__)

#: Slack API errors that say "try again later" although the HTTP status may be 200.
TRANSIENT_API_ERRORS = frozenset({"ratelimited", "rate_limited", "internal_error", "fatal_error",
                                  "service_unavailable", "request_timeout"})


def sdk_logger() -> logging.Logger:
    """The logger handed to slack_sdk: quiet (the outbox logs failures), secrets masked.

    slack_sdk logs full request URLs (a webhook URL is the secret) and bodies
    at DEBUG whenever its logger's own level allows it; this one never does.
    """
    logger = logging.getLogger("monitor.alerts.slack_sdk")
    logger.setLevel(logging.CRITICAL)  # failures are logged by the outbox, once
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger


def _register_secrets(config: SlackConfig) -> None:
    # Also when the value was written into the file instead of coming from ${VAR}.
    if config.bot_token:
        REGISTRY.add(config.bot_token)
    if config.webhook_url:
        REGISTRY.add(config.webhook_url)  # and fragments of its path (secret_parts)


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value[0] if isinstance(value, list | tuple) else value)
    return None


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None.

    >>> parse_retry_after("30"), parse_retry_after(None), parse_retry_after("soon")
    (30.0, None, None)
    """
    if value is None:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify_status(status: int, error: str, headers: Mapping[str, Any] | None,
                    what: str) -> DeliveryFailed | DeliveryRejected:
    """The failure for an HTTP status and Slack error code (transient or terminal)."""
    message = f"{what}: HTTP {status} {error}".strip()
    if status == 429 or status >= 500 or error in TRANSIENT_API_ERRORS:
        return DeliveryFailed(message, status=status,
                              retry_after=parse_retry_after(_header(headers, "Retry-After")))
    return DeliveryRejected(message, details={"status": status, "error": error})


class SlackNotifier:
    """Posts Block Kit messages to Slack through a bot token or an incoming webhook."""

    def __init__(self, config: SlackConfig) -> None:
        _register_secrets(config)
        self.config = config
        self.timeout = float(config.timeout)
        logger = sdk_logger()
        # slack_sdk wants whole seconds in its signature but passes the value to urlopen.
        timeout: Any = self.timeout
        if config.bot_token:
            self.name = "slack-bot"
            self.supports_threads = True
            kwargs: dict[str, Any] = {"base_url": config.base_url} if config.base_url else {}
            self._web: WebClient | None = WebClient(token=config.bot_token, timeout=timeout,
                                                    logger=logger, retry_handlers=[], **kwargs)
            self._webhook: WebhookClient | None = None
        else:
            assert config.webhook_url
            self.name = "slack-webhook"
            self.supports_threads = False
            self._web = None
            self._webhook = WebhookClient(config.webhook_url, timeout=timeout, logger=logger,
                                          retry_handlers=[])

    def send(self, message: OutgoingMessage) -> Delivery:
        """Post one message; DeliveryFailed (retry later) or DeliveryRejected otherwise."""
        try:
            if self._web is not None:
                return self._post(message)
            return self._hook(message)
        except (DeliveryFailed, DeliveryRejected):
            raise
        except TimeoutError as error:
            raise DeliveryFailed(f"{self.name}: no answer within {self.timeout:g}s "
                                 f"({redact(str(error)) or 'timed out'})") from None
        except (OSError, http.client.HTTPException) as error:
            # URLError (refused, DNS, timeout while connecting), reset connections.
            raise DeliveryFailed(f"{self.name}: connection failed: "
                                 f"{redact(str(error)) or type(error).__name__}") from None
        except SlackClientError as error:
            raise DeliveryRejected(f"{self.name}: {redact(str(error))}") from None

    def _post(self, message: OutgoingMessage) -> Delivery:
        assert self._web is not None
        channel = message.channel or self.config.channel
        kwargs: dict[str, Any] = {"channel": channel, "text": message.text,
                                  "unfurl_links": False, "unfurl_media": False}
        if message.blocks:
            kwargs["blocks"] = message.blocks
        if message.thread_ts:
            kwargs["thread_ts"] = message.thread_ts
            kwargs["reply_broadcast"] = message.reply_broadcast
        try:
            response = self._web.chat_postMessage(**kwargs)
        except SlackApiError as error:
            status = error.response.status_code
            code = str(error.response.get("error") or "") if isinstance(
                error.response.data, dict) else ""
            raise classify_status(status, code, error.response.headers,
                                  f"chat.postMessage to {channel}") from None
        return Delivery(ts=response.get("ts"), channel=response.get("channel"))

    def _hook(self, message: OutgoingMessage) -> Delivery:
        assert self._webhook is not None
        response = self._webhook.send(text=message.text, blocks=message.blocks or None,
                                      unfurl_links=False, unfurl_media=False)
        if response.status_code == 200:
            return Delivery()
        body = redact((response.body or "").strip())[:200]
        raise classify_status(response.status_code, body, response.headers, "incoming webhook")
