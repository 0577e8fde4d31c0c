"""One reconciliation as a run of the monitor: compared, stored, and judged for incidents.

``reconcile_now`` compares the entry's two tables (``compare`` per bucket, ``bisect``
per key range), then, in one transaction, records a ``reconcile`` run in ``dq_runs``,
its figures as snapshot points of the metric history (table name: the entry's name;
``reconcile_missing_keys``, ``reconcile_rows_moved``, ...) and its finding
(check ``reconcile:NAME``), which opens an incident on a mismatch and resolves it
after passing runs, as every other check does.

>>> result = reconcile_now(ctx, "orders_mart")  # doctest: +SKIP
>>> result.matched, result.keys.rows_moved  # doctest: +SKIP
(False, 37)
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy.engine import Connection

from monitor.alerts.incidents import AlertPolicy
from monitor.config.models import ReconcileConfig
from monitor.reconcile.bisect import diff_keys
from monitor.reconcile.compare import compare_buckets
from monitor.reconcile.plan import side_plan
from monitor.reconcile.result import ReconcileResult
from monitor.run.context import MonitorContext
from monitor.run.record import recorded_run
from monitor.store import run_key
from monitor.timeutil import as_utc

RUN_KIND = "reconcile"


def reconcile(ctx: MonitorContext, entry: ReconcileConfig, *,
              at: dt.datetime | None = None) -> ReconcileResult:
    """Compare the entry's source and target now; nothing is stored."""
    started = time.perf_counter()
    stamp = as_utc(at or ctx.now()).replace(microsecond=0)
    source = side_plan("source", entry.source, entry, ctx.warehouse(entry.source.warehouse))
    target = side_plan("target", entry.target, entry, ctx.warehouse(entry.target.warehouse))
    buckets = tuple(compare_buckets(source, target))
    keys = diff_keys(source, target) if entry.key else None
    return ReconcileResult(entry.name, stamp, buckets, keys,
                           seconds=time.perf_counter() - started)


def write_result(conn: Connection, ctx: MonitorContext, result: ReconcileResult,
                 run_id: str) -> None:
    """The result's points and its finding's incident change, in the caller's transaction."""
    from monitor.run.alert import record_alerts

    ctx.store.replace_points(conn, run_id, result.points())
    record_alerts(conn, ctx.config, result.name, [result.finding()], run_id=run_id,
                  now=result.at, policy=AlertPolicy.from_config(ctx.config.alerts))


def reconcile_now(ctx: MonitorContext, name: str, *, record: bool = True,
                  as_of: dt.datetime | None = None, deliver: bool = True) -> ReconcileResult:
    """Reconcile the entry ``name`` and (``record``) store it as a ``reconcile`` run.

    A ``MonitorError`` (bad config, a warehouse down) marks the run failed and goes up.
    """
    entry = ctx.config.reconciliation(name)
    stamp = as_utc(as_of or ctx.now()).replace(microsecond=0)
    run_id = run_key(name, stamp, RUN_KIND) if record else None
    with recorded_run(lambda: ctx.store, run_id, name, kind=RUN_KIND, as_of=stamp) as run:
        result = reconcile(ctx, entry, at=stamp)
        assert run_id is not None or not record
        run.commit(lambda conn: write_result(conn, ctx, result, run_id or ""),
                   row_count=sum(b.source_rows for b in result.buckets))
    if record and deliver:
        from monitor.run.alert import _deliver

        _deliver(ctx)
    return result
