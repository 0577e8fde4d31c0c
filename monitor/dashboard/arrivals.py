"""Rows that arrived per day, for every table at once: the overview's sparkline.

A cumulative row count hides a partial load (980 + 412 still goes up); rows
per day shows it as a dip. A bucketed table has them stored (``row_count``
per ``day`` or ``hour`` bucket, hours summed per day); for any other table they
are the differences of its daily snapshot row counts. Two queries, however
many tables.

>>> import datetime as dt
>>> import pandas as pd
>>> days = pd.to_datetime(["2026-01-01 06:00", "2026-01-02 06:00", "2026-01-03 06:00"])
>>> snapshots = pd.DataFrame({"table_name": ["t"] * 3, "ts": days,
...                           "value": [1000.0, 1980.0, 2392.0]})
>>> per_day(pd.DataFrame(columns=["table_name", "ts", "value"]), snapshots)["value"].tolist()
[980.0, 412.0]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from monitor.store import SqlMetricStore
from monitor.store.dashboard import row_count_trends
from monitor.store.dashboard_reads import bucket_counts

COLUMNS = ["table_name", "ts", "value"]


def per_day(buckets: pd.DataFrame, snapshots: pd.DataFrame) -> pd.DataFrame:
    """Rows per day and table: the buckets' sums where a table has buckets, else the
    day-to-day growth of its snapshot row count."""
    parts = []
    bucketed: set[str] = set()
    if not buckets.empty:
        daily = (buckets.assign(ts=pd.to_datetime(buckets["ts"]).dt.floor("D"))
                 .groupby(["table_name", "ts"], as_index=False)["value"].sum())
        bucketed = set(daily["table_name"])
        parts.append(daily)
    if not snapshots.empty:
        rest = snapshots[~snapshots["table_name"].isin(bucketed)].sort_values(
            ["table_name", "ts"])
        grown = rest.assign(value=rest.groupby("table_name")["value"].diff())
        parts.append(grown.dropna(subset=["value"])[COLUMNS])
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    out["value"] = out["value"].astype(float)
    return out.sort_values(["table_name", "ts"]).reset_index(drop=True)


def rows_per_day(store: SqlMetricStore, since: dt.datetime,
                 tables: Sequence[str] | None = None) -> pd.DataFrame:
    """``per_day`` from the store: ``table_name``, ``ts``, ``value`` (rows that day)."""
    snapshots = row_count_trends(store, since - dt.timedelta(days=1), tables)
    return per_day(bucket_counts(store, since, tables), snapshots)
