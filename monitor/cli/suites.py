"""``suites list|show|check|history`` and ``validate``: expectation suites from the command line.

``validate TABLE`` exits 0 when no critical expectation failed, 1 when one did.
``suites check`` exits 2 when a suite file has problems (each names the file
and the expectation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
import sqlalchemy as sa
from rich.markup import escape

from monitor.cli.common import (
    FORMAT_OPTION,
    TIME,
    CliState,
    console,
    emit_json,
    fmt_value,
    pass_state,
    render_table,
)
from monitor.cli.exit_codes import for_verdict
from monitor.config import MonitorConfig
from monitor.dialects import capabilities_for
from monitor.errors import InputError, MonitorError
from monitor.expectation_catalog import SCHEMA_TYPES
from monitor.outcomes import jsonable
from monitor.pushdown_rules import NATIVE_KWARGS
from monitor.store.expectations import expectation_history
from monitor.suite_runner import TableValidation
from monitor.suites import (
    ExpectationSpec,
    Suite,
    SuiteProblem,
    check_suite,
    load_suite,
    suite_files,
    suite_path,
)
from monitor.validate_step import validate_now

_MARK = {"critical": "FAIL", "warning": "warning", "info": "info"}


def _users(config: MonitorConfig, name: str) -> list[str]:
    return [t.name for t in config.tables if name in t.suites]


def _tables_have_regex(config: MonitorConfig, suite: str) -> bool:
    """Whether every warehouse of the tables using ``suite`` evaluates regexes in SQL."""
    backends = {sa.engine.make_url(config.warehouses[t.warehouse].url).get_backend_name()
                for t in config.tables if suite in t.suites}
    return all(capabilities_for(b).has_regex for b in backends)


def _evaluated_by(spec: ExpectationSpec, regex: bool) -> str:
    if spec.type in SCHEMA_TYPES:
        return "table schema"
    allowed = NATIVE_KWARGS.get(spec.type)
    if allowed is None or set(spec.kwargs) - allowed - {"result_format", "catch_exceptions"}:
        return "GX"
    if "regex" in spec.type and not regex:
        return "GX"
    return "SQL"


def _args(kwargs: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={jsonable(v)}" for k, v in kwargs.items() if k != "column")
    return text if len(text) <= 80 else text[:77] + "..."


@click.group("suites")
def suites_group() -> None:
    """Expectation suites (GX 1.x JSON files in the expectations folder)."""


@suites_group.command("list")
@FORMAT_OPTION
@pass_state
def list_cmd(state: CliState, fmt: str) -> None:
    """List the suite files and which tables use them."""
    config = state.config
    rows = []
    for path in suite_files(config):
        try:
            suite = load_suite(path)
        except InputError as error:
            rows.append({"suite": path.stem, "file": str(path), "error": str(error)})
            continue
        rows.append({"suite": suite.name, "file": str(path),
                     "expectations": len(suite.expectations), **suite.severities(),
                     "tables": _users(config, suite.name)})
    if fmt == "json":
        emit_json(rows)
        return
    if not rows:
        console().print(escape(f"no suite files in {config.expectations_path().resolve()}"))
        return
    render_table(f"suites in {config.expectations_path().resolve()}",
                 ("suite", "expectations", "critical", "warning", "info", "tables", "problem"),
                 [(r["suite"], r.get("expectations"), r.get("critical"), r.get("warning"),
                   r.get("info"), ", ".join(r.get("tables", [])), r.get("error", ""))
                  for r in rows])


@suites_group.command("show")
@click.argument("name")
@FORMAT_OPTION
@pass_state
def show_cmd(state: CliState, name: str, fmt: str) -> None:
    """Show the expectations of suite NAME."""
    suite = load_suite(suite_path(state.config, name))
    regex = _tables_have_regex(state.config, suite.name)
    if fmt == "json":
        emit_json({"suite": suite.name, "file": suite.source,
                   "tables": _users(state.config, suite.name),
                   "expectations": [{**spec.to_gx(), "key": spec.key,
                                     "evaluated_by": _evaluated_by(spec, regex)}
                                    for spec in suite.expectations]})
        return
    render_table(f"suite {suite.name} ({suite.source})",
                 ("#", "expectation", "arguments", "severity", "evaluated by"),
                 [(spec.index + 1, spec.label, _args(dict(spec.kwargs)), spec.severity,
                   _evaluated_by(spec, regex)) for spec in suite.expectations],
                 caption="SQL: in the one aggregate query, when the column's type and the "
                         "arguments allow it (dates as bounds go to GX)")


def _check_one(config: MonitorConfig, suite: Suite, *, use_gx: bool,
               columns: bool, state: CliState) -> list[SuiteProblem]:
    problems = check_suite(suite)
    if use_gx:
        from monitor.validation import gx_problems

        flagged = {p.index for p in problems}
        for index, message in gx_problems(suite.expectations).items():
            if index not in flagged:
                spec = suite.expectations[index]
                problems.append(SuiteProblem(suite.source, f"GX rejects it: {message}",
                                             index, spec.label))
    if columns:
        for table in (t for t in config.tables if suite.name in t.suites):
            try:
                shape = state.context().warehouse_for(table).describe(table.table,
                                                                      table.schema)
            except MonitorError as error:
                problems.append(SuiteProblem(suite.source, f"cannot check the columns of "
                                             f"table {table.name!r}: {error}"))
                continue
            for problem in check_suite(suite, [c.name for c in shape.columns]):
                if "does not exist" in problem.message:
                    problems.append(SuiteProblem(
                        problem.source, f"{problem.message} in table {table.name!r}",
                        problem.index, problem.label))
    return sorted(problems, key=lambda p: -1 if p.index is None else p.index)


@suites_group.command("check")
@click.argument("names", nargs=-1)
@click.option("--no-gx", is_flag=True, help="Skip building each expectation with GX (faster).")
@click.option("--no-columns", is_flag=True,
              help="Do not compare the columns with the tables that use the suite.")
@FORMAT_OPTION
@pass_state
def check_cmd(state: CliState, names: tuple[str, ...], no_gx: bool, no_columns: bool,
              fmt: str) -> None:
    """Check suite files without running them (all suites, or NAMES).

    Finds unknown expectation types, missing or unknown arguments, arguments
    GX rejects, and columns the configured tables do not have. Exit 2 on problems.
    """
    config = state.config
    paths = [suite_path(config, n) for n in names] if names else suite_files(config)
    problems: list[SuiteProblem] = []
    checked = []
    for path in paths:
        try:
            suite = load_suite(path)
        except InputError as error:
            problems.append(SuiteProblem(str(path), str(error).removeprefix(f"{path}: ")))
            continue
        checked.append(suite.name)
        problems += _check_one(config, suite, use_gx=not no_gx, columns=not no_columns,
                               state=state)
    if fmt == "json":
        emit_json({"checked": checked, "problems": [str(p) for p in problems]})
    else:
        for problem in problems:
            console().print(f"[red]x[/red] {escape(str(problem))}", highlight=False)
        verdict = "no problems" if not problems else f"{len(problems)} problem(s)"
        console().print(f"checked {len(checked)} suite(s): {verdict}")
    if problems:
        raise click.exceptions.Exit(2)


def print_validation(report: TableValidation) -> None:
    """A validation as a readable table, failures first."""
    ordered = sorted(report.outcomes, key=lambda o: (o.success, o.severity != "critical",
                                                     o.expectation.suite, o.expectation.index))
    rows = []
    for o in ordered:
        status = "pass" if o.success else _MARK[o.severity]
        shown = o.unexpected_count if o.unexpected_count is not None else o.observed_value
        if isinstance(shown, list):
            shown = f"{len(shown)} columns"
        rows.append((status, o.expectation.suite, o.expectation.label, fmt_value(shown),
                     None if o.unexpected_percent is None else f"{o.unexpected_percent:.3g}%",
                     ", ".join(str(v) for v in o.unexpected_values),
                     o.error or (o.details if not o.success else "") or ""))
    counts = report.counts()
    title = (f"{report.table} ({report.object}): {counts['passed']} passed, "
             f"{counts['failed']} failed, {counts['blocking']} blocking")
    render_table(title, ("result", "suite", "expectation", "observed / unexpected", "%",
                         "sample", "note"), rows,
                 caption=f"validated in {report.duration_seconds:.2f}s")


@click.command("validate")
@click.argument("table")
@click.option("--suite", "suites", multiple=True, help="Only this suite (repeatable).")
@click.option("--no-store", is_flag=True, help="Print only; do not record the results.")
@FORMAT_OPTION
@pass_state
def validate_cmd(state: CliState, table: str, suites: tuple[str, ...], no_store: bool,
                 fmt: str) -> None:
    """Validate TABLE against its suites, print the report and store it.

    Exit 0 when no critical expectation failed, 1 when one did.
    """
    config = state.config
    table_cfg = config.table(table)
    if not suites and not table_cfg.suites:
        raise click.UsageError(f"table {table!r} has no 'suites' in {config.source}; "
                               f"add some or pass --suite NAME")
    report, run_id = validate_now(state.context(), table_cfg, suites=suites or None,
                                  record=not no_store)
    if fmt == "json":
        emit_json({**report.to_dict(), "run_id": run_id})
    else:
        print_validation(report)
    if not report.passed:
        raise click.exceptions.Exit(for_verdict(report.passed))


@suites_group.command("history")
@click.argument("table")
@click.option("--suite", help="Only this suite.")
@click.option("--expectation", help="An expectation key, type or column.")
@click.option("--kind", type=click.Choice(["profile", "validate", "gate", "ingest"]),
              help="Only results of runs of this kind.")
@click.option("--since", type=TIME, help="Results at or after this time.")
@click.option("--failed", is_flag=True, help="Only failed expectations.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@FORMAT_OPTION
@pass_state
def history_cmd(state: CliState, table: str, suite: str | None, expectation: str | None,
                kind: str | None, since: dt.datetime | None, failed: bool, limit: int,
                fmt: str) -> None:
    """Stored expectation results of TABLE over time."""
    state.config.table(table)
    found = expectation_history(state.context().store, table, suite=suite,
                                expectation=expectation, kind=kind, since=since,
                                failed_only=failed, limit=limit)
    if fmt == "json":
        emit_json([r.to_dict() for r in found])
        return
    if not found:
        console().print(escape(f"no stored expectation results for {table!r} match"))
        return
    render_table(f"expectation history of {table}",
                 ("time (UTC)", "suite", "type", "column", "severity", "success",
                  "observed", "unexpected", "error"),
                 [(r.ts, r.suite, r.expectation_type.removeprefix("expect_"), r.column or "-",
                   r.severity, r.success, r.observed_value if not isinstance(
                       r.observed_value, list) else f"{len(r.observed_value)} items",
                   r.unexpected_count, r.error or "") for r in found])


def register(group: click.Group) -> None:
    group.add_command(suites_group)
    group.add_command(validate_cmd)
