"""The outbox against a real store (SQLite, PostgreSQL) and a real Slack stand-in."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.console import ConsoleNotifier
from monitor.alerts.incidents import AlertPolicy
from monitor.alerts.notifier import Delivery, OutgoingMessage
from monitor.alerts.outbox import (
    OutboxMessage,
    deliver_due,
    enqueue,
    flush_outbox,
    message_id,
    requeue,
    sent_since,
)
from monitor.alerts.pagerduty import PagerDutyNotifier
from monitor.alerts.slack import SlackNotifier
from monitor.config.models import AlertsConfig, SlackConfig
from monitor.config.secrets import REGISTRY
from monitor.errors import InputError
from monitor.retry import RetryPolicy
from monitor.run.alert import record_alerts
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding
from monitor.store import SqlMetricStore
from monitor.store.incidents import Incident, load_open, save
from monitor.store.outbox import list_outbox, outbox_entry
from monitor.store.schema import outbox
from tests.helpers.contexts import make_config
from tests.helpers.http_receiver import ROUTING_KEY, Receiver, running_receiver
from tests.helpers.slack_server import TOKEN, SlackServer, running_slack_server

NOW = dt.datetime(2026, 1, 5, 6, 0)
NO_JITTER = RetryPolicy(base_delay=60.0, max_delay=3600.0, jitter=0.0)


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with running_slack_server() as server:
        yield server


def bot(slack: SlackServer, timeout: float = 0.3) -> SlackNotifier:
    return SlackNotifier(SlackConfig(bot_token=TOKEN, channel="#data-alerts",
                                     base_url=slack.base_url, timeout=timeout))


def msg(name: str, **kw: Any) -> OutboxMessage:
    return OutboxMessage(message_id=name, table=kw.pop("table", "orders"),
                         event=kw.pop("event", "opened"), text=f"text {name}",
                         blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": name}}],
                         channel="#data-alerts", **kw)


def queue(store: SqlMetricStore, *messages: OutboxMessage, now: dt.datetime = NOW) -> None:
    with store.transaction() as conn:
        for m in messages:
            enqueue(conn, m, now=now)


def row(store: SqlMetricStore, name: str) -> Any:
    with store.connect() as conn:
        entry = outbox_entry(conn, name)
    assert entry is not None
    return entry


def deliver(store: SqlMetricStore, notifier: Any, now: dt.datetime = NOW, **kw: Any) -> Any:
    kw.setdefault("max_attempts", 5)
    kw.setdefault("backoff", NO_JITTER)
    return deliver_due(store, notifier, now=now, **kw)


class TestMessageId:
    def test_same_inputs_same_id_other_inputs_other_ids(self) -> None:
        base = message_id("orders", "orders@1", "opened", ["a", "b"])

        assert base == message_id("orders", "orders@1", "opened", ["b", "a"])
        others = {message_id("orders", "orders@2", "opened", ["a", "b"]),
                  message_id("orders", "orders@1", "update", ["a", "b"]),
                  message_id("orders", "orders@1", "opened", ["a"]),
                  message_id("events", "orders@1", "opened", ["a", "b"]),
                  message_id("orders", "orders@1", "opened", ["a", "b"], thread="m1")}
        assert base not in others
        assert len(others) == 5


class TestEnqueue:
    def test_the_same_message_is_queued_once(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            first = enqueue(conn, msg("m1", incident_ids=(4, 5)), now=NOW)
            second = enqueue(conn, msg("m1"), now=NOW)

        (entry,) = list_outbox(store)
        assert (first, second) == (True, False)
        assert (entry.status, entry.attempts, entry.incident_id, entry.text) == (
            "pending", 0, 4, "text m1")
        assert entry.payload["incident_ids"] == [4, 5]

    def test_secrets_in_the_text_and_blocks_are_masked_when_queued(
            self, store: SqlMetricStore) -> None:
        REGISTRY.add("Pw@7fqXk/3aZ9q")
        message = msg("failed to resolve host '7fqXk'")

        with store.transaction() as conn:
            enqueue(conn, message, now=NOW)

        (entry,) = list_outbox(store)
        assert entry.text == "text failed to resolve host '***'"
        assert entry.payload["blocks"][0]["text"]["text"] == "failed to resolve host '***'"

    def test_a_rolled_back_transaction_queues_nothing(self, store: SqlMetricStore) -> None:
        with pytest.raises(RuntimeError), store.transaction() as conn:
            enqueue(conn, msg("m1"), now=NOW)
            raise RuntimeError("the run failed before its commit")

        assert list_outbox(store) == []


class TestEnqueueSeverity:
    def test_the_severities_of_its_incidents_are_kept_for_routing(
            self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            ids = [save(conn, Incident(None, "orders", check, "open", severity, "t", NOW, NOW,
                                       NOW)).incident_id for check, severity in
                   (("a", "info"), ("b", "critical"), ("c", "warning"))]
            enqueue(conn, msg("m1", incident_ids=tuple(i for i in ids if i)), now=NOW)
            enqueue(conn, msg("m2"), now=NOW)
            enqueue(conn, msg("m3", severity="info", incident_ids=(ids[1] or 0,)), now=NOW)

        assert [row(store, m).payload["severity"] for m in ("m1", "m2", "m3")] == [
            "critical", None, "info"]
        assert row(store, "m1").payload["severities"] == {
            str(i): s for i, s in zip(ids, ("info", "critical", "warning"), strict=True)}


class TestSentSince:
    def test_counts_channel_messages_not_thread_updates(self, sqlite_store: SqlMetricStore
                                                        ) -> None:
        queue(sqlite_store, msg("old"), now=NOW - dt.timedelta(hours=2))
        queue(sqlite_store, msg("a"), msg("b", event="resolved"), msg("c", event="update"),
              msg("d", event="reminder"))

        with sqlite_store.connect() as conn:
            assert sent_since(conn, NOW - dt.timedelta(hours=1)) == 3


class TestDeliverDue:
    def test_delivers_oldest_first_and_records_where(self, store: SqlMetricStore,
                                                     slack: SlackServer) -> None:
        with store.transaction() as conn:
            incident = save(conn, Incident(None, "orders", "c", "open", "critical", "t", NOW,
                                           NOW, NOW))
        queue(store, msg("m2", incident_ids=(incident.incident_id,)))
        queue(store, msg("m1"), now=NOW - dt.timedelta(minutes=1))

        report = deliver(store, bot(slack))

        assert report.delivered == ["m1", "m2"]
        assert slack.texts() == ["text m1", "text m2"]
        entry = row(store, "m2")
        assert (entry.status, entry.attempts, entry.response_ts, entry.delivered_at) == (
            "delivered", 1, slack.messages[1].ts, NOW)
        with store.connect() as conn:
            loaded = load_open(conn, "orders")["c"]
        assert (loaded.thread_ts, loaded.channel) == (slack.messages[1].ts,
                                                      slack.messages[1].channel)
        assert deliver(store, bot(slack)).delivered == []  # nothing twice

    def test_429_waits_as_long_as_retry_after_says(self, sqlite_store: SqlMetricStore,
                                                   slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"))
        slack.fail("429", retry_after=150)

        report = deliver(sqlite_store, bot(slack))
        early = deliver(sqlite_store, bot(slack), now=NOW + dt.timedelta(seconds=149))
        later = deliver(sqlite_store, bot(slack), now=NOW + dt.timedelta(seconds=150))

        assert report.retrying == ["m1"]
        assert "429" in (report.stopped or "")
        assert early.delivered == []
        assert later.delivered == ["m1"]
        assert slack.texts() == ["text m1"]
        assert row(sqlite_store, "m1").attempts == 2

    def test_5xx_backs_off_exponentially(self, sqlite_store: SqlMetricStore,
                                         slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"))
        slack.fail("500", times=3)
        now, waits = NOW, []

        for _ in range(3):
            deliver(sqlite_store, bot(slack), now=now)
            after = row(sqlite_store, "m1").next_attempt_at
            waits.append((after - now).total_seconds())
            now = after

        assert waits == [60.0, 120.0, 240.0]  # 1 min doubling, by hand
        assert deliver(sqlite_store, bot(slack), now=now).delivered == ["m1"]

    def test_jitter_stays_within_twenty_percent(self, sqlite_store: SqlMetricStore,
                                                slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"))
        slack.fail("500")

        deliver_due(sqlite_store, bot(slack), now=NOW, max_attempts=5)

        wait = (row(sqlite_store, "m1").next_attempt_at - NOW).total_seconds()
        assert 48.0 <= wait <= 72.0

    def test_after_max_attempts_a_message_is_dead_until_requeued(
            self, store: SqlMetricStore, slack: SlackServer) -> None:
        queue(store, msg("m1"))
        slack.fail("500", times=3)
        now = NOW
        for _ in range(3):
            deliver(store, bot(slack), now=now, max_attempts=3)
            now += dt.timedelta(hours=1)

        dead = row(store, "m1")
        assert (dead.status, dead.attempts) == ("dead", 3)
        assert "HTTP 500" in (dead.last_error or "")
        assert deliver(store, bot(slack), now=now).delivered == []
        assert [e.message_id for e in list_outbox(store, status="dead")] == ["m1"]

        assert requeue(store, now=now, all_dead=True) == ["m1"]
        assert deliver(store, bot(slack), now=now).delivered == ["m1"]
        assert slack.texts() == ["text m1"]

    def test_a_rejected_message_is_dead_at_once_and_the_others_go_on(
            self, sqlite_store: SqlMetricStore, slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"), msg("m2"))
        wrong = SlackNotifier(SlackConfig(bot_token="xoxb-wrong-token", channel="#a",
                                          base_url=slack.base_url, timeout=0.3))

        report = deliver(sqlite_store, wrong)

        assert (report.dead, report.delivered) == (["m1", "m2"], [])
        assert "invalid_auth" in (row(sqlite_store, "m1").last_error or "")
        assert row(sqlite_store, "m1").attempts == 1

    def test_a_pass_stops_at_the_first_outage(self, sqlite_store: SqlMetricStore,
                                              slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"), msg("m2"), msg("m3"))
        slack.fail("hang")

        report = deliver(sqlite_store, bot(slack, timeout=0.2))

        assert report.retrying == ["m1"]
        assert report.delivered == []
        assert [row(sqlite_store, m).attempts for m in ("m1", "m2", "m3")] == [1, 0, 0]
        assert deliver(sqlite_store, bot(slack)).delivered == ["m2", "m3"]

    def test_a_notifier_bug_is_logged_and_retried(self, sqlite_store: SqlMetricStore,
                                                  caplog: pytest.LogCaptureFixture) -> None:
        class Broken:
            name, supports_threads, timeout = "broken", False, 0.0

            def send(self, message: OutgoingMessage) -> Delivery:
                raise KeyError("blocks")

        queue(sqlite_store, msg("m1"))

        report = deliver(sqlite_store, Broken())

        assert report.retrying == ["m1"]
        assert "notifier broken failed on alert m1" in caplog.text
        assert row(sqlite_store, "m1").status == "pending"

    def test_a_claim_left_by_a_dead_process_expires(self, sqlite_store: SqlMetricStore,
                                                    slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"))
        with sqlite_store.transaction() as conn:  # claimed, then the process died mid-send
            conn.execute(outbox.update().values(
                attempts=1, next_attempt_at=NOW + dt.timedelta(seconds=60.3)))

        during = deliver(sqlite_store, bot(slack), now=NOW + dt.timedelta(seconds=30))
        after = deliver(sqlite_store, bot(slack), now=NOW + dt.timedelta(seconds=61))

        assert (during.delivered, after.delivered) == ([], ["m1"])
        assert row(sqlite_store, "m1").attempts == 2

    def test_two_processes_flushing_at_once_send_each_message_once(
            self, store: SqlMetricStore, slack: SlackServer) -> None:
        names = [f"m{i:02d}" for i in range(12)]
        queue(store, *(msg(n) for n in names))
        reports: list[Any] = []
        start = threading.Barrier(3)

        def flush() -> None:
            start.wait()
            reports.append(deliver(store, bot(slack, timeout=2)))

        workers = [threading.Thread(target=flush) for _ in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=30)

        delivered = sorted(m for r in reports for m in r.delivered)
        assert delivered == names
        assert sorted(slack.texts()) == [f"text {n}" for n in names]  # type: ignore[type-var]


class TestThreads:
    def test_a_reply_waits_for_its_parent_then_joins_its_thread(
            self, sqlite_store: SqlMetricStore, slack: SlackServer) -> None:
        queue(sqlite_store, msg("parent"), now=NOW - dt.timedelta(minutes=5))
        queue(sqlite_store, msg("reply", event="update", thread_parent="parent"))
        slack.fail("500")
        first = deliver(sqlite_store, bot(slack))  # parent fails and waits 1 min

        second = deliver(sqlite_store, bot(slack), now=NOW + dt.timedelta(seconds=30))
        third = deliver(sqlite_store, bot(slack), now=NOW + dt.timedelta(minutes=2))

        assert first.retrying == ["parent"]
        assert second.deferred == ["reply"]
        assert third.delivered == ["parent", "reply"]
        parent, reply = slack.messages
        assert (reply.thread_ts, reply.channel) == (parent.ts, parent.channel)

    def test_a_reply_to_a_dead_parent_is_posted_on_its_own(
            self, sqlite_store: SqlMetricStore, slack: SlackServer) -> None:
        queue(sqlite_store, msg("parent"), now=NOW - dt.timedelta(minutes=5))
        queue(sqlite_store, msg("reply", event="resolved", thread_parent="parent",
                                reply_broadcast=True))
        slack.fail("500")
        deliver(sqlite_store, bot(slack), max_attempts=1)

        report = deliver(sqlite_store, bot(slack))

        assert report.delivered == ["reply"]
        (posted,) = slack.messages
        assert (posted.text, posted.thread_ts) == ("text reply", None)

    def test_without_threads_a_reply_is_posted_on_its_own(
            self, sqlite_store: SqlMetricStore, slack: SlackServer) -> None:
        queue(sqlite_store, msg("parent"), now=NOW - dt.timedelta(minutes=5))
        queue(sqlite_store, msg("reply", event="update", thread_parent="parent"))
        hook = SlackNotifier(SlackConfig(webhook_url=slack.webhook_url, timeout=0.3))

        assert deliver(sqlite_store, hook).delivered == ["parent", "reply"]
        assert [m.kind for m in slack.messages] == ["webhook", "webhook"]


class TestListOutbox:
    def test_filters_by_status_and_table_newest_first(self, sqlite_store: SqlMetricStore
                                                      ) -> None:
        queue(sqlite_store, msg("a"), now=NOW - dt.timedelta(minutes=2))
        queue(sqlite_store, msg("b", table="events"), now=NOW - dt.timedelta(minutes=1))
        queue(sqlite_store, msg("c"))

        assert [e.message_id for e in list_outbox(sqlite_store)] == ["c", "b", "a"]
        assert [e.message_id for e in list_outbox(sqlite_store, table="orders", limit=1)] == [
            "c"]
        assert list_outbox(sqlite_store, status="dead") == []
        assert set(list_outbox(sqlite_store)[0].to_dict()) >= {
            "message_id", "status", "attempts", "text", "last_error", "channel"}


class TestRequeue:
    def test_one_message_by_id(self, sqlite_store: SqlMetricStore, slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"))
        slack.fail("500")
        deliver(sqlite_store, bot(slack))

        assert requeue(sqlite_store, now=NOW, message_id="m1") == ["m1"]

        entry = row(sqlite_store, "m1")
        assert (entry.status, entry.attempts, entry.next_attempt_at) == ("pending", 0, NOW)

    def test_refuses_unknown_delivered_or_ambiguous_requests(
            self, sqlite_store: SqlMetricStore, slack: SlackServer) -> None:
        queue(sqlite_store, msg("m1"))
        deliver(sqlite_store, bot(slack))

        with pytest.raises(InputError, match="no alert with id 'nope'"):
            requeue(sqlite_store, now=NOW, message_id="nope")
        with pytest.raises(InputError, match="delivered already"):
            requeue(sqlite_store, now=NOW, message_id="m1")
        with pytest.raises(InputError, match="--all-dead"):
            requeue(sqlite_store, now=NOW)
        assert requeue(sqlite_store, now=NOW, all_dead=True) == []
        assert row(sqlite_store, "m1").status == "delivered"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as server:
        yield server


def routed(slack: SlackServer, receiver: Receiver, *routes: dict[str, Any]
           ) -> tuple[dict[str, Any], AlertsConfig]:
    """The notifiers by name and an alerts config with these routes."""
    alerts = AlertsConfig.model_validate({
        "slack": {"bot_token": TOKEN, "channel": "#data-alerts", "base_url": slack.base_url,
                  "timeout": 0.3},
        "pagerduty": {"routing_key": ROUTING_KEY, "base_url": receiver.base_url,
                      "timeout": 0.3},
        "routes": list(routes)})
    assert alerts.slack is not None
    assert alerts.pagerduty is not None
    notifiers = {"slack": SlackNotifier(alerts.slack),
                 "pagerduty": PagerDutyNotifier(alerts.pagerduty),
                 "console": ConsoleNotifier()}
    return notifiers, alerts


CRITICAL_PAGES = {"match": {"severity": "critical"}, "notify": ["pagerduty"]}
ORDERS_EVERYWHERE = {"match": {"table": "orders*"}, "notify": ["slack", "pagerduty"]}


class TestRouting:
    def test_a_critical_pages_and_a_warning_goes_to_slack(
            self, store: SqlMetricStore, slack: SlackServer, receiver: Receiver) -> None:
        notifiers, alerts = routed(slack, receiver, CRITICAL_PAGES)
        queue(store, msg("crit", table="events", severity="critical", incident_ids=(3,)),
              msg("warn", table="events", severity="warning", incident_ids=(4,)))

        report = deliver(store, notifiers, routes=alerts)

        assert report.delivered == ["crit", "warn"]
        assert slack.texts() == ["text warn"]
        assert receiver.alerts == {"dq-monitor/events/3": "triggered"}
        assert sorted(e.message_id for e in list_outbox(store)) == ["crit", "warn"]  # no copies

    def test_each_incident_is_routed_on_its_own_severity(
            self, store: SqlMetricStore, slack: SlackServer, receiver: Receiver) -> None:
        notifiers, alerts = routed(slack, receiver, CRITICAL_PAGES)
        with store.transaction() as conn:
            crit, warn = (save(conn, Incident(None, "events", check, "open", severity, "t", NOW,
                                              NOW, NOW)).incident_id
                          for check, severity in (("a", "critical"), ("b", "warning")))
            assert crit is not None
            assert warn is not None
            enqueue(conn, msg("m1", table="events", incident_ids=(crit, warn)), now=NOW)

        report = deliver(store, notifiers, routes=alerts)

        assert report.delivered == ["m1", "m1@slack"]
        assert receiver.alerts == {f"dq-monitor/events/{crit}": "triggered"}  # not the warning
        assert slack.texts() == ["text m1"]  # Slack shows the whole message
        assert row(store, "m1").payload["routed_incidents"] == [crit]
        assert row(store, "m1@slack").payload["routed_incidents"] == [warn]

    def test_one_row_per_notifier_so_a_failing_one_neither_blocks_nor_loses_the_other(
            self, sqlite_store: SqlMetricStore, slack: SlackServer, receiver: Receiver
    ) -> None:
        notifiers, alerts = routed(slack, receiver, ORDERS_EVERYWHERE)
        queue(sqlite_store, msg("a", severity="warning", incident_ids=(1,)),
              msg("b", severity="warning", incident_ids=(2,)))
        receiver.fail("500")

        first = deliver(sqlite_store, notifiers, routes=alerts)
        later = deliver(sqlite_store, notifiers, now=NOW + dt.timedelta(minutes=2),
                        routes=alerts)

        assert first.delivered == ["a", "b"]  # Slack: both, though PagerDuty is down
        assert first.retrying == ["a@pagerduty"]
        assert first.stopped is not None
        assert "HTTP 500" in first.stopped
        assert later.delivered == ["a@pagerduty", "b@pagerduty"]
        assert slack.texts() == ["text a", "text b"]
        assert receiver.alerts == {"dq-monitor/orders/1": "triggered",
                                   "dq-monitor/orders/2": "triggered"}
        assert row(sqlite_store, "a@pagerduty").attempts == 2
        with sqlite_store.connect() as conn:
            assert sent_since(conn, NOW - dt.timedelta(hours=1)) == 2  # copies count once

    def test_a_dead_letter_of_one_notifier_leaves_the_others_delivered(
            self, sqlite_store: SqlMetricStore, slack: SlackServer, receiver: Receiver
    ) -> None:
        notifiers, alerts = routed(slack, receiver, ORDERS_EVERYWHERE)
        queue(sqlite_store, msg("a", severity="warning"))  # no incident: PagerDuty refuses

        report = deliver(sqlite_store, notifiers, routes=alerts)

        assert (report.delivered, report.dead) == (["a"], ["a@pagerduty"])
        assert "no incident" in (row(sqlite_store, "a@pagerduty").last_error or "")
        assert requeue(sqlite_store, now=NOW, all_dead=True) == ["a@pagerduty"]

    def test_a_reply_joins_the_thread_of_its_own_notifiers_copy(
            self, sqlite_store: SqlMetricStore, slack: SlackServer, receiver: Receiver
    ) -> None:
        notifiers, alerts = routed(slack, receiver, CRITICAL_PAGES, ORDERS_EVERYWHERE)
        queue(sqlite_store, msg("parent", severity="critical", incident_ids=(1,)),
              now=NOW - dt.timedelta(minutes=5))
        queue(sqlite_store, msg("reply", event="resolved", severity="critical",
                                incident_ids=(1,), thread_parent="parent"))

        report = deliver(sqlite_store, notifiers, routes=alerts)

        assert report.delivered == ["parent", "parent@slack", "reply", "reply@slack"]
        parent, reply = slack.messages
        assert (reply.thread_ts, reply.channel) == (parent.ts, parent.channel)
        assert receiver.alerts == {"dq-monitor/orders/1": "resolved"}

    def test_a_message_for_a_notifier_no_longer_configured_is_a_dead_letter(
            self, sqlite_store: SqlMetricStore, slack: SlackServer, receiver: Receiver
    ) -> None:
        notifiers, alerts = routed(slack, receiver, CRITICAL_PAGES)
        queue(sqlite_store, msg("a", severity="critical", incident_ids=(1,)))
        receiver.fail("hang")
        deliver(sqlite_store, notifiers, routes=alerts)  # routed to PagerDuty; times out
        del notifiers["pagerduty"]

        report = deliver(sqlite_store, notifiers, now=NOW + dt.timedelta(minutes=5),
                         routes=alerts)

        assert report.dead == ["a"]
        assert "notifier 'pagerduty' is not configured" in (row(sqlite_store, "a").last_error
                                                              or "")

    def test_one_notifier_for_everything_ignores_routes(
            self, sqlite_store: SqlMetricStore, slack: SlackServer) -> None:
        queue(sqlite_store, msg("a", severity="critical", incident_ids=(1,)))

        assert deliver(sqlite_store, bot(slack)).delivered == ["a"]
        assert "notifier" not in row(sqlite_store, "a").payload


class TestFlushOutbox:
    def test_a_critical_run_pages_and_its_recovery_resolves_the_page(
            self, tmp_path: Path, store: SqlMetricStore, slack: SlackServer,
            receiver: Receiver) -> None:
        config = make_config(
            tmp_path, warehouses={"wh": "sqlite://"},
            tables=[{"name": t, "warehouse": "wh", "table": t} for t in ("orders", "events")],
            alerts={"slack": {"bot_token": TOKEN, "channel": "#data-alerts",
                              "base_url": slack.base_url, "timeout": 0.3},
                    "pagerduty": {"routing_key": ROUTING_KEY, "base_url": receiver.base_url,
                                  "timeout": 0.3},
                    "resolve_after_runs": 1, "routes": [CRITICAL_PAGES]})
        ctx = MonitorContext(config, clock=lambda: NOW, store=store)
        policy = AlertPolicy.from_config(config.alerts)

        def record(run: str, found: list[Finding]) -> None:
            with store.transaction() as conn:
                for table in ("orders", "events"):
                    record_alerts(conn, config, table, [f for f in found if f.table == table],
                                  run_id=f"{run}", now=NOW, policy=policy)

        def finding(table: str, severity: str, failing: bool = True) -> Finding:
            return Finding(table=table, check="volume:row_count", kind="anomaly",
                           severity=severity, failing=failing, at=NOW,
                           reason="412 rows, usually about 980" if failing else "normal")

        record("r1", [finding("orders", "critical"), finding("events", "warning")])
        opened = flush_outbox(ctx)
        record("r2", [finding("orders", "critical", False), finding("events", "warning", False)])
        resolved = flush_outbox(ctx)

        # Resolves go to PagerDuty whatever the severity (it ignores unknown dedup keys).
        assert (len(opened.delivered), len(resolved.delivered)) == (2, 3)
        (key,) = receiver.alerts
        assert key.startswith("dq-monitor/orders/")
        assert receiver.alerts[key] == "resolved"
        events = receiver.accepted("/v2/enqueue")
        assert sorted((e["event_action"], e["dedup_key"].split("/")[1]) for e in events) == [
            ("resolve", "events"), ("resolve", "orders"), ("trigger", "orders")]
        assert events[0]["payload"]["severity"] == "critical"
        texts = slack.texts()
        assert len(texts) == 2
        assert all("events" in (t or "") for t in texts)  # orders' news went to PagerDuty
