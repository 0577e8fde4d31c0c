"""Stored incidents on SQLite and PostgreSQL: saved, loaded, listed, acted on by people."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from monitor.store import SqlMetricStore
from monitor.store.incidents import (
    Incident,
    list_incidents,
    load_open,
    mark_acknowledged,
    open_count_by_severity,
    save,
    set_incident_mute,
    set_thread,
)
from tests.helpers.incidents import HOUR, NOW
from tests.helpers.incidents import incident as stored_incident


def incident(check: str = "volume:row_count", **kw: Any) -> Incident:
    """Not yet stored: the store numbers it."""
    return stored_incident(check, incident_id=None, **kw)


def saved(store: SqlMetricStore, **kw: Any) -> Incident:
    with store.transaction() as conn:
        return save(conn, incident(**kw))


class TestIncident:
    def test_since_is_the_start_of_the_problem_in_utc(self) -> None:
        assert incident().since == (NOW - HOUR).replace(tzinfo=dt.UTC)
        assert incident(details={}).since is None

    def test_muted_only_until_the_mute_ends(self) -> None:
        muted = incident(muted_until=NOW)

        assert (muted.muted(NOW - HOUR), muted.muted(NOW), incident().muted(NOW)) == (
            True, False, False)

    def test_to_dict_has_the_start(self) -> None:
        assert incident().to_dict()["since"] == (NOW - HOUR).replace(tzinfo=dt.UTC)


class TestSave:
    def test_new_incidents_get_their_own_ids(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            first = save(conn, incident(details={"finding": {"observed": None}}))
            other = save(conn, incident(table="events"))

        assert first.incident_id is not None
        assert other.incident_id is not None
        assert other.incident_id != first.incident_id

    def test_an_update_keeps_what_people_set(self, store: SqlMetricStore) -> None:
        first = saved(store)
        assert first.incident_id is not None
        mark_acknowledged(store, first.incident_id, by="ana", now=NOW)  # meanwhile
        with store.transaction() as conn:
            save(conn, replace(first, occurrences=5, status="open"))
            loaded = load_open(conn, "orders")["volume:row_count"]

        assert (loaded.status, loaded.acknowledged_by, loaded.occurrences) == (
            "acknowledged", "ana", 5)

    def test_resolving_writes_the_status(self, store: SqlMetricStore) -> None:
        first = saved(store)
        with store.transaction() as conn:
            save(conn, replace(first, status="resolved", resolved_at=NOW))

        with store.connect() as conn:
            (row,) = list_incidents(conn)
        assert (row.status, row.resolved_at) == ("resolved", NOW)


class TestLoadOpen:
    def test_open_and_acknowledged_incidents_of_the_table_by_check(
            self, store: SqlMetricStore) -> None:
        first = saved(store)
        acked = saved(store, check="schema", status="acknowledged")
        saved(store, check="freshness", status="resolved", resolved_at=NOW)
        saved(store, table="events")

        with store.connect() as conn:
            loaded = load_open(conn, "orders")

        assert loaded == {"volume:row_count": first, "schema": acked}

    def test_a_resolved_incident_frees_its_check(self, store: SqlMetricStore) -> None:
        first = saved(store)
        with store.transaction() as conn:
            save(conn, replace(first, status="resolved", resolved_at=NOW))
            assert load_open(conn, "orders") == {}


class TestSetThread:
    def test_the_first_announcement_is_kept(self, store: SqlMetricStore) -> None:
        first = saved(store)
        assert first.incident_id is not None
        with store.transaction() as conn:
            set_thread(conn, [first.incident_id], channel="C1", ts="1.1")
            set_thread(conn, [first.incident_id], channel="C2", ts="2.2")
            set_thread(conn, [first.incident_id], channel="C3", ts=None)
            loaded = load_open(conn, "orders")["volume:row_count"]

        assert (loaded.channel, loaded.thread_ts) == ("C1", "1.1")


class TestListIncidents:
    def test_newest_first_filtered_by_status_and_table(self, store: SqlMetricStore) -> None:
        a = saved(store)
        b = saved(store, check="schema", status="resolved")
        c = saved(store, table="events", status="acknowledged")

        with store.connect() as conn:
            every = list_incidents(conn)
            active = list_incidents(conn, status="active")
            resolved = list_incidents(conn, status="resolved")
            orders = list_incidents(conn, table="orders", limit=1)

        assert every == [c, b, a]
        assert (active, resolved, orders) == ([c, a], [b], [b])


class TestMarkAcknowledged:
    def test_acknowledges_and_returns_the_status_before(self, store: SqlMetricStore) -> None:
        first = saved(store)
        assert first.incident_id is not None

        before = mark_acknowledged(store, first.incident_id, by="ana", now=NOW)

        with store.connect() as conn:
            (row,) = list_incidents(conn)
        assert (before, row.status, row.acknowledged_by, row.updated_at) == (
            "open", "acknowledged", "ana", NOW)

    def test_a_resolved_incident_stays_resolved(self, store: SqlMetricStore) -> None:
        first = saved(store, status="resolved", resolved_at=NOW)
        assert first.incident_id is not None

        assert mark_acknowledged(store, first.incident_id, by="ana", now=NOW) == "resolved"
        with store.connect() as conn:
            assert list_incidents(conn)[0].acknowledged_by is None

    def test_an_unknown_id_is_none(self, store: SqlMetricStore) -> None:
        assert mark_acknowledged(store, 99, by="ana", now=NOW) is None


class TestSetIncidentMute:
    def test_mutes_one_incident(self, store: SqlMetricStore) -> None:
        first = saved(store)
        other = saved(store, check="schema")
        assert first.incident_id is not None

        assert set_incident_mute(store, first.incident_id, until=NOW + HOUR, now=NOW)

        with store.connect() as conn:
            loaded = load_open(conn, "orders")
        assert loaded["volume:row_count"].muted_until == NOW + HOUR
        assert loaded["schema"] == other

    def test_an_unknown_id_is_false(self, store: SqlMetricStore) -> None:
        assert not set_incident_mute(store, 99, until=NOW + HOUR, now=NOW)


class TestOpenCountBySeverity:
    def test_open_and_acknowledged_count_resolved_do_not(self, store: SqlMetricStore) -> None:
        saved(store, check="a", severity="critical")
        saved(store, check="b", severity="critical", status="acknowledged")
        saved(store, check="c", severity="warning")
        saved(store, check="d", severity="warning", status="resolved")

        assert open_count_by_severity(store) == {"critical": 2, "warning": 1}
