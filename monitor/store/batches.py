"""Ingestion lineage (``dq_batches``): one row per table and file content.

The row of a batch is replaced on every attempt until it is published;
after that, ingesting the same content again changes nothing.

>>> import datetime as dt
>>> record = BatchRecord(batch_id="refunds-1", table="refunds", source_file="refunds.csv",
...                      content_hash="9f86d081", mode="all_or_nothing", status="published",
...                      started_at=dt.datetime(2026, 11, 30, 6), rows_in=12, rows_published=12)
>>> with store.transaction() as conn:
...     record_batch(conn, record)
>>> find_batch(store, "refunds", "9f86d081").status
'published'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.store.schema import batches
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import to_naive_utc

PUBLISHED = ("published", "partially_published")


@dataclass(frozen=True)
class BatchRecord:
    """The lineage of one ingested file."""

    batch_id: str
    table: str
    source_file: str
    content_hash: str
    mode: str
    status: str  # published | partially_published | blocked | failed
    started_at: dt.datetime
    rows_in: int | None = None
    rows_published: int | None = None
    rows_quarantined: int | None = None
    verdict_id: str | None = None
    error: str | None = None
    finished_at: dt.datetime | None = None

    @property
    def published(self) -> bool:
        return self.status in PUBLISHED

    @classmethod
    def from_row(cls, row: sa.RowMapping) -> BatchRecord:
        return cls(batch_id=row["batch_id"], table=row["table_name"],
                   source_file=row["source_file"], content_hash=row["content_hash"],
                   mode=row["mode"], status=row["status"], started_at=row["started_at"],
                   rows_in=row["rows_in"], rows_published=row["rows_published"],
                   rows_quarantined=row["rows_quarantined"], verdict_id=row["verdict_id"],
                   error=row["error"], finished_at=row["finished_at"])

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("started_at", "finished_at"):
            if out[key] is not None:
                out[key] = out[key].replace(tzinfo=dt.UTC).isoformat()
        return out


def record_batch(conn: Connection, record: BatchRecord) -> None:
    """Insert or replace the lineage row of a batch (inside the caller's transaction)."""
    t = batches
    conn.execute(t.delete().where(sa.or_(
        t.c.batch_id == record.batch_id,
        sa.and_(t.c.table_name == record.table, t.c.content_hash == record.content_hash))))
    conn.execute(t.insert().values(
        batch_id=record.batch_id, table_name=record.table, source_file=record.source_file,
        content_hash=record.content_hash, mode=record.mode, status=record.status,
        rows_in=record.rows_in, rows_published=record.rows_published,
        rows_quarantined=record.rows_quarantined, verdict_id=record.verdict_id,
        error=record.error, started_at=to_naive_utc(record.started_at),
        finished_at=to_naive_utc(record.finished_at) if record.finished_at else None))


def find_batch(store: SqlMetricStore, table: str, content_hash: str) -> BatchRecord | None:
    """The lineage row of this content for this table, if it was ever ingested."""
    t = batches
    with store.connect() as conn:
        row = conn.execute(sa.select(t).where(t.c.table_name == table,
                                              t.c.content_hash == content_hash)
                           ).mappings().first()
    return BatchRecord.from_row(row) if row else None


def batch_history(store: SqlMetricStore, table: str | None = None, *,
                  published_only: bool = False, limit: int = 100) -> list[BatchRecord]:
    """Batches, newest first."""
    t = batches
    query = sa.select(t).order_by(t.c.started_at.desc(), t.c.finished_at.desc()).limit(limit)
    if table:
        query = query.where(t.c.table_name == table)
    if published_only:
        query = query.where(t.c.status.in_(PUBLISHED))
    with store.connect() as conn:
        return [BatchRecord.from_row(r) for r in conn.execute(query).mappings()]
