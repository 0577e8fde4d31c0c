"""Ingestion lineage in the store: one row per table and content, replaced until published."""

from __future__ import annotations

import datetime as dt

from monitor.store.batches import BatchRecord, batch_history, find_batch, record_batch

T0 = dt.datetime(2026, 1, 1, 8)


def _record(batch_id: str, status: str, *, content: str = "h1", table: str = "orders",
            minutes: int = 0, published: int = 0) -> BatchRecord:
    return BatchRecord(batch_id=batch_id, table=table, source_file=f"/in/{batch_id}.csv",
                       content_hash=content, mode="all_or_nothing", status=status,
                       started_at=T0 + dt.timedelta(minutes=minutes), rows_in=10,
                       rows_published=published, rows_quarantined=0)


class TestRecordBatch:
    def test_a_new_attempt_replaces_the_row_of_the_same_content(self, store) -> None:
        with store.transaction() as conn:
            record_batch(conn, _record("b1", "blocked"))
        with store.transaction() as conn:
            record_batch(conn, _record("b1", "published", published=10))

        found = find_batch(store, "orders", "h1")

        assert (found.status, found.rows_published, found.published) == ("published", 10, True)
        assert len(batch_history(store)) == 1
        assert found.to_dict()["started_at"] == "2026-01-01T08:00:00+00:00"


class TestBatchHistory:
    def test_newest_first_per_table_and_published_only(self, store) -> None:
        with store.transaction() as conn:
            record_batch(conn, _record("b1", "published", content="h1", minutes=1))
            record_batch(conn, _record("b2", "blocked", content="h2", minutes=2))
            record_batch(conn, _record("b3", "partially_published", content="h3", minutes=3))
            record_batch(conn, _record("b4", "published", content="h1", table="events"))

        assert [b.batch_id for b in batch_history(store, "orders")] == ["b3", "b2", "b1"]
        assert [b.batch_id for b in batch_history(store, "orders", published_only=True)] == [
            "b3", "b1"]
        assert find_batch(store, "events", "h2") is None
