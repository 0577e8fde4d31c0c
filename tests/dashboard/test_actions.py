"""The dashboard's writes, through the shared incident and feedback APIs."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from monitor.dashboard import actions
from monitor.store import SqlMetricStore
from monitor.store.schema import feedback, incidents, mutes
from tests.helpers.seed import DAY, Seeder, naive_now


@pytest.fixture
def now() -> dt.datetime:
    """The time when the test runs (never when the module was imported)."""
    return naive_now()


@pytest.fixture
def incident(sqlite_store: SqlMetricStore, now: dt.datetime) -> int:
    seeder = Seeder()
    found = seeder.incident("orders", "volume:row_count", opened_at=now - DAY)
    seeder.write(sqlite_store)
    return found


def one(store: SqlMetricStore, table: sa.Table) -> sa.RowMapping:
    with store.connect() as conn:
        return conn.execute(sa.select(table)).mappings().one()


class TestAcknowledgeIncident:
    def test_writes_status_and_who(self, sqlite_store: SqlMetricStore, incident: int):
        outcome = actions.acknowledge_incident(sqlite_store, incident, by="ana")

        assert outcome == actions.Outcome(True, f"Incident {incident} acknowledged by ana.")
        row = one(sqlite_store, incidents)
        assert (row["status"], row["acknowledged_by"]) == ("acknowledged", "ana")

    def test_unknown_incident_is_a_message(self, sqlite_store: SqlMetricStore):
        outcome = actions.acknowledge_incident(sqlite_store, 99, by=None)

        assert not outcome.ok
        assert "no incident with id 99" in outcome.message


class TestResolveIncident:
    def test_writes_who_why_and_the_note(self, sqlite_store: SqlMetricStore, incident: int):
        outcome = actions.resolve_incident(sqlite_store, incident, reason="expected",
                                           by="ana", note="")

        assert outcome == actions.Outcome(
            True, f"Incident #{incident} resolved as expected by ana.")
        row = one(sqlite_store, incidents)
        assert (row["status"], row["resolved_by"], row["resolution"],
                row["resolution_note"]) == ("resolved", "ana", "expected", None)

    def test_bad_reason_and_resolved_incident_are_messages(
            self, sqlite_store: SqlMetricStore, incident: int):
        bad = actions.resolve_incident(sqlite_store, incident, reason="shrug", by="ana")
        actions.resolve_incident(sqlite_store, incident, reason="fixed", by="ana")
        again = actions.resolve_incident(sqlite_store, incident, reason="fixed", by="ana")

        assert (bad.ok, again.ok) == (False, False)
        assert "unknown resolution 'shrug'" in bad.message
        assert f"incident {incident} is already resolved" in again.message

    def test_every_choice_is_a_resolution(self) -> None:
        assert actions.RESOLUTION_CHOICES == (
            "fixed", "expected", "false-positive", "no-action-needed")


class TestMuteIncidentFor:
    def test_until_now_plus_hours(self, sqlite_store: SqlMetricStore, now: dt.datetime,
                                  incident: int):
        outcome = actions.mute_incident_for(sqlite_store, incident, hours=4, now=now)

        assert one(sqlite_store, incidents)["muted_until"] == now + dt.timedelta(hours=4)
        assert outcome.message == (f"Incident {incident} muted for 4h "
                                   f"(until {now + dt.timedelta(hours=4):%Y-%m-%d %H:%M} UTC).")

    def test_unknown_incident(self, sqlite_store: SqlMetricStore):
        assert not actions.mute_incident_for(sqlite_store, 5, hours=1).ok


class TestMuteTableFor:
    def test_writes_the_mute(self, sqlite_store: SqlMetricStore, now: dt.datetime):
        outcome = actions.mute_table_for(sqlite_store, "orders", hours=24, by="ana",
                                         reason="backfill", now=now)

        row = one(sqlite_store, mutes)
        assert (row["table_name"], row["muted_until"], row["reason"], row["created_by"]) == (
            "orders", now + DAY, "backfill", "ana")
        assert outcome.ok

    def test_a_mute_in_the_past_is_refused(self, sqlite_store: SqlMetricStore, now: dt.datetime):
        outcome = actions.mute_table_for(sqlite_store, "orders", hours=1, by=None,
                                         now=now - 2 * DAY)

        assert not outcome.ok
        assert "must end in the future" in outcome.message


class TestMarkExpected:
    def test_writes_an_expected_label(self, sqlite_store: SqlMetricStore, now: dt.datetime):
        point = now.replace(hour=0, minute=0, second=0)
        seeder = Seeder()
        run_id = seeder.run("orders", now)
        seeder.detection("orders", point, "null_rate", 0.3, run_id=run_id, expected=0.01,
                         lower=0.0, upper=0.03, is_anomaly=True, state="anomaly",
                         column="user_id", granularity="day")
        seeder.write(sqlite_store)

        outcome = actions.mark_expected(sqlite_store, "orders", "null_rate", ts=point,
                                        column="user_id", by="ana", note="known outage")

        row = one(sqlite_store, feedback)
        assert (row["table_name"], row["metric"], row["column_name"], row["granularity"],
                row["ts"], row["label"], row["author"], row["note"]) == (
            "orders", "null_rate", "user_id", "day", point, "expected", "ana", "known outage")
        assert outcome.message == (f"orders null_rate(user_id) at {point:%Y-%m-%d %H:%M} "
                                   f"marked as expected.")

    def test_point_without_detection_is_a_message(self, sqlite_store: SqlMetricStore,
                                                  now: dt.datetime):
        outcome = actions.mark_expected(sqlite_store, "orders", "row_count", ts=now)

        assert not outcome.ok
        assert "no detection stored for table 'orders'" in outcome.message


class TestLabelFlaggedPoint:
    def test_a_real_problem_is_an_incident_label(self, sqlite_store: SqlMetricStore,
                                                 now: dt.datetime):
        point = now.replace(hour=0, minute=0, second=0)
        seeder = Seeder()
        run_id = seeder.run("orders", now)
        seeder.detection("orders", point, "row_count", 392.0, run_id=run_id, expected=980.0,
                         lower=900.0, upper=1060.0, is_anomaly=True, state="anomaly",
                         granularity="day")
        seeder.write(sqlite_store)

        outcome = actions.label_flagged_point(sqlite_store, "orders", "row_count", ts=point,
                                              label="incident", by="ana")

        row = one(sqlite_store, feedback)
        assert (row["metric"], row["column_name"], row["ts"], row["label"], row["author"]) == (
            "row_count", "", point, "incident", "ana")
        assert outcome.ok
        assert outcome.message == (f"orders row_count at {point:%Y-%m-%d %H:%M} marked as a "
                                   f"real problem.")

    def test_an_unknown_label_is_a_message(self, sqlite_store: SqlMetricStore,
                                           now: dt.datetime):
        outcome = actions.label_flagged_point(sqlite_store, "orders", "row_count", ts=now,
                                              label="maybe")

        assert not outcome.ok
        assert "label must be one of expected, incident" in outcome.message
