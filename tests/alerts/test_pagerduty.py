"""PagerDuty's Events API v2 against a real HTTP server on 127.0.0.1 that speaks it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from monitor.alerts.notifier import DeliveryFailed, DeliveryRejected, Notifier, OutgoingMessage
from monitor.alerts.pagerduty import SUMMARY_LIMIT, PagerDutyNotifier, summary
from monitor.config.models import PagerDutyConfig
from tests.helpers.http_receiver import ROUTING_KEY, Receiver, running_receiver
from tests.helpers.protocols import protocol_mismatches

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*orders*: 412 rows"}}]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def pagerduty(receiver: Receiver, key: str = ROUTING_KEY, timeout: float = 0.5
              ) -> PagerDutyNotifier:
    return PagerDutyNotifier(PagerDutyConfig(routing_key=key, base_url=receiver.base_url,
                                             timeout=timeout))


def message(event: str, *ids: int, severity: str = "critical") -> OutgoingMessage:
    return OutgoingMessage(text=f"*orders*: 412 rows ({event})", blocks=BLOCKS, table="orders",
                           event=event, severity=severity, incident_ids=ids)


class TestPagerDutyNotifier:
    def test_a_new_incident_triggers_an_alert_keyed_by_the_incident(self, receiver: Receiver
                                                                     ) -> None:
        pagerduty(receiver).send(message("opened", 7))

        (event,) = receiver.accepted("/v2/enqueue")
        assert (event["event_action"], event["dedup_key"]) == ("trigger",
                                                               "dq-monitor/orders/7")
        assert event["payload"]["summary"] == "orders: 412 rows (opened)"
        assert (event["payload"]["severity"], event["payload"]["source"]) == ("critical",
                                                                             "dq-monitor")
        assert event["payload"]["custom_details"]["details"] == "orders: 412 rows"
        assert receiver.alerts == {"dq-monitor/orders/7": "triggered"}

    def test_recovery_resolves_the_same_alert(self, receiver: Receiver) -> None:
        notifier = pagerduty(receiver)
        notifier.send(message("opened", 7, 8))

        notifier.send(message("resolved", 7))

        assert receiver.alerts == {"dq-monitor/orders/7": "resolved",
                                   "dq-monitor/orders/8": "triggered"}

    def test_a_repeated_trigger_stays_one_alert(self, receiver: Receiver) -> None:
        notifier = pagerduty(receiver)

        notifier.send(message("opened", 7))
        notifier.send(message("reminder", 7))

        assert receiver.alerts == {"dq-monitor/orders/7": "triggered"}
        assert len(receiver.accepted()) == 2

    def test_an_invalid_event_is_a_dead_letter(self, receiver: Receiver) -> None:
        with pytest.raises(DeliveryRejected) as raised:
            pagerduty(receiver, key="Wr0ngK3yWr0ngK3yWr0ngK3yWr0ngK3y").send(message("opened", 7))

        assert "HTTP 400" in str(raised.value)
        assert "Wr0ngK3y" not in str(raised.value)  # the routing key is a secret

    def test_rate_limited_is_retried_after_the_given_time(self, receiver: Receiver) -> None:
        receiver.fail("429", retry_after=30)

        with pytest.raises(DeliveryFailed) as raised:
            pagerduty(receiver).send(message("opened", 7))

        assert (raised.value.status, raised.value.retry_after) == (429, 30.0)

    def test_a_server_error_is_transient(self, receiver: Receiver) -> None:
        receiver.fail("500")

        with pytest.raises(DeliveryFailed, match="HTTP 500"):
            pagerduty(receiver).send(message("resolved", 7))

    def test_no_answer_times_out(self, receiver: Receiver) -> None:
        receiver.fail("hang")
        started = time.monotonic()

        with pytest.raises(DeliveryFailed, match="within 0.3s"):
            pagerduty(receiver, timeout=0.3).send(message("opened", 7))

        assert time.monotonic() - started < 3

    def test_a_message_without_incident_cannot_be_keyed(self, receiver: Receiver) -> None:
        with pytest.raises(DeliveryRejected, match="no incident"):
            pagerduty(receiver).send(message("opened"))

        assert receiver.requests == []

    def test_severities_map_to_pagerduty_ones(self, receiver: Receiver) -> None:
        notifier = pagerduty(receiver)

        levels = [notifier.event(message("opened", 1, severity=s), 1)["payload"]["severity"]
                  for s in ("critical", "warning", "info", "unknown")]

        assert levels == ["critical", "warning", "info", "error"]

    def test_is_true_to_the_protocol(self, receiver: Receiver) -> None:
        assert protocol_mismatches(pagerduty(receiver), Notifier) == []


class TestSummary:
    def test_a_long_first_line_is_cut_at_a_word(self) -> None:
        text = "orders " * 400

        cut = summary(OutgoingMessage(text=text + "\nsecond line"))

        assert len(cut) <= SUMMARY_LIMIT
        assert cut.endswith("orders…")
        assert summary(OutgoingMessage(text="", table="orders")) == (
            "data quality problem on table orders")
