"""Distributions of a table's ``distribution_columns``: quantiles and top-value shares.

Numeric columns get the quantiles ``p1, p5, p25, p50, p75, p95, p99`` (linear
interpolation, as ``np.quantile`` and ``percentile_cont``). Where the engine has a
quantile aggregate (``Capabilities.quantiles``: DuckDB's ``quantile_cont``,
PostgreSQL's ``percentile_cont ... WITHIN GROUP``) they are states of the profile's one
plan (``quantile_metrics``). Elsewhere (SQLite, MariaDB) one ranked statement per
column reads only the rows at the needed ranks (``row_number() OVER``), at most 14 per
bucket, and interpolates them here: exact, at the cost of one sort of the column.

Other columns get the share of rows of each of their ``TOP_K`` most frequent values
per bucket (``share:<value>`` metrics): one grouped statement per column that returns
only the top ``TOP_K`` values of each bucket.

>>> share_metric("failed")
'share:failed'
>>> interpolate({1: 10.0, 2: 20.0}, 2, 50)
15.0
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from monitor.config.models import TableConfig
from monitor.dialects import Capabilities, Granularity
from monitor.metrics.definitions import Metric, parse_db_time
from monitor.metrics.states import QUANTILES
from monitor.warehouse import SqlWarehouse, TableShape

NUMERIC = ("integer", "float", "decimal")
#: Values whose share of rows is kept per bucket, most frequent first.
TOP_K = 10
SHARE_PREFIX = "share:"
_MAX_METRIC = 64  # the store's metric name length
#: Quantiles as whole percentages, so ranks are computed in integers on every engine.
_PERCENT = {name: round(fraction * 100) for name, fraction in QUANTILES.items()}


def share_metric(value: Any) -> str:
    """The metric name of a value's share; long values are cut and given a hash."""
    text = str(value)
    name = SHARE_PREFIX + text
    if len(name) <= _MAX_METRIC:
        return name
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return name[:_MAX_METRIC - 13] + "~" + digest


def numeric_columns(table: TableConfig, kinds: Mapping[str, str]) -> list[str]:
    """The distribution columns that get quantiles."""
    return [c for c in table.distribution_columns if kinds.get(c) in NUMERIC]


def category_columns(table: TableConfig, kinds: Mapping[str, str]) -> list[str]:
    """The distribution columns that get top-value shares."""
    return [c for c in table.distribution_columns
            if c in kinds and kinds[c] not in NUMERIC and kinds[c] != "other"]


def quantile_metrics(table: TableConfig, kinds: Mapping[str, str],
                     caps: Capabilities) -> list[Metric]:
    """Quantile metrics that ride in the profile's plan (engines with the aggregate)."""
    if not caps.quantiles_in_plan:
        return []
    return [Metric(name, column, kinds[column]) for column in numeric_columns(table, kinds)
            for name in QUANTILES]


def interpolate(ranked: Mapping[int, float], n: int, percent: int) -> float:
    """The quantile at ``percent`` of ``n`` sorted values, from the values at the 1-based
    ranks it needs (linear interpolation between the two around (n-1)*p)."""
    lower, remainder = divmod((n - 1) * percent, 100)
    low = ranked[lower + 1]
    high = ranked.get(lower + 2, low)
    return low + (high - low) * remainder / 100


def _ranked_quantiles(warehouse: SqlWarehouse, shape: TableShape, column: str, kind: str,
                      where: ColumnElement[bool] | None, bucket: ColumnElement[Any] | None
                      ) -> dict[Any, dict[str, float]]:
    """Exact quantiles of one column per bucket (key None without buckets), reading only
    the rows at the ranks they need."""
    caps = warehouse.capabilities
    col = shape.table.c[column]
    value = sa.cast(col, sa.Double)
    present = col.is_not(None)
    if kind == "float":
        present = sa.and_(present, caps.finite(col))
    group = bucket if bucket is not None else sa.literal_column("1")
    part = bucket if bucket is not None else None
    inner = sa.select(
        group.label("b"), value.label("v"),
        sa.func.row_number().over(partition_by=part, order_by=value).label("rn"),
        sa.func.count().over(partition_by=part).label("n"),
    ).select_from(shape.table).where(present)
    if where is not None:
        inner = inner.where(where)
    ranks = inner.subquery("_dq_ranked")
    lower = ranks.c.n - 1
    wanted = []
    for percent in sorted(set(_PERCENT.values())):
        position = (lower * percent) // 100  # 0-based rank below the quantile
        wanted += [ranks.c.rn == position + 1, ranks.c.rn == position + 2]
    query = sa.select(ranks.c.b, ranks.c.rn, ranks.c.n, ranks.c.v).where(sa.or_(*wanted))
    with warehouse.connect() as conn:
        rows = warehouse.execute(conn, query, what=f"quantiles of {column!r} in "
                                                   f"{shape.qualified}").all()
    found: dict[Any, tuple[int, dict[int, float]]] = {}
    for b, rn, n, v in rows:
        key = None if bucket is None else parse_db_time(b)
        found.setdefault(key, (int(n), {}))[1][int(rn)] = float(v)
    return {key: {name: interpolate(ranked, n, percent) for name, percent in _PERCENT.items()}
            for key, (n, ranked) in found.items()}


def _top_values(warehouse: SqlWarehouse, shape: TableShape, column: str,
                where: ColumnElement[bool] | None, bucket: ColumnElement[Any] | None
                ) -> dict[Any, list[tuple[Any, int]]]:
    """The ``TOP_K`` most frequent non-null values of a column per bucket, with counts."""
    col = shape.table.c[column]
    group = bucket if bucket is not None else sa.literal_column("1")
    counts = sa.select(group.label("b"), col.label("v"), sa.func.count().label("c")
                       ).select_from(shape.table).where(col.is_not(None))
    if where is not None:
        counts = counts.where(where)
    counted = counts.group_by(sa.literal_column("1"), sa.literal_column("2")).subquery("_dq_c")
    ranked = sa.select(counted.c.b, counted.c.v, counted.c.c, sa.func.row_number().over(
        partition_by=counted.c.b, order_by=(counted.c.c.desc(), counted.c.v)).label("rn")
    ).subquery("_dq_top")
    query = sa.select(ranked.c.b, ranked.c.v, ranked.c.c).where(ranked.c.rn <= TOP_K)
    with warehouse.connect() as conn:
        rows = warehouse.execute(conn, query, what=f"top values of {column!r} in "
                                                   f"{shape.qualified}").all()
    out: dict[Any, list[tuple[Any, int]]] = {}
    for b, v, c in rows:
        out.setdefault(None if bucket is None else parse_db_time(b), []).append((v, int(c)))
    return out


def add_distributions(warehouse: SqlWarehouse, table: TableConfig, shape: TableShape,
                      kinds: Mapping[str, str], targets: Mapping[Any, tuple[int,
                          MutableMapping[str, dict[str, Any]]]], *,
                      where: ColumnElement[bool] | None = None,
                      bucket: tuple[str, Granularity] | None = None) -> None:
    """Add quantiles (where the plan could not compute them) and top-value shares of the
    distribution columns to ``targets``: bucket start (None: the table) -> (rows, the
    per-column metric dicts to fill)."""
    caps = warehouse.capabilities
    if not table.distribution_columns or not targets:
        return
    group = caps.bucket(shape.table.c[bucket[0]], bucket[1]) if bucket else None
    if not caps.quantiles_in_plan:
        for column in numeric_columns(table, kinds):
            for key, values in _ranked_quantiles(warehouse, shape, column, kinds[column],
                                                 where, group).items():
                if key in targets:
                    targets[key][1].setdefault(column, {}).update(values)
    for column in category_columns(table, kinds):
        for key, top in _top_values(warehouse, shape, column, where, group).items():
            if key not in targets or not targets[key][0]:
                continue
            rows, columns = targets[key]
            columns.setdefault(column, {}).update(
                {share_metric(v): c / rows for v, c in top})


def share_values(metrics: Mapping[str, float | None]) -> dict[str, float]:
    """The ``share:<value>`` metrics of one point, by value (as the name spells it)."""
    return {name[len(SHARE_PREFIX):]: float(v) for name, v in metrics.items()
            if name.startswith(SHARE_PREFIX) and v is not None}


def quantile_values(metrics: Mapping[str, float | None]) -> dict[str, float]:
    """The quantile metrics of one point that have a value."""
    return {name: float(metrics[name]) for name in QUANTILES
            if metrics.get(name) is not None}

