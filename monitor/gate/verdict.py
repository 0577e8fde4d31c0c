"""The gate for pipelines: one verdict from suites, volume and freshness.

Use it from any orchestrator (Airflow, Dagster, Prefect, a shell script):

>>> from monitor import gate
>>> result = gate.check("orders", config=sample_config, as_of=now)
>>> result.passed, result.reasons
(True, [])

(``sample_config`` is the bundled sample's config, ``now`` the morning after its last
load, ``ctx`` a context whose clock stands at ``now``: see monitor/conftest.py.) Two days
later, with no new load, the same gate blocks:

>>> import datetime as dt
>>> later = MonitorContext(config, clock=lambda: now + dt.timedelta(days=2), store=store)
>>> result = gate.check("orders", context=later)
>>> result.passed, result.reasons  # doctest: +ELLIPSIS
(False, ['2026-12-01: 0 rows: the bucket is empty', 'newest row 2d ...h old (over the 1d 6h SLA)'])
>>> result.raise_for_failure()
Traceback (most recent call last):
monitor.gate.verdict.GateFailed: orders: blocked by 2 checks: 2026-12-01: 0 rows: ...

``gate.check(..., raise_on_failure=True)`` raises in one step. Verdicts:
``pass``; ``blocked`` (a critical check failed; ``GateFailed``, exit code
1); could not evaluate (bad config, warehouse down: a ``MonitorError``, exit
code 2, recorded as verdict ``error``). Every verdict is stored in
``dq_gate_verdicts`` with its checks, and the expectation results of the
gate in the history (run kind ``gate``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from monitor.config.models import MonitorConfig, ReconcileConfig, TableConfig, load_config
from monitor.config.secrets import redact
from monitor.detection.severity import gate_severity
from monitor.errors import ExitCode, MonitorError
from monitor.gate.checks import GateCheck, blocking, freshness_check, suite_checks, volume_check
from monitor.gate.history import table_volume
from monitor.lineage.datasets import describe_checked
from monitor.metrics.profile import describe_table
from monitor.run.context import MonitorContext
from monitor.run.record import recorded_run
from monitor.store import run_key
from monitor.store.expectations import replace_results
from monitor.store.verdicts import record_verdict
from monitor.timeutil import as_utc, not_in_future
from monitor.validation.suite_runner import TableValidation, validate_table
from monitor.validation.suites import load_suites

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["GateCheck", "GateFailed", "GateResult", "check"]

Verdict = Literal["pass", "blocked", "error"]


class GateFailed(MonitorError):
    """The gate blocked: ``.result`` holds the verdict with its failed checks."""

    exit_code = ExitCode.FINDINGS

    def __init__(self, result: GateResult) -> None:
        super().__init__(result.summary, details={"verdict": result.to_dict()})
        self.result = result


@dataclass(frozen=True)
class GateResult:
    """A gate verdict: ``passed``, the checks, and the reasons it blocked."""

    table: str
    verdict: Verdict
    checks: tuple[GateCheck, ...]
    at: dt.datetime
    verdict_id: str
    batch_id: str | None = None
    run_id: str | None = None
    quarantine_rows: bool = False
    validation: TableValidation | None = field(default=None, repr=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    @property
    def blocking(self) -> list[GateCheck]:
        """The failed checks that block the batch."""
        return blocking(self.checks, quarantine_rows=self.quarantine_rows)

    @property
    def failed(self) -> list[GateCheck]:
        """Every failed check, blocking or not (warnings and info included)."""
        return [c for c in self.checks if not c.passed]

    @property
    def warnings(self) -> list[GateCheck]:
        return [c for c in self.failed if c not in self.blocking]

    @property
    def reasons(self) -> list[str]:
        """Why it blocked, one line per blocking check."""
        return [c.reason for c in self.blocking]

    @property
    def summary(self) -> str:
        if self.passed:
            extra = f" ({len(self.warnings)} warning(s))" if self.warnings else ""
            return f"{self.table}: passed {len(self.checks)} checks{extra}"
        count = len(self.blocking)
        return (f"{self.table}: blocked by {count} check{'s' if count != 1 else ''}: "
                + "; ".join(self.reasons))

    def raise_for_failure(self) -> GateResult:
        """Raise ``GateFailed`` unless the gate passed; returns self for chaining."""
        if not self.passed:
            raise GateFailed(self)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "verdict": self.verdict, "passed": self.passed,
                "at": self.at.isoformat(), "verdict_id": self.verdict_id,
                "batch_id": self.batch_id, "run_id": self.run_id, "reasons": self.reasons,
                "checks": [c.to_dict() for c in self.checks]}


def verdict_id_for(table: str, key: str) -> str:
    """Deterministic verdict id: the same gate (table and batch or time) replaces its row."""
    return hashlib.sha256(f"{table}|{key}".encode()).hexdigest()[:32]


def decide(table: str, checks: Sequence[GateCheck], *, at: dt.datetime,
           batch_id: str | None = None, run_id: str | None = None,
           quarantine_rows: bool = False,
           validation: TableValidation | None = None) -> GateResult:
    """The verdict of a list of checks."""
    verdict: Verdict = "blocked" if blocking(checks, quarantine_rows=quarantine_rows) else "pass"
    key = batch_id or at.isoformat(timespec="seconds")
    return GateResult(table=table, verdict=verdict, checks=tuple(checks), at=at,
                      verdict_id=verdict_id_for(table, key), batch_id=batch_id, run_id=run_id,
                      quarantine_rows=quarantine_rows, validation=validation)


def write_result(conn: Connection, result: GateResult) -> None:
    """Store the verdict and the gate's expectation results, in the caller's transaction."""
    if result.run_id and result.validation is not None:
        replace_results(conn, result.run_id, result.table, result.at,
                        result.validation.outcomes)
    record_verdict(conn, verdict_id=result.verdict_id, table=result.table, ts=result.at,
                   verdict=result.verdict, passed=result.passed,
                   reason="; ".join(result.reasons) or None,
                   checks=[c.to_dict() for c in result.checks], batch_id=result.batch_id)


def write_error(conn: Connection, table: str, error: BaseException, *, at: dt.datetime,
                batch_id: str | None = None) -> None:
    """A gate that could not be evaluated leaves an ``error`` verdict (caller's transaction)."""
    record_verdict(conn, verdict_id=verdict_id_for(table, batch_id or at.isoformat(
        timespec="seconds")), table=table, ts=at, verdict="error", passed=False,
        reason=redact(str(error)), checks=[], batch_id=batch_id)


def reconcile_check(ctx: MonitorContext, entry: ReconcileConfig,
                    at: dt.datetime) -> GateCheck:
    """A ``reconcile:`` entry as a gate check: blocks when source and target differ."""
    from monitor.reconcile.run import reconcile as compare

    result = compare(ctx, entry, at=at)
    return GateCheck(f"reconcile:{entry.name}", result.matched, "critical",
                     f"reconcile {entry.name}: {result.reason}")


def open_context(config: MonitorConfig | str | Path | None = None,
                 context: MonitorContext | None = None) -> MonitorContext:
    """A context from an existing one, a config object, a config path, or the default file."""
    if context is not None:
        return context
    if isinstance(config, MonitorConfig):
        return MonitorContext(config)
    return MonitorContext(load_config(config))


def check(table: str | TableConfig, *, config: MonitorConfig | str | Path | None = None,
          context: MonitorContext | None = None, suites: Sequence[str] | None = None,
          raise_on_failure: bool = False, record: bool = True,
          as_of: dt.datetime | None = None, reconcile: Sequence[str] = ()) -> GateResult:
    """Gate ``table`` as it is now: its suites, its newest batch's volume, its freshness.

    For a bucketed table the batch is the newest complete bucket: the one still
    filling at ``as_of`` (default now) is left out, so a gate in front of a build
    works on a live table.

    ``reconcile`` names ``reconcile:`` entries whose source and target must match: a
    mismatch is a critical check (``reconcile:NAME``) that blocks.

    Raises ``GateFailed`` when blocked and ``raise_on_failure`` is set, and a
    ``MonitorError`` when the gate cannot be evaluated.

    >>> check("events", context=ctx, raise_on_failure=True).verdict
    'pass'
    """
    ctx = open_context(config, context)
    table_cfg = table if isinstance(table, TableConfig) else ctx.config.table(table)
    if as_of is not None:
        not_in_future(as_of, ctx.now(), what=f"gate of {table_cfg.name!r}: as-of time")
    at = as_utc(as_of or ctx.now()).replace(microsecond=0)
    run_id = run_key(table_cfg.name, at, "gate") if record else None
    name = table_cfg.name
    entries = [ctx.config.reconciliation(n) for n in reconcile]  # ConfigError before the run
    with recorded_run(lambda: ctx.store, run_id, name, kind="gate", as_of=at,
                      on_failure=lambda conn, error: write_error(conn, name, error, at=at),
                      lineage=ctx.lineage_run(table_cfg, "gate", nominal=at)) as run:
        warehouse = ctx.warehouse_for(table_cfg)
        shape = describe_table(warehouse, table_cfg)
        loaded = load_suites(ctx.config, table_cfg, only=suites)
        settings = ctx.config.validation
        validation = validate_table(warehouse, table_cfg, loaded, shape=shape,
                                    samples=settings.unexpected_samples,
                                    engine=settings.engine)
        volume = table_volume(warehouse, table_cfg, shape, ctx.store,
                              history_size=ctx.config.ingest.volume_history, at=at)
        checks = [*suite_checks(validation.outcomes),
                  volume_check(volume.rows, volume.history,
                               min_ratio=table_cfg.thresholds.min_batch_ratio,
                               what=volume.what, batch=volume.batch),
                  freshness_check(volume.latest, at, table_cfg.thresholds.freshness_sla,
                                  column=table_cfg.timestamp_column),
                  *(reconcile_check(ctx, entry, at) for entry in entries)]
        layers = (ctx.config.severity, table_cfg.severity)  # the severity policy's overrides
        checks = [replace(c, severity=gate_severity(c.check, c.severity, *layers))
                  for c in checks]
        result = decide(name, checks, at=at, run_id=run_id, validation=validation)
        if run.lineage is not None:
            run.lineage.update(lambda lineage: describe_checked(
                lineage.inputs[0], shape, (), result.checks))
        run.commit(lambda conn: write_result(conn, result))
    if raise_on_failure:
        result.raise_for_failure()
    return result
