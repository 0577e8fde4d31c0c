"""The audit of write-audit-publish: gate a staged batch before it is published.

The verdict combines the file's schema drift, rows whose values do not fit
the target, the table's suites run on the staging table, rows whose key is
already in the target (``monitor.ingest.keys``), the batch's volume against
history and its freshness. Failed critical expectations that
judge single rows (nulls, ranges, sets, patterns, lengths) are *row-level*:
in publish-good mode their rows go to quarantine instead of blocking.

``monitor.ingest.batch.ingest_file`` stages the file and calls ``gate_batch``; its
result carries the verdict:

>>> from monitor.ingest.batch import ingest_file
>>> from monitor.demo.batches import sample_batches_for
>>> files = {b.path.name: b.path for b in sample_batches_for(
...     sample_folder / "sample.db", sample_folder / "gate-batches", now=now, hours=6)}
>>> result = ingest_file(files["orders_null_spike.csv"], "orders", context=ctx)
>>> result.gate.verdict, result.gate.reasons
('blocked', ['values_to_not_be_null(customer_id): 299 unexpected values (33.2%)'])
>>> result = ingest_file(files["orders_out_of_range.jsonl"], "orders", context=ctx,
...                      mode="publish_good")
>>> result.status, result.rows_published, result.rows_quarantined
('partially_published', 855, 45)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import sqlalchemy as sa

from monitor.config.models import TableConfig
from monitor.dialects import Capabilities
from monitor.gate.checks import GateCheck, freshness_check, suite_checks, volume_check
from monitor.gate.history import batch_volume, newest_timestamp
from monitor.gate.verdict import GateResult, decide
from monitor.ingest.keys import key_checks, target_keys
from monitor.ingest.publish import RowFailure
from monitor.ingest.schema import Prepared
from monitor.ingest.scope import candidate_view, split_suites
from monitor.run.context import MonitorContext
from monitor.validation.outcomes import ExpectationOutcome
from monitor.validation.pushdown_rules import supports, unexpected_condition
from monitor.validation.suite_runner import TableValidation, resolve_column, validate_table
from monitor.validation.suites import Suite
from monitor.warehouse import TableShape


@dataclass(frozen=True)
class Audit:
    """The gate's verdict on a staged batch and the row-level failures to quarantine."""

    result: GateResult
    failures: tuple[RowFailure, ...]
    validation: TableValidation
    rows_to_publish: int


def rows_check(prepared: Prepared) -> GateCheck:
    """Rows whose values do not fit the target's types or NOT NULL constraints."""
    errors = prepared.row_errors
    if not errors:
        return GateCheck("rows", True, "info", "every value fits the target's types")
    return GateCheck("rows", False, "critical",
                     f"{len(errors):,} row(s) do not fit the target (first: "
                     f"{prepared.reason(min(errors))})", row_level=True)


def row_failure(outcome: ExpectationOutcome, staging: TableShape, caps: Capabilities,
                pii: Collection[str]) -> RowFailure | None:
    """The quarantine condition of a failed critical row-level expectation, else None."""
    spec = outcome.expectation
    if outcome.success or spec.severity != "critical" or outcome.error or not spec.column:
        return None
    column = resolve_column(staging, spec.column)
    if column is None:
        return None
    resolved = replace(spec, kwargs={**spec.kwargs, "column": column})
    if not supports(resolved, staging.column(column).kind, caps):
        return None
    condition = unexpected_condition(resolved, staging.table.c[column], caps)
    if condition is None:
        return None
    return RowFailure(label=spec.label, column=column, condition=condition,
                      show_value=column not in pii, key=spec.key)


def gate_batch(ctx: MonitorContext, table: TableConfig, target: TableShape,
               staging: TableShape, prepared: Prepared, suites: Sequence[Suite], *,
               staged_rows: int, mode: str, at: dt.datetime, batch_id: str,
               run_id: str | None) -> Audit:
    """Judge the staged batch (see the module docstring)."""
    warehouse = ctx.warehouse_for(table)
    settings = ctx.config.validation
    batch_suites, table_suites = split_suites(suites)  # monitor/ingest/scope.py
    validation = validate_table(warehouse, table, batch_suites, shape=staging,
                                samples=settings.unexpected_samples, engine=settings.engine)
    table_outcomes: Sequence[ExpectationOutcome] = ()
    if table_suites:
        with candidate_view(warehouse, target, staging) as candidate:
            table_outcomes = validate_table(
                warehouse, table, table_suites, shape=candidate,
                samples=settings.unexpected_samples, engine=settings.engine).outcomes
    pii = table.pii_columns()
    keys, key_failures = key_checks(warehouse, target, staging,
                                    target_keys(warehouse, target, suites), pii=pii)
    failures = tuple(f for f in (row_failure(o, staging, warehouse.capabilities, pii)
                                 for o in validation.outcomes) if f is not None)
    failures += tuple(key_failures)
    row_level = {f.key for f in failures}
    quarantine_rows = mode == "publish_good"
    to_publish = staged_rows
    if quarantine_rows and failures:
        bad = sa.select(sa.func.count()).select_from(staging.table).where(
            sa.or_(*(f.condition for f in failures)))
        with warehouse.connect() as conn:
            to_publish -= int(warehouse.execute(conn, bad, what="rows to quarantine").scalar()
                              or 0)
    volume = batch_volume(to_publish if quarantine_rows else staged_rows + len(
        prepared.row_errors), warehouse, table, target, ctx.store,
        history_size=ctx.config.ingest.volume_history)
    ts = table.timestamp_column
    latest = (newest_timestamp(warehouse, staging, ts)
              if ts and any(c.name == ts for c in staging.columns) else None)
    checks = [*prepared.drift.checks(), rows_check(prepared),
              *suite_checks(validation.outcomes, row_level), *suite_checks(table_outcomes),
              *keys,
              volume_check(volume.rows, volume.history,
                           min_ratio=table.thresholds.min_batch_ratio, what=volume.what),
              freshness_check(latest, at, table.thresholds.freshness_sla, column=ts)]
    if quarantine_rows and to_publish <= 0:
        checks.append(GateCheck("publish", False, "critical",
                                "every row fails a row-level check: nothing to publish"))
    result = decide(table.name, checks, at=at, batch_id=batch_id, run_id=run_id,
                    quarantine_rows=quarantine_rows, validation=validation)
    return Audit(result=result, failures=failures, validation=validation,
                 rows_to_publish=to_publish)
