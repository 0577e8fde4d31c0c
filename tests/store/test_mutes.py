"""Stored table mutes on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from monitor.store import SqlMetricStore
from monitor.store.mutes import Mute, active_mutes, delete_mute, replace_mute, stored_mute_end

NOW = dt.datetime(2026, 1, 5, 6)
HOUR = dt.timedelta(hours=1)


class TestStoredMuteEnd:
    def test_the_end_even_when_past_and_none_without_a_mute(self, store: SqlMetricStore) -> None:
        replace_mute(store, Mute("orders", NOW - HOUR), now=NOW - 2 * HOUR)

        with store.connect() as conn:
            assert (stored_mute_end(conn, "orders"), stored_mute_end(conn, "events")) == (
                NOW - HOUR, None)


class TestReplaceMute:
    def test_a_new_mute_replaces_the_earlier_one(self, store: SqlMetricStore) -> None:
        replace_mute(store, Mute("orders", NOW + HOUR, "first", "ana"), now=NOW)
        replace_mute(store, Mute("orders", NOW + 3 * HOUR, "backfill", "bo"), now=NOW)

        with store.connect() as conn:
            assert active_mutes(conn, NOW) == [Mute("orders", NOW + 3 * HOUR, "backfill", "bo")]


class TestDeleteMute:
    def test_true_only_when_there_was_a_mute(self, store: SqlMetricStore) -> None:
        replace_mute(store, Mute("orders", NOW + HOUR), now=NOW)

        assert (delete_mute(store, "orders"), delete_mute(store, "orders")) == (True, False)
        with store.connect() as conn:
            assert stored_mute_end(conn, "orders") is None


class TestActiveMutes:
    def test_mutes_ending_after_now_by_table(self, store: SqlMetricStore) -> None:
        for mute in (Mute("orders", NOW + HOUR), Mute("events", NOW + 2 * HOUR),
                     Mute("users", NOW), Mute("old", NOW - HOUR)):
            replace_mute(store, mute, now=NOW - 2 * HOUR)

        with store.connect() as conn:
            assert [m.table for m in active_mutes(conn, NOW)] == ["events", "orders"]
