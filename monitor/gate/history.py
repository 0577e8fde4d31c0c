"""Where a gate's volume history and freshness come from.

- A bucketed table gated in place: its newest *complete* bucket at the gate's
  time is the batch, empty or not (the bucket still filling is left out, as in
  ingestion: at 08:19 today's rows are a third of a day, not a third of the
  usual; a table that stopped loading has an empty newest bucket); the
  history is the same weekday (daily buckets) or hour of day (hourly) of the
  previous weeks, else every earlier bucket, all counted in one grouped query.
- A table without buckets: its row count against the stored snapshots.
- An ingested batch: the rows it would publish against earlier published
  batches, else against the target's daily volume.

>>> from monitor.metrics.profile import describe_table
>>> orders = config.table("orders")
>>> volume = table_volume(warehouse, orders, describe_table(warehouse, orders), store, at=now)
>>> volume.rows, volume.history, volume.what, volume.batch
(505, [557.0, 492.0, 514.0, 510.0, 478.0], 'earlier Sundays', '2026-11-29')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from monitor.config.models import TableConfig
from monitor.metrics.definitions import parse_db_time
from monitor.store import SqlMetricStore
from monitor.store.batches import batch_history
from monitor.timeutil import Granularity, as_utc, bucket_width, floor_time, utcnow
from monitor.warehouse import SqlWarehouse, TableShape

#: How far back the history reaches, per bucket granularity.
LOOKBACK = {"day": dt.timedelta(days=35), "hour": dt.timedelta(days=7)}


@dataclass(frozen=True)
class Volume:
    """The batch's rows, the usual rows before it, and its newest timestamp."""

    rows: int
    history: list[float] = field(default_factory=list)
    what: str = "earlier batches"
    latest: dt.datetime | None = None
    batch: str | None = None  # which bucket was judged, for the reason ("2026-03-09")


def newest_timestamp(warehouse: SqlWarehouse, shape: TableShape,
                     column: str) -> dt.datetime | None:
    caps = warehouse.capabilities
    query = sa.select(sa.func.max(caps.timestamp(shape.table.c[column])))
    with warehouse.connect() as conn:
        value = warehouse.execute(conn, query, what=f"newest {column!r} of {shape.qualified}"
                                  ).scalar()
    return parse_db_time(value)


def bucket_counts(warehouse: SqlWarehouse, shape: TableShape, column: str,
                  granularity: Granularity, since: dt.datetime,
                  until: dt.datetime | None = None) -> list[tuple[dt.datetime, int]]:
    """Rows per bucket in ``[since, until)``, oldest first, in one grouped query."""
    caps = warehouse.capabilities
    ts = shape.table.c[column]
    where = caps.timestamp(ts) >= caps.bind_timestamp(as_utc(since))
    if until is not None:
        where = sa.and_(where, caps.before(ts, as_utc(until)))
    query = (sa.select(caps.bucket(ts, granularity).label("b"), sa.func.count().label("n"))
             .where(where)
             .group_by(sa.literal_column("1")).order_by(sa.literal_column("1")))
    with warehouse.connect() as conn:
        rows = warehouse.execute(conn, query, what=f"volume per {granularity} of "
                                                   f"{shape.qualified}").all()
    out = []
    for start, count in rows:
        parsed = parse_db_time(start)
        if parsed is not None:
            out.append((parsed, int(count)))
    return out


def _same_slot(a: dt.datetime, b: dt.datetime, granularity: Granularity) -> bool:
    return a.weekday() == b.weekday() if granularity == "day" else a.hour == b.hour


def table_volume(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape,
                 store: SqlMetricStore, *, history_size: int = 10,
                 at: dt.datetime | None = None) -> Volume:
    """The volume of a table gated in place at ``at`` (default now; see the module
    docstring)."""
    ts = table.timestamp_column
    if ts and table.bucket:
        latest = newest_timestamp(warehouse, shape, ts)
        if latest is None:
            return Volume(rows=0, what="earlier buckets")
        width = bucket_width(table.bucket)
        last_complete = floor_time(as_utc(at) if at is not None else utcnow(),
                                   table.bucket) - width
        # The newest complete bucket at the gate's time, even when no row reached it:
        # a table that stopped loading has an empty newest bucket, not an old full one.
        newest = last_complete
        counts = bucket_counts(warehouse, shape, ts, table.bucket,
                               newest - LOOKBACK[table.bucket], until=newest + width)
        rows = sum(n for start, n in counts if start >= newest)
        earlier = [(start, n) for start, n in counts if start < newest]
        if not rows and floor_time(latest, table.bucket) > newest and not earlier:
            # The table's first rows are still filling their bucket: nothing complete yet.
            return Volume(rows=0, what="earlier buckets", latest=latest)
        batch = f"{newest:%Y-%m-%d}" if table.bucket == "day" else f"{newest:%Y-%m-%d %H}:00"
        same = [float(n) for start, n in earlier if _same_slot(start, newest, table.bucket)]
        if len(same) >= 3:
            slot = (f"earlier {newest:%A}s" if table.bucket == "day"
                    else f"earlier {newest:%H}:00 hours")
            return Volume(rows, same[-history_size:], slot, latest, batch)
        unit = "days" if table.bucket == "day" else "hours"
        return Volume(rows, [float(n) for _, n in earlier][-history_size:],
                      f"earlier {unit}", latest, batch)
    count = sa.select(sa.func.count()).select_from(shape.table)
    with warehouse.connect() as conn:
        rows = int(warehouse.execute(conn, count, what=f"rows of {shape.qualified}").scalar()
                   or 0)
    latest = newest_timestamp(warehouse, shape, ts) if ts else None
    points = store.points(table.name, metric="row_count", column="", granularity="snapshot")
    history = [p.value for p in points if p.value is not None][-history_size:]
    return Volume(rows, history, "earlier runs", latest)


def batch_volume(rows: int, warehouse: SqlWarehouse, table: TableConfig, target: TableShape,
                 store: SqlMetricStore, *, history_size: int = 10,
                 now: dt.datetime | None = None) -> Volume:
    """The volume of an ingested batch: earlier published batches, else the target's days."""
    earlier = [float(b.rows_published or 0) for b in
               batch_history(store, table.name, published_only=True, limit=history_size)]
    if len(earlier) >= 3 or not (table.timestamp_column and table.bucket):
        return Volume(rows, earlier, "earlier batches")
    latest = newest_timestamp(warehouse, target, table.timestamp_column)
    if latest is None:
        return Volume(rows, earlier, "earlier batches")
    newest = floor_time(latest, table.bucket)
    counts = bucket_counts(warehouse, target, table.timestamp_column, table.bucket,
                           newest - LOOKBACK[table.bucket])
    # The newest bucket may still be filling: leave it out.
    history = [float(n) for start, n in counts if start < newest][-history_size:]
    unit = "days" if table.bucket == "day" else "hours"
    return Volume(rows, history, f"{unit} of the target table")
