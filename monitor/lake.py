"""Lake files as tables: a DuckDB temporary view per ``table: {path: ...}`` entry.

Each connection the warehouse hands out gets, when it is checked out of the pool,
a ``CREATE OR REPLACE TEMP VIEW "<name>"`` over ``read_parquet``, ``read_csv`` or
``read_json`` (a Delta table: the ``deltalake`` package's pyarrow dataset of the
current version, registered under that name). From there on the table is a view
like any other: reflection, profile, buckets, suites and custom metrics query it
by name, and DuckDB pushes filters and projections into the file reader.

A view cannot take bound parameters, so the path and the options are written as
SQL string literals (quotes doubled, :func:`sql_string`); option names are checked
words (``monitor.config.sources``). A source that cannot be read (no file matches
the glob) is left out of the connection and its error kept, so that the other
tables of the warehouse still work and this one's ``ObjectNotFound`` says why.

>>> source = TableSource(path="/data/it's/*.parquet", hive_partitioning=True)
>>> reader_sql(source)
"read_parquet('/data/it''s/*.parquet', hive_partitioning=true)"
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from monitor.config.models import TableConfig
from monitor.config.sources import TableSource
from monitor.errors import ConfigError, MonitorError
from monitor.optional import MissingExtra
from monitor.timeutil import as_utc

if TYPE_CHECKING:
    from monitor.warehouse import SqlWarehouse, TableShape

_READERS = {"parquet": "read_parquet", "csv": "read_csv", "json": "read_json"}
_LOCK = threading.Lock()
#: Per engine: the sources its connections get, and why the ones that failed did.
_SOURCES: weakref.WeakKeyDictionary[sa.Engine, dict[str, TableSource]] = (
    weakref.WeakKeyDictionary())
_FAILED: weakref.WeakKeyDictionary[sa.Engine, dict[str, str]] = weakref.WeakKeyDictionary()


def sql_string(value: str) -> str:
    """``value`` as a SQL string literal.

    >>> sql_string("it's")
    "'it''s'"
    """
    return "'" + value.replace("'", "''") + "'"


def reader_sql(source: TableSource) -> str:
    """The DuckDB table function call that reads ``source`` (not for Delta)."""
    args = [sql_string(source.path)]
    if source.hive_partitioning:
        args.append("hive_partitioning=true")
    args += [f"{name}={sql_string(value)}" for name, value in sorted(source.options.items())]
    return f"{_READERS[source.format]}({', '.join(args)})"


def attach_sources(warehouse: SqlWarehouse, tables: Iterable[TableConfig]) -> None:
    """Give every connection of ``warehouse`` the views of its file tables.

    ConfigError (naming the table) for a file table on an engine other than DuckDB.
    """
    sources = {t.name: t.table for t in tables
               if t.warehouse == warehouse.name and isinstance(t.table, TableSource)}
    if not sources or warehouse.capabilities.register_source is not None:
        return  # none, or the engine registers them itself (``SqlWarehouse.describe_table``)
    if not warehouse.capabilities.reads_files:
        name = next(iter(sources))
        raise ConfigError(f"table {name!r}: 'table: {{path: ...}}' reads files through "
                          f"DuckDB or Spark; warehouse {warehouse.name!r} is "
                          f"{warehouse.capabilities.title or warehouse.capabilities.name} "
                          f"(use a 'duckdb:///:memory:' warehouse)")
    engine = warehouse.engine
    with _LOCK:
        known = _SOURCES.get(engine)
        if known is None:
            known = _SOURCES[engine] = {}
            _FAILED[engine] = {}
            sa.event.listen(engine, "checkout", _checkout(engine))
        known.update(sources)


def source_problem(engine: sa.Engine, name: str) -> str | None:
    """Why the file table ``name`` could not be read on ``engine``'s last connection."""
    with _LOCK:
        return _FAILED.get(engine, {}).get(name)


def _checkout(engine: sa.Engine) -> Any:
    ref = weakref.ref(engine)

    def on_checkout(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        owner = ref()
        if owner is None:
            return
        with _LOCK:
            sources = dict(_SOURCES.get(owner, {}))
        done: dict[str, TableSource] = record.info.setdefault("dq_sources", {})
        for name, source in sources.items():
            # A Delta table's version moves: it is registered again at each checkout.
            if done.get(name) == source and source.format != "delta":
                continue
            problem = _register(dbapi_conn, name, source)
            with _LOCK:
                failed = _FAILED.setdefault(owner, {})
                if problem is None:
                    failed.pop(name, None)
                    done[name] = source
                else:
                    failed[name] = problem
                    done.pop(name, None)

    return on_checkout


def _register(dbapi_conn: Any, name: str, source: TableSource) -> str | None:
    """Create the view on one DuckDB connection; the error's text when it fails."""
    import duckdb

    quoted = '"' + name.replace('"', '""') + '"'
    try:
        if source.format == "delta":
            dbapi_conn.register(name, delta_dataset(source))
        else:
            dbapi_conn.execute(f"CREATE OR REPLACE TEMP VIEW {quoted} AS "
                               f"SELECT * FROM {reader_sql(source)}")
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return f"cannot read {source.format} files at {source.path!r}: {first}"
    except MonitorError as error:  # deltalake is not installed
        return str(error)
    except Exception as error:  # noqa: BLE001  (deltalake's DeltaError is a bare Exception)
        first = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        return f"cannot read the Delta table at {source.path!r}: {first}"
    return None


def delta_dataset(source: TableSource) -> Any:
    """The current version of a Delta table as a pyarrow dataset (partitions prune)."""
    try:
        from deltalake import DeltaTable
    except ImportError as error:
        raise MissingExtra.for_module("deltalake", "reading Delta tables") from error
    options = dict(source.options)
    version = options.pop("version", None)
    table = DeltaTable(source.path, version=int(version) if version else None,
                       storage_options=options or None)
    return table.to_pyarrow_dataset()


#: Hive keys read as parts of the rows' time, coarsest first.
_TIME_KEYS = ("year", "month", "day", "hour")
_DATE_KEYS = ("date", "dt", "day")


def partition_filter(table: TableConfig, shape: TableShape,
                     start: dt.datetime | None) -> list[sa.ColumnElement[bool]]:
    """A predicate on the hive keys that keeps every row stamped at or after ``start``,
    so that DuckDB reads only the files of recent partitions (none: no predicate).

    The keys are the conventional ``year=/month=/day=/hour=`` integers, or one
    ``date=`` (``dt=``) date; they must follow the timestamp column. The bound is taken a
    day early, so partitions cut in a time zone up to a day off UTC lose no rows.
    """
    source = table.table
    if start is None or not isinstance(source, TableSource) or not source.hive_partitioning:
        return []
    kinds = {c.name: c.kind for c in shape.columns}
    at = as_utc(start) - dt.timedelta(days=1)
    for key in _DATE_KEYS:
        if kinds.get(key) == "date":
            return [shape.table.c[key] >= sa.bindparam(f"dq_part_{key}", at.date(), sa.Date())]
    keys = []
    for key in _TIME_KEYS:
        if kinds.get(key) != "integer":
            break
        keys.append(key)
    if not keys or keys[0] != "year":
        return []
    values = {"year": at.year, "month": at.month, "day": at.day, "hour": at.hour}
    # (year, month, ...) >= (Y, M, ...) spelled out: DuckDB prunes files on OR/AND of
    # comparisons of partition keys (not on arithmetic over them).
    last = keys[-1]
    condition: sa.ColumnElement[bool] = shape.table.c[last] >= values[last]
    for key in reversed(keys[:-1]):
        column = shape.table.c[key]
        condition = sa.or_(column > values[key], sa.and_(column == values[key], condition))
    return [condition]
