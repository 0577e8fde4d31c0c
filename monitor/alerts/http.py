"""One JSON POST with a timeout, and what its answer means for the outbox.

The PagerDuty and webhook notifiers share it. Timeouts, refused or reset
connections, 429 and 5xx are ``DeliveryFailed`` (the outbox retries them,
honouring Retry-After); any other status that is not 2xx is
``DeliveryRejected`` (a dead letter), as Slack's are classified. Request
bodies and URLs are never logged; error texts are redacted.

>>> status_failure(429, "slow down", {"Retry-After": "30"}, "webhook").retry_after
30.0
>>> type(status_failure(400, "invalid event", {}, "webhook")).__name__
'DeliveryRejected'
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitor.alerts.notifier import DeliveryFailed, DeliveryRejected
from monitor.alerts.slack import classify_status
from monitor.config.secrets import redact

#: Longest piece of an error body kept in a message (and the outbox's last_error).
BODY_LIMIT = 300


@dataclass(frozen=True)
class HttpAnswer:
    """A 2xx answer: its status, headers and body (JSON when it parses)."""

    status: int
    headers: Mapping[str, str]
    body: Any


def status_failure(status: int, body: str, headers: Mapping[str, Any] | None,
                   what: str) -> DeliveryFailed | DeliveryRejected:
    """The failure for a non-2xx answer: transient for 429 and 5xx, terminal otherwise."""
    return classify_status(status, redact(body.strip())[:BODY_LIMIT], headers, what)


def _decode(raw: bytes) -> Any:
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def post_json(url: str, payload: Any, *, timeout: float, what: str,
              headers: Mapping[str, str] | None = None) -> HttpAnswer:
    """POST ``payload`` as JSON; the answer if 2xx, else DeliveryFailed/DeliveryRejected."""
    if not url.lower().startswith(("http://", "https://")):
        raise DeliveryRejected(f"{what}: only http(s) URLs can be posted to")
    data = json.dumps(payload).encode("utf-8")
    sent = {"Content-Type": "application/json", "User-Agent": "dq-monitor", **(headers or {})}
    request = urllib.request.Request(url, data=data, method="POST", headers=sent)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpAnswer(response.status, dict(response.headers.items()),
                              _decode(response.read()))
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace") if error.fp else ""
        raise status_failure(error.code, body, dict(error.headers.items()), what) from None
    except TimeoutError:
        raise DeliveryFailed(f"{what}: no answer within {timeout:g}s") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            raise DeliveryFailed(f"{what}: no answer within {timeout:g}s") from None
        if isinstance(reason, OSError):
            raise DeliveryFailed(f"{what}: connection failed: "
                                 f"{redact(str(reason)) or type(reason).__name__}") from None
        raise DeliveryRejected(f"{what}: {redact(str(error))}") from None
    except (OSError, http.client.HTTPException) as error:
        raise DeliveryFailed(f"{what}: connection failed: "
                             f"{redact(str(error)) or type(error).__name__}") from None
    except ValueError as error:  # an URL urllib cannot use (no scheme)
        raise DeliveryRejected(f"{what}: {redact(str(error))}") from None
