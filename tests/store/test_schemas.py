"""Stored column lists read back as of a time, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from monitor.store import SqlMetricStore
from monitor.store.schemas import schema_at

T0 = dt.datetime(2026, 2, 1)
DAY = dt.timedelta(days=1)


def snapshot(store: SqlMetricStore, ts: dt.datetime, columns: list[tuple[str, str]],
             table: str = "orders") -> None:
    with store.transaction() as conn:
        store.replace_schema(conn, f"{table}@{ts.isoformat()}", table, ts, columns)


class TestSchemaAt:
    def test_the_newest_snapshot_at_or_before_the_time_in_column_order(
            self, store: SqlMetricStore) -> None:
        snapshot(store, T0, [("id", "INTEGER"), ("amount", "FLOAT")])
        snapshot(store, T0 + DAY, [("id", "INTEGER"), ("total", "NUMERIC"), ("amount", "FLOAT")])
        snapshot(store, T0 + 2 * DAY, [("id", "BIGINT")])
        snapshot(store, T0 + DAY, [("x", "TEXT")], table="events")

        assert schema_at(store, "orders", T0 + DAY) == (
            T0 + DAY, [("id", "INTEGER"), ("total", "NUMERIC"), ("amount", "FLOAT")])
        assert schema_at(store, "orders", (T0 + DAY + DAY / 2).replace(tzinfo=dt.UTC)) == (
            T0 + DAY, [("id", "INTEGER"), ("total", "NUMERIC"), ("amount", "FLOAT")])

    def test_none_before_the_first_snapshot(self, store: SqlMetricStore) -> None:
        snapshot(store, T0, [("id", "INTEGER")])

        assert schema_at(store, "orders", T0 - DAY) is None
        assert schema_at(store, "events", T0) is None
