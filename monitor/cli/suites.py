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

from monitor import formatting
from monitor.cli.common import (
    FORMAT_OPTION,
    TIME,
    CliState,
    console,
    emit_json,
    pass_state,
    render_table,
)
from monitor.cli.exit_codes import for_verdict
from monitor.config.models import MonitorConfig
from monitor.dialects import Capabilities, capabilities_for
from monitor.errors import ConfigError, InputError, MonitorError
from monitor.run.validate import validate_now
from monitor.store.expectations import expectation_history
from monitor.validation.catalog import SCHEMA_TYPES
from monitor.validation.outcomes import jsonable
from monitor.validation.pushdown_rules import NATIVE_KWARGS
from monitor.validation.routing import LABELS, NO_SQL_IN_GX, EngineChoice, no_sql_in_gx, route
from monitor.validation.suite_runner import TableValidation
from monitor.validation.suites import (
    ExpectationSpec,
    Suite,
    SuiteProblem,
    check_suite,
    load_suite,
    read_suite_file,
    suite_files,
    suite_path,
)
from monitor.warehouse import TableShape

_MARK = {"critical": "FAIL", "warning": "warning", "info": "info"}


def _users(config: MonitorConfig, name: str) -> list[str]:
    return [t.name for t in config.tables if name in t.suites]


def _shapes(state: CliState, suite: str) -> tuple[dict[str, tuple[TableShape, Capabilities]],
                                                  list[SuiteProblem]]:
    """The reflected tables that use ``suite``, and the ones that could not be reflected."""
    shapes, problems = {}, []
    for table in (t for t in state.config.tables if suite in t.suites):
        try:
            warehouse = state.context().warehouse_for(table)
            shapes[table.name] = (warehouse.describe_table(table),
                                  warehouse.capabilities)
        except MonitorError as error:
            problems.append(SuiteProblem(state.config.source, f"cannot reflect table "
                                         f"{table.name!r} (used by suite {suite!r}): {error}"))
    return shapes, problems


def _unrouted(spec: ExpectationSpec) -> str:
    """Who evaluates ``spec`` when no reflected table tells the column's type."""
    if spec.type in SCHEMA_TYPES:
        return LABELS["schema"]
    if spec.type in NO_SQL_IN_GX:
        return f"{LABELS['none']}: {no_sql_in_gx(spec.type)}"
    if spec.type not in NATIVE_KWARGS:
        return LABELS["gx"]
    if spec.columns():
        return "SQL or GX (by the column's type)"
    table = TableShape(None, "-", sa.table("-"), ())
    return route(spec, table, capabilities_for("sqlite")).label  # needs no column or dialect


def _evaluated_by(spec: ExpectationSpec, shapes: dict[str, tuple[TableShape, Capabilities]],
                  engine: EngineChoice) -> dict[str, str]:
    """Who evaluates ``spec``, per table that uses the suite (the routing validation uses)."""
    return {name: route(spec, shape, caps, engine).label
            for name, (shape, caps) in shapes.items()}


def _gx_checked(suite: Suite, routes: list[dict[str, str]]) -> list[dict[str, str]]:
    """``routes`` with what GX will evaluate built by GX first: an expectation GX
    rejects (a ``row_condition`` it cannot parse...) will fail, so show says so, as
    ``suites check`` does."""
    to_gx = [spec for spec, by_table in zip(suite.expectations, routes, strict=True)
             if LABELS["gx"] in (by_table.values() if by_table else {_unrouted(spec)})]
    if not to_gx:
        return routes
    from monitor.validation.gx import gx_problems

    rejected = gx_problems(to_gx)
    out = []
    for spec, by_table in zip(suite.expectations, routes, strict=True):
        if spec.index in rejected:
            failing = f"{LABELS['none']}: GX rejects it: {rejected[spec.index]}"
            by_table = ({name: failing if label == LABELS["gx"] else label
                         for name, label in by_table.items()} if by_table
                        else {"": failing})
        out.append(by_table)
    return out


def _one_line(by_table: dict[str, str], spec: ExpectationSpec) -> str:
    if list(by_table) == [""]:
        return by_table[""]  # not routed on a table, but known to fail
    if not by_table:
        return _unrouted(spec)
    labels = set(by_table.values())
    if len(labels) == 1:
        return labels.pop()
    return "; ".join(f"{label} ({name})" for name, label in by_table.items())


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
    shapes, problems = _shapes(state, suite.name)
    engine = state.config.validation.engine
    routes = _gx_checked(suite, [_evaluated_by(spec, shapes, engine)
                                 for spec in suite.expectations])
    if fmt == "json":
        emit_json({"suite": suite.name, "file": suite.source,
                   "tables": _users(state.config, suite.name),
                   "problems": [str(p) for p in problems],
                   "expectations": [{**spec.to_gx(), "key": spec.key,
                                     "evaluated_by": _one_line(by_table, spec),
                                     "evaluated_by_table": {k: v for k, v in
                                                            by_table.items() if k}}
                                    for spec, by_table in zip(suite.expectations, routes,
                                                              strict=True)]})
        return
    for problem in problems:
        console().print(f"[yellow]![/yellow] {escape(str(problem))}", highlight=False)
    render_table(f"suite {suite.name} ({suite.source})",
                 ("#", "expectation", "arguments", "severity", "evaluated by"),
                 [(spec.index + 1, spec.label, _args(dict(spec.kwargs)), spec.severity,
                   _one_line(by_table, spec))
                  for spec, by_table in zip(suite.expectations, routes, strict=True)],
                 caption="as validation routes each expectation on the tables that use the "
                         "suite: SQL (the one aggregate query), GX, or the table schema")


def _check_one(config: MonitorConfig, suite: Suite, *, use_gx: bool,
               columns: bool, state: CliState) -> list[SuiteProblem]:
    problems = check_suite(suite)
    if use_gx:
        from monitor.validation.gx import gx_problems

        flagged = {p.index for p in problems}
        by_index = {spec.index: spec for spec in suite.expectations}
        for index, message in gx_problems(suite.expectations).items():
            if index not in flagged:
                spec = by_index[index]
                problems.append(SuiteProblem(suite.source, f"GX rejects it: {message}",
                                             index, spec.label))
    if columns:
        shapes, unreflected = _shapes(state, suite.name)
        problems += unreflected
        engine = config.validation.engine
        for table, (shape, caps) in shapes.items():
            # Validation's own routing decides; check_suite only words the column problem.
            why = {spec.index: route(spec, shape, caps, engine) for spec in suite.expectations}
            for problem in check_suite(suite, [c.name for c in shape.columns]):
                if "does not exist" in problem.message and why[problem.index].why == "column":
                    problems.append(SuiteProblem(
                        problem.source, f"{problem.message} in table {table!r}",
                        problem.index, problem.label))
            for spec in suite.expectations:
                routed = why[spec.index]
                if routed.why == "dialect":
                    problems.append(SuiteProblem(
                        suite.source, f"can never be evaluated on table {table!r} "
                                      f"({caps.name}): {routed.reason}", spec.index, spec.label))
    return problems


def _in_order(problems: list[SuiteProblem]) -> list[SuiteProblem]:
    return sorted(problems, key=lambda p: -1 if p.index is None else p.index)


def _missing_suites(config: MonitorConfig) -> list[SuiteProblem]:
    """Tables naming a suite that has no file: every run of them would fail."""
    problems = []
    for table in config.tables:
        for name in table.suites:
            try:
                suite_path(config, name)
            except ConfigError as error:
                problems.append(SuiteProblem(config.source, f"table {table.name!r}: "
                                             f"{str(error).removeprefix(f'{config.source}: ')}"))
    return problems


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
    problems: list[SuiteProblem] = []
    if names:
        paths = []
        for name in names:
            try:
                paths.append(suite_path(config, name))
            except ConfigError as error:
                problems.append(SuiteProblem(config.source, str(error).removeprefix(
                    f"{config.source}: ")))
    else:
        paths = suite_files(config)
        problems += _missing_suites(config)
    checked, unreadable = [], []
    for path in paths:
        suite, found = read_suite_file(path)
        if suite is not None:
            checked.append(suite.name)
            found += _check_one(config, suite, use_gx=not no_gx, columns=not no_columns,
                                state=state)
        else:
            unreadable.append(path.name)  # checked too: its problems say why it is no suite
        problems += _in_order(found)
    if fmt == "json":
        emit_json({"checked": checked, "unreadable": unreadable,
                   "problems": [str(p) for p in problems]})
    else:
        for problem in problems:
            console().print(f"[red]x[/red] {escape(str(problem))}", highlight=False)
        verdict = "no problems" if not problems else f"{len(problems)} problem(s)"
        files = len(checked) + len(unreadable)
        not_read = f" ({len(unreadable)} not a suite: {', '.join(unreadable)})" if (
            unreadable) else ""
        console().print(escape(f"checked {files} suite file(s){not_read}: {verdict}"))
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
        rows.append((status, o.expectation.suite, o.expectation.label, formatting.text(shown),
                     formatting.percent(None if o.unexpected_percent is None
                                        else o.unexpected_percent / 100),
                     ", ".join(str(v) for v in o.unexpected_values),
                     o.error or (o.details if not o.success else "") or ""))
    counts = report.counts()
    title = (f"{report.table} ({report.object}): {counts['passed']} passed, "
             f"{counts['failed']} failed, {counts['blocking']} blocking")
    render_table(title, ("result", "suite", "expectation", "observed / unexpected", "%",
                         "sample", "note"), rows,
                 caption=f"validated in {formatting.duration(report.duration_seconds)}")


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
                 [(r.ts, r.suite, r.expectation_type.removeprefix("expect_"), r.column or None,
                   r.severity, r.success, r.observed_value if not isinstance(
                       r.observed_value, list) else f"{len(r.observed_value)} items",
                   r.unexpected_count, r.error or "") for r in found])



def _register_suggest() -> None:
    from monitor.cli.suggest import suggest_cmd

    suites_group.add_command(suggest_cmd)


_register_suggest()
