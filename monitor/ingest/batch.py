"""``dq-monitor ingest FILE --into TABLE``: write-audit-publish one batch file.

read (strictly) -> compare with the target (drift blocks before loading if a
column is retyped) -> load a staging table -> gate it -> publish in one
transaction (or hold back) -> record the lineage. Modes:

- ``all_or_nothing`` (default): any blocking check blocks the whole batch;
- ``publish_good``: rows failing row-level checks go to ``<table>__quarantine``
  and the others are published, unless a batch-level check blocks.

Failing rows land in the quarantine in both modes, with their reasons. A
batch is identified by its table and content hash: ingesting the same
content again after it was published changes nothing.

>>> from monitor.demo.batches import sample_batches_for
>>> files = {b.path.name: b.path for b in
...          sample_batches_for(sample_folder / "sample.db", sample_folder / "batches",
...                                     now=now, hours=6)}
>>> result = ingest_file(files["orders_good.csv"], "orders", context=ctx)
>>> result.status, result.rows_published, result.rows_quarantined
('published', 900, 0)
>>> ingest_file(files["orders_good.csv"], "orders", context=ctx).status  # the same content again
'duplicate'
>>> result = ingest_file(files["orders_null_spike.csv"], "orders", context=ctx)
>>> result.status, result.rows_published, result.rows_quarantined
('blocked', 0, 299)
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from monitor.config.models import MonitorConfig, TableConfig
from monitor.config.secrets import redact
from monitor.errors import ExitCode, InputError
from monitor.gate.verdict import GateResult, decide, open_context, write_error, write_result
from monitor.ingest.files import BatchFile, read_batch_file
from monitor.ingest.gate import gate_batch
from monitor.ingest.publish import (
    ROW,
    Checkpoint,
    create_staging,
    drop_staging,
    ledger_entry,
    load_staging,
    publish,
    staging_name,
)
from monitor.ingest.schema import Drift, Prepared, prepare_batch
from monitor.lineage.datasets import describe_batch
from monitor.metrics.profile import describe_table
from monitor.retry import RetryPolicy, call_with_retry
from monitor.run.context import MonitorContext
from monitor.run.record import RunEntry, recorded_run
from monitor.store import run_key
from monitor.store.batches import BatchRecord, find_batch, record_batch
from monitor.timeutil import as_utc, to_naive_utc
from monitor.validation.outcomes import jsonable
from monitor.validation.suites import load_suites

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from monitor.warehouse import TableShape

log = logging.getLogger(__name__)

Mode = Literal["all_or_nothing", "publish_good"]
MODES: tuple[Mode, ...] = ("all_or_nothing", "publish_good")


@dataclass(frozen=True)
class IngestResult:
    """What happened to one batch file."""

    table: str
    batch_id: str
    source: str
    content_hash: str
    mode: str
    status: str  # published | partially_published | blocked | duplicate
    rows_in: int
    rows_published: int = 0
    rows_quarantined: int = 0
    gate: GateResult | None = None
    drift: Drift | None = None
    duration_seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 published (or already published), 1 blocked (docs/exit-codes.md)."""
        return ExitCode.FINDINGS if self.status == "blocked" else ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "batch_id": self.batch_id, "source": self.source,
                "content_hash": self.content_hash, "mode": self.mode, "status": self.status,
                "rows_in": self.rows_in, "rows_published": self.rows_published,
                "rows_quarantined": self.rows_quarantined,
                "duration_seconds": round(self.duration_seconds, 3),
                "gate": self.gate.to_dict() if self.gate else None}


def batch_id_for(table: str, content_hash: str) -> str:
    """The batch's id: the same content for the same table is the same batch."""
    return hashlib.sha256(f"{table}:{content_hash}".encode()).hexdigest()[:32]


def _rejected_rows(batch: BatchFile, prepared: Prepared) -> list[dict[str, Any]]:
    """Rows that never reach staging, as quarantine rows (converted values kept)."""
    out = []
    records = batch.frame.to_dict("records")
    for row in sorted(prepared.row_errors):
        values = {name: prepared.frame[name].iloc[row] for name in prepared.frame.columns}
        out.append({**values, ROW: row + 1, "dq_reason": prepared.reason(row),
                    "dq_raw": _raw(records[row])})
    return out


def _raw(record: dict[str, Any]) -> str:
    """The row as JSON; decimals as their exact text (JSON floats would round them)."""
    exact = {k: str(v) if isinstance(v, Decimal) else v for k, v in record.items()}
    return json.dumps(jsonable(exact), ensure_ascii=False)


class _Ingestion:
    """One ingestion of one file: the steps share these values."""

    def __init__(self, ctx: MonitorContext, table: TableConfig, batch: BatchFile, mode: Mode,
                 suites: list[str] | None, checkpoint: Checkpoint | None) -> None:
        self.ctx, self.table, self.batch, self.mode = ctx, table, batch, mode
        self.suites, self.checkpoint = suites, checkpoint
        self.batch_id = batch_id_for(table.name, batch.content_hash)
        self.at = as_utc(ctx.now()).replace(microsecond=0)
        self.started = time.perf_counter()
        self.run_id = run_key(table.name, self.at, f"ingest:{self.batch_id[:12]}")
        self.warehouse = ctx.warehouse_for(table)
        self.target: TableShape | None = None

    def result(self, status: str, **kw: Any) -> IngestResult:
        return IngestResult(table=self.table.name, batch_id=self.batch_id,
                            source=str(self.batch.path), content_hash=self.batch.content_hash,
                            mode=self.mode, status=status, rows_in=self.batch.rows,
                            duration_seconds=time.perf_counter() - self.started, **kw)

    def recorded(self, *, published: bool = False) -> AbstractContextManager[RunEntry]:
        """This ingestion's run; a failure leaves the batch ``failed`` and an error verdict
        (unless the batch is ``published`` already and the run only catches up on it)."""
        def failed(conn: Connection, error: BaseException) -> None:
            self.write_batch(conn, "failed", gate=None, error=redact(str(error)))
            write_error(conn, self.table.name, error, at=self.at, batch_id=self.batch_id)

        return recorded_run(self.ctx.store, self.run_id, self.table.name, kind="ingest",
                            as_of=self.at, on_failure=None if published else failed,
                            lineage=self.ctx.lineage_run(self.table, "ingest", nominal=self.at,
                                                         source=self.batch.path))

    def write_batch(self, conn: Connection, status: str, *, gate: GateResult | None,
                    published: int = 0, quarantined: int = 0,
                    error: str | None = None) -> None:
        """The batch's lineage (and the gate's verdict and results), in the caller's commit."""
        if gate is not None:
            write_result(conn, gate)
        record_batch(conn, BatchRecord(
            batch_id=self.batch_id, table=self.table.name, source_file=str(self.batch.path),
            content_hash=self.batch.content_hash, mode=self.mode, status=status,
            started_at=self.at, rows_in=self.batch.rows, rows_published=published,
            rows_quarantined=quarantined, verdict_id=gate.verdict_id if gate else None,
            error=error, finished_at=to_naive_utc(as_utc(self.ctx.now()))))

    def record(self, run: RunEntry, status: str, *, gate: GateResult | None,
               published: int = 0, quarantined: int = 0) -> None:
        """Lineage, verdict, expectation results and the run, in one store commit."""
        if run.lineage is not None:
            run.lineage.update(lambda lineage: describe_batch(
                lineage.inputs[0], lineage.outputs[0], self.batch.frame, gate,
                published=published, target_shape=self.target))
        run.commit(lambda conn: self.write_batch(conn, status, gate=gate, published=published,
                                                 quarantined=quarantined),
                   row_count=published)

    def already_published(self) -> IngestResult | None:
        """A duplicate per the store or the warehouse ledger (the ledger wins)."""
        known = find_batch(self.ctx.store, self.table.name, self.batch.content_hash)
        if known is not None and known.published:
            return self.result("duplicate", rows_published=0)
        entry = ledger_entry(self.warehouse, self.table.schema, self.batch_id)
        if entry is None:
            return None
        # Published, but the store missed it (it failed after the commit): catch up.
        with self.recorded(published=True) as run:
            self.record(run, "published" if not entry["rows_quarantined"]
                        else "partially_published", gate=None,
                        published=int(entry["rows_published"] or 0),
                        quarantined=int(entry["rows_quarantined"] or 0))
        return self.result("duplicate")

    def run(self, run: RunEntry) -> IngestResult:
        target = self.target = describe_table(self.warehouse, self.table)
        fill = ({self.table.loaded_at_column: to_naive_utc(self.at)}
                if self.table.loaded_at_column else {})
        prepared = prepare_batch(self.batch, target, fill=fill,
                                 capabilities=self.warehouse.capabilities)
        if prepared.drift.retyped or prepared.drift.not_null_missing:
            gate = decide(self.table.name, [*prepared.drift.checks()], at=self.at,
                          batch_id=self.batch_id, run_id=self.run_id)
            self.record(run, "blocked", gate=gate)
            return self.result("blocked", gate=gate, drift=prepared.drift)
        suites = load_suites(self.ctx.config, self.table, only=self.suites)
        staging = create_staging(self.warehouse, target,
                                 staging_name(self.table.relation, self.batch_id),
                                 list(prepared.frame.columns))
        try:
            good = [i for i in range(self.batch.rows) if i not in prepared.row_errors]
            staged = load_staging(self.warehouse, staging, prepared.frame, good)
            if self.checkpoint:
                self.checkpoint("staged", None)
            audit = gate_batch(self.ctx, self.table, target, staging, prepared, suites,
                               staged_rows=staged, mode=self.mode, at=self.at,
                               batch_id=self.batch_id, run_id=self.run_id)
            gate = audit.result
            done = publish(self.warehouse, target=target, staging=staging,
                           batch_id=self.batch_id, content_hash=self.batch.content_hash,
                           source=str(self.batch.path),
                           rejected=_rejected_rows(self.batch, prepared),
                           failures=audit.failures, go=gate.passed, at=self.at,
                           checkpoint=self.checkpoint)
        finally:
            drop_staging(self.warehouse, staging)
        if done.duplicate:
            run.commit(row_count=0)
            return self.result("duplicate")
        status = ("blocked" if not gate.passed else
                  "partially_published" if done.rows_quarantined else "published")
        self.record(run, status, gate=gate, published=done.rows_published,
                    quarantined=done.rows_quarantined)
        return self.result(status, rows_published=done.rows_published,
                           rows_quarantined=done.rows_quarantined, gate=gate,
                           drift=prepared.drift)


def ingest_file(path: str | Path, table: str | TableConfig, *,
                config: MonitorConfig | str | Path | None = None,
                context: MonitorContext | None = None, mode: Mode | None = None,
                fmt: str | None = None, delimiter: str = ",", suites: list[str] | None = None,
                retry: RetryPolicy | None = None,
                checkpoint: Checkpoint | None = None) -> IngestResult:
    """Ingest one CSV / JSON lines / Parquet file into ``table`` (see the module docstring).

    Bad files raise ``InputError``; an unreachable warehouse or store raises
    after ``retry`` (transient errors only). ``checkpoint(stage, conn)`` is
    called after staging (``"staged"``) and just before the publish commits
    (``"before_commit"``), for tests and tracing.
    """
    ctx = open_context(config, context)
    table_cfg = table if isinstance(table, TableConfig) else ctx.config.table(table)
    chosen: Mode = mode or ctx.config.ingest.mode
    if chosen not in MODES:
        raise InputError(f"unknown ingestion mode {chosen!r} ({', '.join(MODES)})")
    batch = read_batch_file(path, fmt=fmt, delimiter=delimiter)
    policy = retry or RetryPolicy(attempts=ctx.config.profiling.max_retries + 1)

    def attempt() -> IngestResult:
        job = _Ingestion(ctx, table_cfg, batch, chosen, suites, checkpoint)
        duplicate = job.already_published()
        if duplicate is not None:
            return duplicate
        with job.recorded() as run:
            return job.run(run)

    result, _ = call_with_retry(attempt, policy, what=f"ingesting {batch.path.name} into "
                                                      f"{table_cfg.name!r}")
    log.info("ingest table=%s batch=%s status=%s rows_in=%d published=%d quarantined=%d",
             result.table, result.batch_id[:12], result.status, result.rows_in,
             result.rows_published, result.rows_quarantined)
    return result
