"""The metadata part of the profiling step: the catalog's row count and change time.

``metadata: true`` on a table adds these points to every run (one catalog query);
``metadata: only`` makes them the run: no scan, no suites, no schema check, and the
estimates are judged like any series (``monitor.detection.watch``).

>>> # collect_metrics calls ``collect_metadata(ctx, state)`` first for such a table.
"""

from __future__ import annotations

import datetime as dt

from monitor.errors import StoreUnavailable
from monitor.metrics.metadata import (
    CHANGES,
    LAST_MODIFIED,
    ROW_COUNT,
    metadata_points,
    read_metadata,
)
from monitor.metrics.points import SNAPSHOT
from monitor.run.context import MonitorContext
from monitor.run.state import RunState
from monitor.timeutil import as_utc

#: How far back the previous run's counter is looked for: older, the counting restarts.
PREVIOUS_WITHIN = dt.timedelta(days=31)


def _previous(ctx: MonitorContext, state: RunState, metric: str) -> float | None:
    """The newest stored value of ``metric`` before this run (None: none, or no store)."""
    as_of = as_utc(state.as_of)
    try:
        points = ctx.store.points(state.table.name, metric=metric, granularity=SNAPSHOT,
                                  since=as_of - PREVIOUS_WITHIN, until=as_of)
    except StoreUnavailable:
        return None
    earlier = [p for p in points if as_utc(p.ts) < as_of and p.value is not None]
    return earlier[-1].value if earlier else None


def collect_metadata(ctx: MonitorContext, state: RunState) -> None:
    """Read the table's catalog entry and queue its points (the row count estimate of a
    metadata-only run is the run's row count)."""
    table = state.table
    meta = read_metadata(ctx.warehouse_for(table), table)
    changes = _previous(ctx, state, CHANGES) if meta.changes_total is not None else None
    modified = _previous(ctx, state, LAST_MODIFIED) if changes is not None else None
    state.points += metadata_points(
        table.name, meta, state.as_of, previous_changes=changes,
        previous_modified=dt.datetime.fromtimestamp(modified, dt.UTC) if modified else None)
    if table.metadata == "only":
        estimate = next((p.value for p in state.points if p.metric == ROW_COUNT), None)
        state.row_count = int(estimate) if estimate is not None else None
