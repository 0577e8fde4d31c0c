"""The validate step of a run: check the table's suites, report findings, queue results.

Runs after profiling (it reuses the reflected table, and the states of the
pushed-down expectations that the profile's scan computed, see ``plan_suites``:
the suite then sends no scan of its own). One ``Finding`` per
expectation, failing or passing, with the expectation's own severity and
the check key ``suite:<suite>:<expectation key>``; the results join the
run's single commit. Each configured suite is a ``run`` finding too
(``suite:<suite>``), failing when its file does not load: the other suites
still run, and the broken one is named (exit code 2).

>>> from monitor.run.runner import run_table
>>> found = run_table(ctx, ctx.config.table("customers")).found
>>> [f.check for f in found if f.check.startswith("suite:")][:2]
['suite:customers', 'suite:customers:ea1013d17721f9e111e61a6699184f00']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from monitor.config.models import TableConfig
from monitor.lineage.datasets import describe_checked
from monitor.metrics.scan import Needs
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding
from monitor.run.record import recorded_run
from monitor.run.state import RunState
from monitor.store import run_key
from monitor.store.expectations import replace_results
from monitor.timeutil import as_utc
from monitor.validation.outcomes import ExpectationOutcome
from monitor.validation.suite_runner import TableValidation, suite_needs, validate_table
from monitor.validation.suites import load_suites, read_table_suites
from monitor.warehouse import SqlWarehouse, TableShape


def finding_for(table: str, outcome: ExpectationOutcome, at: dt.datetime) -> Finding:
    """The finding that reports one expectation outcome."""
    spec = outcome.expectation
    observed = outcome.observed_value
    if not isinstance(observed, int | float | str) or isinstance(observed, bool):
        observed = outcome.unexpected_percent
    return Finding(table=table, check=f"suite:{spec.suite}:{spec.key}", kind="expectation",
                   severity=spec.severity, failing=not outcome.success, at=at,
                   reason=outcome.reason, metric=spec.type, column=spec.column,
                   observed=observed)


def findings_for(table: str, outcomes: Sequence[ExpectationOutcome],
                 at: dt.datetime) -> list[Finding]:
    return [finding_for(table, outcome, at) for outcome in outcomes]


def suite_findings(table: str, loaded: Sequence[str], broken: Mapping[str, str],
                   at: dt.datetime) -> list[Finding]:
    """One finding per configured suite (check ``suite:<name>``): failing when its file
    does not load, so a broken suite is an incident of its own and the others still run;
    a ``run`` finding, as the configuration is at fault (exit code 2), not the data."""
    return [*(Finding(table=table, check=f"suite:{name}", kind="run", severity="critical",
                      failing=True, at=at, reason=f"suite {name!r} not validated: {why}")
              for name, why in broken.items()),
            *(Finding(table=table, check=f"suite:{name}", kind="run", severity="info",
                      failing=False, at=at, reason=f"suite {name!r} loads")
              for name in loaded)]


def _validates(ctx: MonitorContext, state: RunState) -> bool:
    """Whether this run validates suites: the table has some, and the run is of now."""
    return bool(state.table.suites) and not (
        state.explicit_as_of and state.as_of < ctx.now() - dt.timedelta(hours=1))


def plan_suites(ctx: MonitorContext, state: RunState, warehouse: SqlWarehouse,
                shape: TableShape) -> Needs:
    """The states the run's suites are judged from, for the profile's scan to compute
    beside its metrics (none when this run validates no suite)."""
    if not _validates(ctx, state):
        return Needs()
    suites, _ = read_table_suites(ctx.config, state.table)
    return suite_needs(warehouse, shape, suites, engine=ctx.config.validation.engine)


def validate_suites(ctx: MonitorContext, state: RunState) -> None:
    """Validate the configured suites of the run's table (nothing to do without suites)."""
    table = state.table
    if not table.suites:
        return
    if table.metadata == "only":
        state.problems.append("suites not validated: the table is watched through its "
                              "metadata only ('metadata: only')")
        return
    if not _validates(ctx, state):
        # Suites judge the table as it is now; stored at a past time they would lie.
        state.problems.append(f"suites not validated: the run is as of "
                              f"{state.as_of:%Y-%m-%d %H:%M} UTC, not now")
        return
    suites, broken = read_table_suites(ctx.config, table)
    warehouse = ctx.warehouse_for(table)
    settings = ctx.config.validation
    report = validate_table(warehouse, table, suites, shape=state.shape,
                            samples=settings.unexpected_samples, engine=settings.engine,
                            scanned=state.scanned)
    # After the validation, so that a retried attempt does not name a problem twice.
    state.problems += [f"suite {name!r} not validated: {why}" for name, why in broken.items()]
    state.found += suite_findings(table.name, [s.name for s in suites], broken, state.as_of)
    state.found += findings_for(table.name, report.outcomes, state.as_of)
    state.findings["expectations"] = report.counts()
    if broken:
        state.findings["broken_suites"] = sorted(broken)
    run_id, as_of, outcomes = state.run_id, state.as_of, report.outcomes
    state.write(lambda conn: replace_results(conn, run_id, table.name, as_of, outcomes))


def validate_now(ctx: MonitorContext, table: TableConfig, *, suites: Sequence[str] | None = None,
                 as_of: dt.datetime | None = None, record: bool = True
                 ) -> tuple[TableValidation, str | None]:
    """Validate ``table`` now (``dq-monitor validate``) and store it as a ``validate`` run.

    Returns the report and the run id (None when not recorded).
    """
    loaded = load_suites(ctx.config, table, only=suites)
    warehouse = ctx.warehouse_for(table)
    settings = ctx.config.validation
    stamp = as_utc(as_of or ctx.now()).replace(microsecond=0)
    run_id = run_key(table.name, stamp, "validate") if record else None
    with recorded_run(lambda: ctx.store, run_id, table.name, kind="validate",
                      as_of=stamp, lineage=ctx.lineage_run(table, "validate",
                                                           nominal=stamp)) as run:
        report = validate_table(warehouse, table, loaded, samples=settings.unexpected_samples,
                                engine=settings.engine)
        if run.lineage is not None:
            run.lineage.update(lambda lineage: describe_checked(
                lineage.inputs[0], None, report.outcomes))
        run.commit(lambda conn: replace_results(conn, run_id, table.name, stamp,
                                                report.outcomes))
    return report, run_id
