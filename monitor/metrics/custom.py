"""Custom SQL metrics: the user's SELECT, run read-only under the warehouse's timeout.

``{bucket_filter}`` becomes ``<timestamp column> >= :dq_start AND <timestamp column> <
:dq_end`` (the column quoted by the dialect, in the form ``Capabilities.timestamp``
compares; both times bound parameters). The SQL returns one number, or one row per
bucket when it selects ``bucket`` and ``value`` (bucket: a time in the bucket).

A failure is a value (``CustomResult.error``) naming the table and the metric: SQL
that fails, returns no row, NULL, or something that is not a number.

>>> from monitor.config.custom_metrics import CustomMetric
>>> from monitor.dialects import capabilities_for
>>> import datetime as dt, sqlalchemy as sa
>>> metric = CustomMetric(name="n", sql="select count(*) from t where {bucket_filter}")
>>> statement = custom_statement(metric, sa.create_engine("sqlite://").dialect,
...     capabilities_for("sqlite"), "ts", dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 2))
>>> str(statement)
"select count(*) from t where (strftime('%Y-%m-%d %H:%M:%f', ts) >= :dq_start AND \
strftime('%Y-%m-%d %H:%M:%f', ts) < :dq_end)"
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from monitor.config.custom_metrics import PLACEHOLDER, PREFIX, CustomMetric
from monitor.config.models import TableConfig
from monitor.dialects import Capabilities
from monitor.errors import MonitorError
from monitor.metrics.definitions import parse_db_time
from monitor.timeutil import Granularity, as_utc, floor_time
from monitor.warehouse import SqlWarehouse


@dataclass(frozen=True)
class CustomResult:
    """The values of one custom metric: ``(bucket start or None, value)`` pairs, or why
    there are none."""

    metric: CustomMetric
    values: list[tuple[dt.datetime | None, float]] = field(default_factory=list)
    error: str | None = None
    per_bucket: bool = False


def custom_statement(metric: CustomMetric, dialect: sa.Dialect, caps: Capabilities,
                     timestamp_column: str | None, start: dt.datetime | None,
                     end: dt.datetime | None) -> sa.TextClause:
    """The metric's SQL with ``{bucket_filter}`` expanded to a bound-parameter predicate."""
    sql = metric.sql.strip().rstrip(";")
    if not metric.uses_bucket_filter:
        return sa.text(sql)
    assert timestamp_column  # the config requires it with the placeholder
    column = caps.timestamp(sa.column(timestamp_column))
    # Identifiers and our own format constants only: the times are bound below.
    side = str(column.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    parts, params = [], []
    if start is not None:
        parts.append(f"{side} >= :dq_start")
        params.append(_bound("dq_start", caps.bind_timestamp(start)))
    if end is not None:
        parts.append(f"{side} < :dq_end")
        params.append(_bound("dq_end", caps.bind_timestamp(end)))
    predicate = " AND ".join(parts) or "1 = 1"
    # Parenthesised: ``where refunded or {bucket_filter}`` keeps its meaning.
    return sa.text(sql.replace(PLACEHOLDER, f"({predicate})")).bindparams(*params)


def _bound(name: str, literal: sa.ColumnElement[Any]) -> sa.BindParameter[Any]:
    assert isinstance(literal, sa.BindParameter)
    return sa.bindparam(name, literal.value, type_=literal.type)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def run_custom_metric(warehouse: SqlWarehouse, table: TableConfig, metric: CustomMetric, *,
                      start: dt.datetime | None = None, end: dt.datetime | None = None,
                      granularity: Granularity | None = None) -> CustomResult:
    """Run one metric's SQL read-only over ``[start, end)``; failures come back as values."""
    what = f"custom metric {metric.name!r} of table {table.name!r}"
    caps = warehouse.capabilities
    statement = custom_statement(metric, warehouse.engine.dialect, caps,
                                 table.timestamp_column, start, end)
    try:
        with warehouse.connect() as conn:
            try:
                for setting in caps.read_only_begin:
                    conn.exec_driver_sql(setting)
                result = warehouse.execute(conn, statement, what=f"{what}: the SQL failed")
                columns = [str(c).lower() for c in list(result.keys())]
                rows = result.all()
            finally:
                conn.rollback()  # whatever the SQL did, it is not kept
                for setting in caps.read_only_end:
                    conn.exec_driver_sql(setting)
    except MonitorError as error:  # named by ``what`` already
        return CustomResult(metric, error=str(error))
    except sa.exc.SQLAlchemyError as error:  # a read-only setting refused
        return CustomResult(metric, error=f"{what}: {error}".splitlines()[0])
    return _read(metric, what, columns, rows, granularity)


def _read(metric: CustomMetric, what: str, columns: list[str], rows: list[Any],
          granularity: Granularity | None) -> CustomResult:
    if set(columns) >= {"bucket", "value"}:
        if granularity is None:
            return CustomResult(metric, error=f"{what}: the SQL returns buckets, but the "
                                              f"table has no 'bucket'")
        values: dict[dt.datetime, float] = {}
        at_bucket, at_value = columns.index("bucket"), columns.index("value")
        for row in rows:
            stamp, number = parse_db_time(row[at_bucket]), _number(row[at_value])
            if stamp is None:
                return CustomResult(metric, error=f"{what}: bucket {row[at_bucket]!r} is "
                                                  f"not a time")
            if number is None and row[at_value] is not None:
                return CustomResult(metric, error=f"{what}: value {row[at_value]!r} of "
                                                  f"bucket {row[at_bucket]} is not a number")
            if number is not None:
                values[floor_time(as_utc(stamp), granularity)] = number
        return CustomResult(metric, sorted(values.items()), per_bucket=True)
    if len(columns) != 1:
        return CustomResult(metric, error=f"{what}: the SQL must return one column (or "
                                          f"'bucket' and 'value'), got {', '.join(columns)}")
    if not rows:
        return CustomResult(metric, error=f"{what}: the SQL returned no row")
    if len(rows) > 1:
        return CustomResult(metric, error=f"{what}: the SQL returned {len(rows)} rows, "
                                          f"expected one")
    number = _number(rows[0][0])
    if number is None:
        shown = "NULL" if rows[0][0] is None else repr(rows[0][0])
        return CustomResult(metric, error=f"{what}: the SQL returned {shown}, not a number")
    return CustomResult(metric, [(None, number)])


def metric_label(metric: str) -> str:
    """How charts name a stored metric: custom ones by their own name.

    >>> metric_label("custom_refund_share"), metric_label("row_count")
    ('refund_share (custom SQL)', 'row_count')
    """
    return f"{metric.removeprefix(PREFIX)} (custom SQL)" if metric.startswith(PREFIX) else metric
