"""Volume and freshness from the engine's catalog: no scan of the table.

For very large tables between full profiles (``metadata: true`` adds these points to
each run; ``metadata: only`` makes them the whole run). One catalog query per run:

- PostgreSQL (``pg_stat``): ``pg_stat_user_tables.n_live_tup`` (else ``pg_class.reltuples``)
  as the row count; ``n_tup_ins + n_tup_upd + n_tup_del`` as a change counter. PostgreSQL
  keeps no modification time: the table counts as changed at a run whose counter moved
  since the previous run (so the age is accurate to the run interval).
- MariaDB/MySQL (``information_schema_tables``): ``TABLE_ROWS`` (InnoDB: an estimate) and
  ``UPDATE_TIME`` (lost when the server restarts).
- Snowflake (``information_schema_row_count``): ``ROW_COUNT`` and ``LAST_ALTERED``;
  BigQuery (``dataset_tables``): the dataset's ``__TABLES__`` ``row_count`` and
  ``last_modified_time``. Compiled in tests, never executed.

The values become points named as estimates (``row_count_estimate``,
``modified_age_estimate_seconds``) and are judged by the usual detectors (volume both
ways; the age against ``thresholds.freshness_sla``).

>>> sql = str(metadata_statement("dataset_tables", "orders", "sales"))
>>> " ".join(sql.split())  # doctest: +NORMALIZE_WHITESPACE
'SELECT sales."__TABLES__".row_count, div(sales."__TABLES__".last_modified_time, 1000)
 AS modified_epoch, NULL AS changes FROM sales."__TABLES__"
 WHERE sales."__TABLES__".table_id = :table_id_1'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from monitor.config.models import TableConfig
from monitor.errors import ConfigError, ObjectNotFound
from monitor.metrics.points import SNAPSHOT, MetricPoint
from monitor.timeutil import as_utc, to_naive_utc
from monitor.warehouse import SqlWarehouse

#: Points of a metadata read; the estimates are what detection watches.
ROW_COUNT = "row_count_estimate"
AGE = "modified_age_estimate_seconds"
LAST_MODIFIED = "last_modified"  # epoch seconds, the time as text
CHANGES = "changed_rows_total"  # PostgreSQL's counter since its statistics were reset
CHANGED = "changed_rows"  # the counter's step since the previous run


@dataclass(frozen=True)
class TableMetadata:
    """What the catalog says about a table (None: the engine does not keep it)."""

    row_count: float | None
    last_modified: dt.datetime | None = None
    changes_total: float | None = None


def _pg_stat(table: str, schema: str | None) -> sa.Select[tuple[object, ...]]:
    cls = sa.table("pg_class", sa.column("oid"), sa.column("relname"),
                   sa.column("relnamespace"), sa.column("reltuples"), schema="pg_catalog")
    ns = sa.table("pg_namespace", sa.column("oid"), sa.column("nspname"), schema="pg_catalog")
    stat = sa.table("pg_stat_user_tables", sa.column("relid"), sa.column("n_live_tup"),
                    sa.column("n_tup_ins"), sa.column("n_tup_upd"), sa.column("n_tup_del"),
                    schema="pg_catalog")
    where = sa.literal(schema) if schema else sa.func.current_schema()
    count = sa.func.coalesce(stat.c.n_live_tup, sa.func.greatest(cls.c.reltuples, 0))
    return (sa.select(count.label("row_count"), sa.null().label("modified_epoch"),
                      (stat.c.n_tup_ins + stat.c.n_tup_upd + stat.c.n_tup_del).label("changes"))
            .select_from(cls.join(ns, ns.c.oid == cls.c.relnamespace)
                         .outerjoin(stat, stat.c.relid == cls.c.oid))
            .where(cls.c.relname == table, ns.c.nspname == where))


def _information_schema(table: str, schema: str | None) -> sa.Select[tuple[object, ...]]:
    tables = sa.table("tables", sa.column("table_schema"), sa.column("table_name"),
                      sa.column("table_rows"), sa.column("update_time"),
                      schema="information_schema")
    where = sa.literal(schema) if schema else sa.func.database()
    # UNIX_TIMESTAMP reads UPDATE_TIME in the session's time zone: an instant, not a wall time.
    return (sa.select(tables.c.table_rows.label("row_count"),
                      sa.func.unix_timestamp(tables.c.update_time).label("modified_epoch"),
                      sa.null().label("changes"))
            .where(tables.c.table_schema == where, tables.c.table_name == table))


def _snowflake(table: str, schema: str | None) -> sa.Select[tuple[object, ...]]:
    tables = sa.table("tables", sa.column("table_schema"), sa.column("table_name"),
                      sa.column("row_count"), sa.column("last_altered"),
                      schema="information_schema")
    where = sa.literal(schema) if schema else sa.func.current_schema()
    epoch = sa.func.date_part(sa.literal_column("epoch_second"), tables.c.last_altered)
    return (sa.select(tables.c.row_count, epoch.label("modified_epoch"),
                      sa.null().label("changes"))
            .where(tables.c.table_schema == where, tables.c.table_name == table))


def _bigquery(table: str, schema: str | None) -> sa.Select[tuple[object, ...]]:
    if not schema:
        raise ConfigError(f"table {table!r}: metadata on BigQuery needs 'schema' (the dataset)")
    tables = sa.table("__TABLES__", sa.column("table_id"), sa.column("row_count"),
                      sa.column("last_modified_time"), schema=schema)
    # last_modified_time is in milliseconds since the epoch.
    return (sa.select(tables.c.row_count,
                      sa.func.div(tables.c.last_modified_time, sa.literal_column("1000"))
                      .label("modified_epoch"),
                      sa.null().label("changes"))
            .where(tables.c.table_id == table))


#: Query kinds (``Capabilities.table_metadata``) -> the statement for ``(table, schema)``.
STATEMENTS: dict[str, Callable[[str, str | None], sa.Select[tuple[object, ...]]]] = {
    "pg_stat": _pg_stat,
    "information_schema_tables": _information_schema,
    "information_schema_row_count": _snowflake,
    "dataset_tables": _bigquery,
}


def metadata_statement(kind: str, table: str, schema: str | None) -> sa.Select[tuple[object, ...]]:
    """The catalog query of a kind (values bound, identifiers quoted by SQLAlchemy)."""
    return STATEMENTS[kind](table, schema)


def catalog_names(dialect: Dialect, table: str, schema: str | None) -> tuple[str, str | None]:
    """The names as the catalog stores them: on an engine that folds unquoted names to
    upper case (Snowflake), SQLAlchemy's lower-case names are upper case in
    ``information_schema``; a name in mixed case, or needing quotes, stays as written.

    >>> from sqlalchemy.dialects import postgresql
    >>> catalog_names(postgresql.dialect(), "orders", "sales")
    ('orders', 'sales')
    """
    if not dialect.requires_name_normalize:
        return table, schema
    return str(dialect.denormalize_name(table)), (
        str(dialect.denormalize_name(schema)) if schema else None)


def read_metadata(warehouse: SqlWarehouse, table: TableConfig) -> TableMetadata:
    """One catalog query; ConfigError where the engine keeps no such metadata."""
    kind = warehouse.capabilities.table_metadata
    if kind is None or not isinstance(table.table, str):
        what = "files" if not isinstance(table.table, str) else (
            warehouse.capabilities.title or warehouse.capabilities.name)
        raise ConfigError(f"table {table.name!r}: 'metadata' reads the engine's catalog, "
                          f"which {what} do not keep (PostgreSQL, MariaDB/MySQL do)")
    name, schema = catalog_names(warehouse.engine.dialect, table.table, table.schema)
    statement = metadata_statement(kind, name, schema)
    with warehouse.connect() as conn:
        row = warehouse.execute(conn, statement,
                                what=f"metadata of {table.name!r} ({table.qualified})"
                                ).mappings().first()
    if row is None:
        raise ObjectNotFound(f"warehouse {warehouse.name!r}: table {table.qualified!r} is not "
                             f"in the catalog")
    epoch = row.get("modified_epoch")
    modified = (dt.datetime.fromtimestamp(float(epoch), dt.UTC) if epoch is not None
                else None)
    count = row["row_count"]
    changes = row.get("changes")
    return TableMetadata(row_count=float(count) if count is not None else None,
                         last_modified=modified,
                         changes_total=float(changes) if changes is not None else None)


def metadata_points(table: str, meta: TableMetadata, as_of: dt.datetime, *,
                    previous_changes: float | None = None,
                    previous_modified: dt.datetime | None = None) -> list[MetricPoint]:
    """The run's points; a change counter that moved since ``previous_changes`` dates
    the last change at ``as_of`` (else ``previous_modified`` stands; at the first run,
    without a previous counter, the age counts from ``as_of``).

    >>> at = dt.datetime(2026, 11, 2, 6, tzinfo=dt.UTC)
    >>> points = metadata_points("t", TableMetadata(1200.0, changes_total=50.0), at,
    ...                          previous_changes=40.0)
    >>> [(p.metric, p.value) for p in points]  # doctest: +NORMALIZE_WHITESPACE
    [('row_count_estimate', 1200.0), ('changed_rows_total', 50.0), ('changed_rows', 10.0),
     ('last_modified', 1793599200.0), ('modified_age_estimate_seconds', 0.0)]
    """
    ts = to_naive_utc(as_of)
    out = []
    if meta.row_count is not None:
        out.append(MetricPoint(table, "", ROW_COUNT, SNAPSHOT, ts, meta.row_count))
    modified = meta.last_modified
    if meta.changes_total is not None:
        out.append(MetricPoint(table, "", CHANGES, SNAPSHOT, ts, meta.changes_total))
        if previous_changes is not None:
            # A counter below the previous one was reset (pg_stat_reset): count it as moved.
            step = meta.changes_total - previous_changes
            moved = step != 0
            out.append(MetricPoint(table, "", CHANGED, SNAPSHOT, ts,
                                   step if step >= 0 else meta.changes_total))
            modified = as_utc(as_of) if moved else previous_modified
        if modified is None:
            # First sight: no change seen yet, so the age counts from this run (it can
            # only under-state the age, never raise a false alarm).
            modified = as_utc(as_of)
    if modified is not None:
        out.append(MetricPoint(table, "", LAST_MODIFIED, SNAPSHOT, ts, modified.timestamp(),
                               modified.isoformat()))
        out.append(MetricPoint(table, "", AGE, SNAPSHOT, ts,
                               max(0.0, (as_utc(as_of) - as_utc(modified)).total_seconds())))
    return out
