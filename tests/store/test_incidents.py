"""Stored incidents on SQLite and PostgreSQL: saved, loaded, listed, acted on by people."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from monitor.store import SqlMetricStore, open_store, schema
from monitor.store.incidents import (
    Incident,
    list_incidents,
    load_incident,
    load_open,
    mark_acknowledged,
    mark_resolved,
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

    def test_ref_is_the_short_number_people_type(self) -> None:
        assert stored_incident(incident_id=12).ref == "#12"

    def test_kind_comes_from_the_finding(self) -> None:
        assert incident(details={"finding": {"kind": "anomaly"}}).kind == "anomaly"
        assert incident(details={}).kind is None


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

    def test_resolving_writes_who_and_why(self, store: SqlMetricStore) -> None:
        first = saved(store)
        with store.transaction() as conn:
            save(conn, replace(first, status="resolved", resolved_at=NOW,
                               resolved_by="dq-monitor", resolution="recovered"))

        with store.connect() as conn:
            (row,) = list_incidents(conn)
        assert (row.resolved_by, row.resolution, row.resolution_note) == (
            "dq-monitor", "recovered", None)


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


class TestLoadIncident:
    def test_by_id_or_none(self, store: SqlMetricStore) -> None:
        first = saved(store)
        assert first.incident_id is not None

        with store.connect() as conn:
            assert load_incident(conn, first.incident_id) == first
            assert load_incident(conn, first.incident_id + 1) is None


class TestListIncidentsOpenedSince:
    def test_only_incidents_opened_since(self, store: SqlMetricStore) -> None:
        saved(store, opened_at=NOW - 3 * HOUR)
        recent = saved(store, opened_at=NOW)

        with store.connect() as conn:
            assert list_incidents(conn, opened_since=NOW - HOUR) == [recent]


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

    def test_the_first_acknowledgement_time_is_kept(self, store: SqlMetricStore) -> None:
        first = saved(store)
        assert first.incident_id is not None

        mark_acknowledged(store, first.incident_id, by="ana", now=NOW)
        mark_acknowledged(store, first.incident_id, by="bob", now=NOW + HOUR)

        with store.connect() as conn:
            (row,) = list_incidents(conn)
        assert (row.acknowledged_by, row.acknowledged_at, row.updated_at) == (
            "bob", NOW, NOW + HOUR)


class TestMarkResolved:
    def test_resolves_an_acknowledged_incident_with_who_and_why(
            self, store: SqlMetricStore) -> None:
        first = saved(store)
        assert first.incident_id is not None
        mark_acknowledged(store, first.incident_id, by="ana", now=NOW)

        with store.transaction() as conn:
            done = mark_resolved(conn, first.incident_id, reason="false-positive",
                                 by="ana", note="holiday sale", now=NOW + HOUR)

        with store.connect() as conn:
            (row,) = list_incidents(conn)
        assert done
        assert (row.status, row.resolved_at, row.resolved_by, row.resolution,
                row.resolution_note, row.acknowledged_at) == (
            "resolved", NOW + HOUR, "ana", "false-positive", "holiday sale", NOW)

    def test_a_resolved_or_unknown_incident_is_false(self, store: SqlMetricStore) -> None:
        first = saved(store, status="resolved", resolved_at=NOW, resolution="recovered")
        assert first.incident_id is not None

        with store.transaction() as conn:
            again = mark_resolved(conn, first.incident_id, reason="fixed", by="ana",
                                  note=None, now=NOW + HOUR)
            unknown = mark_resolved(conn, 99, reason="fixed", by="ana", note=None, now=NOW)

        with store.connect() as conn:
            (row,) = list_incidents(conn)
        assert (again, unknown) == (False, False)
        assert (row.resolution, row.resolved_at) == ("recovered", NOW)


class TestLifecycleColumnsMigration:
    def test_a_version_2_store_gets_the_lifecycle_columns(self, store: SqlMetricStore) -> None:
        # Arrange: the layout of version 2 (no lifecycle columns), with an incident in it
        first = saved(store)
        added = ("acknowledged_at", "resolved_by", "resolution", "resolution_note")
        with store.transaction() as conn:
            for name in added:
                conn.execute(sa.text(f"ALTER TABLE dq_incidents DROP COLUMN {name}"))
            conn.execute(schema.meta.update().values(value="2"))

        # Act
        upgraded = open_store(store.url)

        # Assert
        columns = {c["name"] for c in sa.inspect(upgraded.engine).get_columns("dq_incidents")}
        with upgraded.connect() as conn:
            (row,) = list_incidents(conn)
        assert upgraded.schema_version() == schema.SCHEMA_VERSION
        assert set(added) <= columns
        assert (row.incident_id, row.resolution) == (first.incident_id, None)
        upgraded.dispose()

    def test_the_steps_can_run_twice(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            for migration in schema.MIGRATIONS[3]:
                migration(conn)
                migration(conn)

        columns = [c["name"] for c in sa.inspect(store.engine).get_columns("dq_incidents")]
        assert columns.count("resolution") == 1


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
