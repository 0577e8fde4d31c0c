"""Config entries for the tables of a warehouse, with a guessed timestamp column and bucket.

The guesses are rules a reader can check, and each entry says which rule chose:

* the timestamp column is the only temporal column, or among several the one named like
  an event time (``created_at``, ``occurred_at``, ...); a column named like a load time
  (``loaded_at``, ``_etl_loaded_at``, ``ingested_at``) becomes ``loaded_at_column``;
* the bucket is ``hour`` when the newest 7 days of data hold at least
  ``HOURLY_ROWS_PER_DAY`` rows a day (50 an hour) and, when it has a load-time column, at
  least 24 distinct load times a day (a table loaded nightly is judged daily, or each hour
  would look empty until the next load); else ``day``. A date column is daily.

>>> from monitor.warehouse import ColumnInfo
>>> guess_timestamp([ColumnInfo("id", "INTEGER", "integer"),
...                  ColumnInfo("created_at", "TIMESTAMP", "timestamp"),
...                  ColumnInfo("loaded_at", "TIMESTAMP", "timestamp")])
('created_at', 'loaded_at', 'created_at: the only timestamp column besides the load time loaded_at')
>>> guess_bucket(1_450.0, "timestamp")
('hour', 'hour: 1,450 rows/day in the newest 7 days of data (hourly from 1,200)')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from monitor.config.onboarding import Proposal
from monitor.errors import ObjectNotFound, TerminalError
from monitor.warehouse import ColumnInfo, ColumnKind, SqlWarehouse, TableShape, classify

#: Rows a day from which a table is bucketed by hour: 50 rows in an average hour, enough
#: for an hourly null rate or mean to mean something.
HOURLY_ROWS_PER_DAY = 1_200
#: How much of the newest data the volume is measured on (a whole week: weekends count).
WINDOW_DAYS = 7

_LOAD_WORDS = ("loaded", "ingested", "inserted", "synced", "extracted", "_etl_", "_dlt_",
               "_airbyte_", "_fivetran_")
_EVENT_WORDS = ("created", "occurred", "event", "ordered", "placed", "happened", "signup",
                "signed_up", "timestamp", "_ts", "time")
_CHANGE_WORDS = ("updated", "modified", "changed", "deleted")


def _is_load_time(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _LOAD_WORDS)


def _event_rank(column: ColumnInfo) -> tuple[int, int, int]:
    lowered = column.name.lower()
    return (0 if any(w in lowered for w in _EVENT_WORDS) else 1,
            1 if any(w in lowered for w in _CHANGE_WORDS) else 0,
            1 if column.nullable else 0)


def guess_timestamp(columns: Sequence[ColumnInfo]) -> tuple[str | None, str | None, str]:
    """(timestamp column, loaded-at column, reason) of a table's columns."""
    temporal = [c for c in columns if c.is_temporal]
    loads = [c for c in temporal if _is_load_time(c.name)]
    events = [c for c in temporal if not _is_load_time(c.name)]
    load = loads[0].name if loads else None
    besides = f" besides the load time {load}" if load else ""
    if not temporal:
        return None, None, "no timestamp column: table-level metrics only, no buckets"
    if not events:
        only = "the only timestamp column" if len(loads) == 1 else \
            f"the first of {len(loads)} load-time columns"
        return load, None, f"{load}: {only} (a load time: buckets by arrival)"
    if len(events) == 1:
        return events[0].name, load, f"{events[0].name}: the only timestamp column{besides}"
    best = min(events, key=lambda c: (_event_rank(c), events.index(c)))
    names = ", ".join(c.name for c in events)
    if _event_rank(best)[0] == 0:
        why = "named like an event time"
    else:
        why = "the first that is not an update time" if _event_rank(best)[1] == 0 else \
            "the first"
    if not best.nullable and why != "named like an event time":
        why += " (NOT NULL)"
    return best.name, load, f"{best.name}: of {len(events)} timestamp columns ({names}), {why}"


def guess_bucket(rows_per_day: float | None, kind: ColumnKind,
                 loads_per_day: float | None = None) -> tuple[str, str]:
    """(bucket, reason) from the table's daily volume, how often it is loaded (distinct
    load times a day, when it has a load-time column) and the timestamp column's kind."""
    if kind == "date":
        return "day", "day: the timestamp column is a date"
    if rows_per_day is None:
        return "day", "day: the table is empty (change it once data arrives)"
    volume = f"{rows_per_day:,.0f} rows/day in the newest {WINDOW_DAYS} days of data " \
             f"(hourly from {HOURLY_ROWS_PER_DAY:,})"
    if rows_per_day < HOURLY_ROWS_PER_DAY:
        return "day", f"day: {volume}"
    if loads_per_day is not None and loads_per_day < 24:
        return "day", (f"day: loaded {loads_per_day:,.1f} times a day (an hourly bucket would "
                       f"wait for the next load), although {volume}")
    return "hour", f"hour: {volume}"


def volume(warehouse: SqlWarehouse, shape: TableShape, column: str,
           loaded_at: str | None = None) -> tuple[float | None, float | None]:
    """(rows a day, distinct load times a day) in the newest ``WINDOW_DAYS`` days of
    ``column``; (None, None) for an empty table, loads None without ``loaded_at``."""
    col = shape.table.c[column]
    what = f"warehouse {warehouse.name!r}, table {shape.qualified!r}"
    with warehouse.connect() as conn:
        oldest, newest = warehouse.execute(
            conn, sa.select(sa.func.min(col), sa.func.max(col)), what=what).one()
        if not isinstance(newest, dt.date) or not isinstance(oldest, dt.date):
            return None, None
        cutoff = max(oldest, newest - dt.timedelta(days=WINDOW_DAYS))
        counts = [sa.func.count()]
        if loaded_at is not None:
            counts.append(sa.func.count(sa.distinct(shape.table.c[loaded_at])))
        row = warehouse.execute(conn, sa.select(*counts).select_from(shape.table)
                                .where(col > cutoff), what=what).one()
    span = _as_datetime(newest) - _as_datetime(cutoff)
    days = max(span.total_seconds() / 86_400, 1.0)
    return int(row[0]) / days, (int(row[1]) / days if loaded_at is not None else None)


def _as_datetime(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day)


def table_and_view_names(warehouse: SqlWarehouse, schema: str | None) -> list[str]:
    """Tables and views of ``schema`` (the default schema when None), sorted."""
    try:
        with warehouse.connect() as conn:
            inspector = sa.inspect(conn)
            if schema is not None:
                known = inspector.get_schema_names()
                if schema not in known:
                    raise ObjectNotFound(f"warehouse {warehouse.name!r}: schema {schema!r} "
                                         f"does not exist (schemas: {', '.join(known)})")
            return sorted({*inspector.get_table_names(schema=schema),
                           *inspector.get_view_names(schema=schema)})
    except sa.exc.SQLAlchemyError as error:
        where = f", schema {schema!r}" if schema else ""
        raise classify(error, f"warehouse {warehouse.name!r}{where}") from None


def default_schema(warehouse: SqlWarehouse) -> str | None:
    """The schema a table without one is found in (``public``, ``main``)."""
    try:
        with warehouse.connect() as conn:
            return sa.inspect(conn).default_schema_name
    except sa.exc.SQLAlchemyError as error:
        raise classify(error, f"warehouse {warehouse.name!r}") from None


def propose_table(warehouse: SqlWarehouse, table: str, schema: str | None) -> Proposal:
    """The config entry of one table, with its guesses."""
    shape = warehouse.describe(table, schema)
    timestamp, loaded_at, why = guess_timestamp(shape.columns)
    entry: dict[str, Any] = {"name": table, "warehouse": warehouse.name, "table": table}
    if schema:
        entry["schema"] = schema
    reasons = [why]
    if timestamp is not None:
        entry["timestamp_column"] = timestamp
        if loaded_at:
            entry["loaded_at_column"] = loaded_at
        rows, loads = volume(warehouse, shape, timestamp, loaded_at)
        bucket, because = guess_bucket(rows, shape.column(timestamp).kind, loads)
        entry["bucket"] = bucket
        reasons.append(because)
    return Proposal(entry, tuple(reasons))


def discover(warehouse: SqlWarehouse, schema: str | None = None
             ) -> tuple[list[Proposal], list[str]]:
    """(a proposal for every table and view of ``schema``, those left out with why).

    A table or view that cannot be read (a view over a dropped table, no permission) is
    left out and the rest goes on; an unknown schema is an ObjectNotFound naming it, and a
    warehouse that cannot be reached a WarehouseUnavailable (both exit 2 from the command).
    """
    proposals, left_out = [], []
    for name in table_and_view_names(warehouse, schema):
        try:
            proposals.append(propose_table(warehouse, name, schema))
        except TerminalError as error:
            left_out.append(f"{f'{schema}.' if schema else ''}{name} ({error})")
    return proposals, left_out
