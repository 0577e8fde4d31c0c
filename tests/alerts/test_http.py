"""The JSON POST the PagerDuty and webhook notifiers share, against real sockets."""

from __future__ import annotations

import socket

import pytest

from monitor.alerts.http import post_json, status_failure
from monitor.alerts.notifier import DeliveryFailed, DeliveryRejected
from tests.helpers.http_receiver import running_receiver


class TestPostJson:
    def test_returns_the_decoded_answer(self) -> None:
        with running_receiver() as receiver:
            answer = post_json(receiver.hook_url, {"a": 1}, timeout=1.0, what="hook")

        assert (answer.status, answer.body) == (200, {"ok": True})

    def test_a_refused_connection_is_transient(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]

        with pytest.raises(DeliveryFailed, match="hook: connection failed"):
            post_json(f"http://127.0.0.1:{port}/x", {}, timeout=1.0, what="hook")


class TestStatusFailure:
    @pytest.mark.parametrize(("status", "kind"), [(429, DeliveryFailed), (500, DeliveryFailed),
                                                  (503, DeliveryFailed),
                                                  (400, DeliveryRejected),
                                                  (401, DeliveryRejected),
                                                  (404, DeliveryRejected)])
    def test_429_and_5xx_are_transient_other_4xx_terminal(self, status: int,
                                                          kind: type[Exception]) -> None:
        assert type(status_failure(status, "body", {}, "hook")) is kind

    def test_a_long_body_is_cut(self) -> None:
        failure = status_failure(400, "x" * 5000, {}, "hook")

        assert len(str(failure)) < 400
