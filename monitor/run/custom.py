"""The custom SQL metrics of a run (``metrics:`` on a table), measured after the profile.

A bucketed table's metrics are measured for the complete buckets the run profiled:
SQL that selects ``bucket, value`` runs once over them all; SQL returning one number
runs once per bucket (newest first, at most ``MAX_BUCKET_QUERIES``). A table without
buckets gets one number per run, over the rows stamped before the as-of time.

Each metric's failure is a failing finding ``custom:<name>`` (kind ``run``) with the
error, and a problem of the run; the other metrics and the run go on. A metric that
works again resolves it.

>>> # collect_metrics calls ``collect_custom_metrics(ctx, state)`` after the profile.
"""

from __future__ import annotations

from monitor.config.custom_metrics import CustomMetric
from monitor.metrics.custom import CustomResult, run_custom_metric
from monitor.metrics.points import SNAPSHOT, MetricPoint
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding
from monitor.run.state import RunState
from monitor.timeutil import to_naive_utc
from monitor.warehouse import SqlWarehouse

#: One-number metrics of a bucketed table: buckets measured in one run, newest first (a
#: first run over a long history measures the newest ones; backfill the rest).
MAX_BUCKET_QUERIES = 100


def _measure(warehouse: SqlWarehouse, state: RunState, metric: CustomMetric) -> CustomResult:
    table = state.table
    if not table.bucket:
        return run_custom_metric(warehouse, table, metric, end=state.as_of)
    buckets = sorted(state.buckets, key=lambda b: b.start)
    if not buckets:
        return CustomResult(metric)
    newest = buckets[-1]
    first = run_custom_metric(warehouse, table, metric, start=newest.start, end=newest.end,
                              granularity=table.bucket)
    if first.error:
        return first
    if first.per_bucket:
        if len(buckets) == 1:
            return first
        every = run_custom_metric(warehouse, table, metric, start=buckets[0].start,
                                  end=newest.end, granularity=table.bucket)
        starts = {b.start for b in buckets}
        return CustomResult(metric, [(at, v) for at, v in every.values if at in starts],
                            every.error, per_bucket=True)
    values = [(newest.start, first.values[0][1])]
    for bucket in reversed(buckets[-MAX_BUCKET_QUERIES:-1]):
        one = run_custom_metric(warehouse, table, metric, start=bucket.start, end=bucket.end,
                                granularity=table.bucket)
        if one.error:
            return CustomResult(metric, values, one.error)
        values.append((bucket.start, one.values[0][1]))
    return CustomResult(metric, sorted(values, key=lambda item: item[0]))


def collect_custom_metrics(ctx: MonitorContext, state: RunState) -> None:
    """Measure the table's custom metrics and queue their points and findings."""
    table = state.table
    if not table.metrics:
        return
    warehouse = ctx.warehouse_for(table)
    at = to_naive_utc(state.as_of)
    granularity = table.bucket or SNAPSHOT
    for metric in table.metrics:
        result = _measure(warehouse, state, metric)
        state.points += [MetricPoint(table.name, "", metric.metric, granularity,
                                     to_naive_utc(when) if when else at, value)
                         for when, value in result.values]
        if result.error:
            state.problems.append(result.error)
        reason = result.error or (f"custom metric {metric.name!r} measured "
                                  f"({len(result.values)} value"
                                  f"{'s' if len(result.values) != 1 else ''})")
        state.found.append(Finding(table=table.name, check=f"custom:{metric.name}",
                                   kind="run", severity="warning" if result.error else "info",
                                   failing=result.error is not None, at=at, reason=reason,
                                   metric=metric.metric))
