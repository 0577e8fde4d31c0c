"""Stored alert messages on SQLite and PostgreSQL: queued once, claimed once, retried, delivered."""

from __future__ import annotations

import datetime as dt

from monitor.store import SqlMetricStore
from monitor.store.incidents import Incident, save
from monitor.store.outbox import (
    assign_notifiers,
    claim_entry,
    copy_id,
    count_by_status,
    count_queued_since,
    dead_message_ids,
    due_entries,
    incident_severities,
    insert_pending,
    list_outbox,
    make_pending,
    outbox_entry,
    record_delivered,
    record_failed_attempt,
    worst_severity,
)

NOW = dt.datetime(2026, 1, 5, 6)
MINUTE = dt.timedelta(minutes=1)


def queue(store: SqlMetricStore, message_id: str, *, event: str = "opened",
          table: str = "orders", at: dt.datetime = NOW) -> bool:
    with store.transaction() as conn:
        return insert_pending(conn, message_id=message_id, table=table, event=event,
                              incident_id=7, channel="#a", payload={"text": f"hi {message_id}"},
                              now=at)


class TestInsertPending:
    def test_a_message_is_stored_once_pending_and_due_now(self, store: SqlMetricStore) -> None:
        first = queue(store, "m1", at=NOW.replace(tzinfo=dt.UTC))
        again = queue(store, "m1", at=NOW + MINUTE)

        with store.connect() as conn:
            entry = outbox_entry(conn, "m1")
        assert (first, again) == (True, False)
        assert entry is not None
        assert (entry.status, entry.attempts, entry.next_attempt_at, entry.created_at,
                entry.text, entry.incident_id) == ("pending", 0, NOW, NOW, "hi m1", 7)


class TestCountQueuedSince:
    def test_counts_the_given_events_since_a_time(self, store: SqlMetricStore) -> None:
        queue(store, "old", at=NOW - 2 * MINUTE)
        queue(store, "a", at=NOW)
        queue(store, "b", event="update", at=NOW + MINUTE)
        queue(store, "c", event="resolved", at=NOW + MINUTE)

        with store.connect() as conn:
            assert count_queued_since(conn, NOW, ["opened", "resolved"]) == 2
            assert count_queued_since(conn, NOW - 5 * MINUTE, ["update"]) == 1


class TestOutboxEntry:
    def test_none_for_an_unknown_id(self, store: SqlMetricStore) -> None:
        with store.connect() as conn:
            assert outbox_entry(conn, "nope") is None


class TestListOutbox:
    def test_newest_first_filtered(self, store: SqlMetricStore) -> None:
        queue(store, "a", at=NOW)
        queue(store, "b", at=NOW + MINUTE, table="events")
        queue(store, "c", at=NOW + 2 * MINUTE)

        assert [e.message_id for e in list_outbox(store)] == ["c", "b", "a"]
        assert [e.message_id for e in list_outbox(store, table="orders", limit=1)] == ["c"]
        assert list_outbox(store, status="dead") == []


class TestDueEntries:
    def test_pending_and_due_oldest_first(self, store: SqlMetricStore) -> None:
        queue(store, "later", at=NOW + MINUTE)
        queue(store, "b", at=NOW)
        queue(store, "a", at=NOW)

        assert [e.message_id for e in due_entries(store, now=NOW)] == ["a", "b"]
        assert [e.message_id for e in due_entries(store, now=NOW, only=["b"])] == ["b"]
        assert [e.message_id for e in due_entries(store, now=NOW + MINUTE, limit=1)] == ["a"]


class TestClaimEntry:
    def test_only_the_first_claim_of_a_seen_entry_wins(self, store: SqlMetricStore) -> None:
        queue(store, "m1")
        (seen,) = due_entries(store, now=NOW)

        first = claim_entry(store, seen, until=NOW + 2 * MINUTE)
        second = claim_entry(store, seen, until=NOW + 2 * MINUTE)

        (entry,) = list_outbox(store)
        assert (first, second) == (True, False)
        assert (entry.attempts, entry.next_attempt_at) == (1, NOW + 2 * MINUTE)
        assert due_entries(store, now=NOW + MINUTE) == []


class TestRecordFailedAttempt:
    def test_pending_again_or_dead(self, store: SqlMetricStore) -> None:
        queue(store, "m1")
        queue(store, "m2")

        record_failed_attempt(store, "m1", attempt=1, error="x" * 3000, dead=False,
                              next_at=NOW + MINUTE)
        record_failed_attempt(store, "m2", attempt=5, error="gone", dead=True, next_at=NOW)

        with store.connect() as conn:
            m1, m2 = outbox_entry(conn, "m1"), outbox_entry(conn, "m2")
        assert m1 is not None
        assert m2 is not None
        assert (m1.status, m1.attempts, len(m1.last_error or ""), m1.next_attempt_at) == (
            "pending", 1, 2000, NOW + MINUTE)
        assert (m2.status, m2.attempts, m2.last_error) == ("dead", 5, "gone")


class TestDeadMessageIds:
    def test_only_dead_ones(self, store: SqlMetricStore) -> None:
        queue(store, "m1")
        queue(store, "m2")
        record_failed_attempt(store, "m2", attempt=5, error="gone", dead=True, next_at=NOW)

        with store.connect() as conn:
            assert dead_message_ids(conn) == ["m2"]


class TestMakePending:
    def test_undelivered_ones_start_over_and_delivered_ones_stay(
            self, store: SqlMetricStore) -> None:
        queue(store, "dead")
        queue(store, "sent")
        record_failed_attempt(store, "dead", attempt=5, error="gone", dead=True, next_at=NOW)
        with store.transaction() as conn:
            record_delivered(conn, "sent", ts="1.1", payload={"text": "hi"}, now=NOW)

        with store.transaction() as conn:
            make_pending(conn, ["dead", "sent"], now=NOW + MINUTE)

        by_id = {e.message_id: e for e in list_outbox(store)}
        assert (by_id["dead"].status, by_id["dead"].attempts,
                by_id["dead"].next_attempt_at) == ("pending", 0, NOW + MINUTE)
        assert by_id["sent"].status == "delivered"


class TestRecordDelivered:
    def test_delivered_with_the_receivers_id_and_the_new_payload(
            self, store: SqlMetricStore) -> None:
        queue(store, "m1")
        record_failed_attempt(store, "m1", attempt=1, error="503", dead=False, next_at=NOW)

        with store.transaction() as conn:
            record_delivered(conn, "m1", ts="171.5", payload={"text": "hi", "x": 1}, now=NOW)

        (entry,) = list_outbox(store)
        assert (entry.status, entry.response_ts, entry.delivered_at, entry.last_error,
                entry.payload) == ("delivered", "171.5", NOW, None, {"text": "hi", "x": 1})


class TestCountByStatus:
    def test_counts_pending_delivered_and_dead(self, store: SqlMetricStore) -> None:
        for i in range(5):
            queue(store, f"m{i}")
        with store.transaction() as conn:
            record_delivered(conn, "m0", ts="1", payload={"text": "hi"}, now=NOW)
        record_failed_attempt(store, "m1", attempt=5, error="503", dead=True, next_at=NOW)
        record_failed_attempt(store, "m2", attempt=1, error="503", dead=False, next_at=NOW)

        assert count_by_status(store) == {"pending": 3, "delivered": 1, "dead": 1}

    def test_an_empty_outbox_has_no_status(self, store: SqlMetricStore) -> None:
        assert count_by_status(store) == {}


class TestAssignNotifiers:
    def test_the_message_keeps_the_first_and_copies_go_to_the_others_once(
            self, store: SqlMetricStore) -> None:
        queue(store, "m1")
        with store.connect() as conn:
            entry = outbox_entry(conn, "m1")
        assert entry is not None

        assign_notifiers(store, entry, {"pagerduty": [7], "slack": None})
        assign_notifiers(store, entry, {"pagerduty": [7], "slack": None})  # a second process

        ids = sorted(e.message_id for e in list_outbox(store))
        assert ids == ["m1", copy_id("m1", "slack")] == ["m1", "m1@slack"]
        with store.connect() as conn:
            first, copy = outbox_entry(conn, "m1"), outbox_entry(conn, "m1@slack")
            queued = count_queued_since(conn, NOW - MINUTE, ["opened"])
        assert first is not None
        assert copy is not None
        assert (first.payload["notifier"], first.payload["routed_incidents"]) == ("pagerduty", [7])
        assert (copy.payload["notifier"], copy.payload["routed_incidents"]) == ("slack", None)
        assert (copy.created_at, copy.status, copy.text) == (first.created_at, "pending", "hi m1")
        assert queued == 1  # a copy is not another message


class TestIncidentSeverities:
    def test_reads_the_stored_severities(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            a = save(conn, Incident(None, "orders", "a", "open", "warning", "t", NOW, NOW, NOW))
            found = incident_severities(conn, [a.incident_id or 0, 999])

        assert found == {a.incident_id: "warning"}
        assert worst_severity(found.values()) == "warning"
