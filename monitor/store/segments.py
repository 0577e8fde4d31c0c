"""Segment series in the metric history: their stored volumes and points.

A segment's series are rows of ``dq_metrics`` under the table, with the segment
encoded in ``column_name`` (``monitor.metrics.segments.series_column``: a prefix no
column name has); no table of their own, so stores of any version hold them.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from monitor.metrics.segments import PREFIX, Label, parse_series_column
from monitor.store.schema import detections, metrics
from monitor.store.sql_store import SqlMetricStore
from monitor.timeutil import to_naive_utc


def is_segment(column: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """The condition selecting segment series (``~is_segment(...)``: the table's own)."""
    return column.startswith(PREFIX, autoescape=True)


def stored_volumes(store: SqlMetricStore, table: str, granularity: str,
                   names: tuple[str, ...], *, since: dt.datetime) -> dict[Label | None, float]:
    """Rows per stored segment of these parts since ``since`` (None: "other")."""
    m = metrics
    query = (sa.select(m.c.column_name, sa.func.sum(m.c.value))
             .where(m.c.table_name == table, m.c.metric == "row_count",
                    m.c.granularity == granularity, is_segment(m.c.column_name),
                    m.c.ts >= to_naive_utc(since))
             .group_by(m.c.column_name))
    out: dict[Label | None, float] = {}
    with store.connect() as conn:
        for key, rows in conn.execute(query):
            parsed = parse_series_column(key)
            if parsed is None or parsed[0] != names or parsed[2] != "":
                continue
            out[parsed[1]] = float(rows or 0.0)
    return out


def segment_frame(store: SqlMetricStore, table: str, *, since: dt.datetime | None = None
                  ) -> pd.DataFrame:
    """Every stored segment point of a table: segment, column, metric, granularity, ts,
    value (segment "other" for the rest)."""
    m = metrics
    query = sa.select(m.c.column_name, m.c.metric, m.c.granularity, m.c.ts, m.c.value).where(
        m.c.table_name == table, is_segment(m.c.column_name))
    if since is not None:
        query = query.where(m.c.ts >= to_naive_utc(since))
    records = []
    with store.connect() as conn:
        for key, metric, granularity, ts, value in conn.execute(query.order_by(m.c.ts)):
            parsed = parse_series_column(key)
            if parsed is None:
                continue
            names, label, column = parsed
            records.append({"parts": " / ".join(names), "label": label, "column": column,
                            "metric": metric, "granularity": granularity, "ts": ts,
                            "value": value})
    return pd.DataFrame.from_records(
        records, columns=["parts", "label", "column", "metric", "granularity", "ts", "value"])


def segment_detections(store: SqlMetricStore, table: str, *, since: dt.datetime | None = None
                       ) -> pd.DataFrame:
    """The anomalies judged on a table's segment series: label, column, metric, ts,
    value, expected, reason."""
    d = detections
    query = sa.select(d.c.column_name, d.c.metric, d.c.ts, d.c.value, d.c.expected,
                      d.c.reason).where(d.c.table_name == table, d.c.is_anomaly.is_(True),
                                        is_segment(d.c.column_name))
    if since is not None:
        query = query.where(d.c.ts >= to_naive_utc(since))
    records = []
    with store.connect() as conn:
        for key, metric, ts, value, expected, reason in conn.execute(query.order_by(d.c.ts)):
            parsed = parse_series_column(key)
            if parsed is not None:
                records.append({"label": parsed[1], "column": parsed[2], "metric": metric,
                                "ts": ts, "value": value, "expected": expected,
                                "reason": reason})
    return pd.DataFrame.from_records(
        records, columns=["label", "column", "metric", "ts", "value", "expected", "reason"])
