"""Acknowledging incidents and muting tables."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from monitor.alerts.actions import (
    acknowledge,
    mute_incident,
    mute_table,
    muted_until,
    unmute_table,
)
from monitor.errors import InputError
from monitor.store import SqlMetricStore
from monitor.store.schema import incidents
from monitor.timeutil import utcnow

NOW = dt.datetime(2026, 4, 6)


def incident(store: SqlMetricStore, status: str = "open") -> int:
    with store.transaction() as conn:
        return conn.execute(incidents.insert().values(
            table_name="orders", check_key="volume:row_count", status=status,
            severity="critical", title="rows low", opened_at=NOW, updated_at=NOW,
            last_seen_at=NOW)).inserted_primary_key[0]


def status_of(store: SqlMetricStore, incident_id: int) -> tuple:
    with store.connect() as conn:
        return conn.execute(sa.select(incidents.c.status, incidents.c.acknowledged_by,
                                      incidents.c.muted_until).where(
            incidents.c.incident_id == incident_id)).one()


class TestAcknowledge:
    def test_open_incident_becomes_acknowledged(self, store: SqlMetricStore) -> None:
        incident_id = incident(store)

        acknowledge(store, incident_id, by="ana")

        assert status_of(store, incident_id)[:2] == ("acknowledged", "ana")

    def test_unknown_and_resolved_incidents(self, store: SqlMetricStore) -> None:
        resolved = incident(store, "resolved")

        with pytest.raises(InputError, match="no incident with id 999"):
            acknowledge(store, 999)
        with pytest.raises(InputError, match="already resolved"):
            acknowledge(store, resolved)


class TestMuteIncident:
    def test_sets_the_end_of_the_mute(self, store: SqlMetricStore) -> None:
        incident_id = incident(store)

        mute_incident(store, incident_id, until=NOW + dt.timedelta(hours=2))

        assert status_of(store, incident_id)[2] == NOW + dt.timedelta(hours=2)
        with pytest.raises(InputError):
            mute_incident(store, 12345, until=NOW)


class TestMuteTable:
    def test_mute_and_unmute(self, store: SqlMetricStore) -> None:
        until = utcnow() + dt.timedelta(hours=1)

        mute_table(store, "orders", until=until, reason="backfill", by="ana")
        mute_table(store, "orders", until=until + dt.timedelta(hours=1))

        assert muted_until(store, "orders") == (until + dt.timedelta(hours=1)).replace(
            tzinfo=None)
        assert muted_until(store, "orders", now=until + dt.timedelta(hours=3)) is None
        assert unmute_table(store, "orders") is True
        assert muted_until(store, "orders") is None
        assert unmute_table(store, "orders") is False

    def test_mute_must_end_in_the_future(self, store: SqlMetricStore) -> None:
        with pytest.raises(InputError, match="must end in the future"):
            mute_table(store, "orders", until=utcnow() - dt.timedelta(minutes=1))
