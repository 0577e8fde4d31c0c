"""``profile``, ``run`` and ``history``: measure tables and read the metric history."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

import click
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
from monitor.cli.exit_codes import FAIL_ON, FailOn, fails, for_runs
from monitor.metrics.profile import Profile, profile_table
from monitor.timeutil import not_in_future

if TYPE_CHECKING:
    from monitor.run.state import RunResult

_PROFILE_COLUMNS = ("column", "type", "nulls", "null %", "distinct", "min", "max", "mean",
                    "stddev", "length")


def print_profile(profile: Profile) -> None:
    """A profile as a readable table."""
    fresh = ""
    if profile.freshness_seconds is not None:
        fresh = f", newest row {formatting.duration(max(0.0, profile.freshness_seconds))} old"
    title = (f"{profile.table} ({profile.warehouse}: {profile.qualified_name}) as of "
             f"{profile.as_of:%Y-%m-%d %H:%M:%S} UTC: "
             f"{formatting.number(profile.row_count)} rows{fresh}")
    rows = []
    estimated = False
    for col in profile.columns.values():
        m = col.metrics
        rate = m.get("null_rate")
        length = None
        if "min_length" in m:
            length = (f"{formatting.text(m.get('min_length'))}.."
                      f"{formatting.text(m.get('max_length'))}")
        distinct = m.get("distinct_count")
        if distinct is not None and col.distinct_method in ("approx", "catalog"):
            distinct = f"~{formatting.number(distinct)}"
            estimated = True
        rows.append((col.name, col.type_name, m.get("null_count"),
                     formatting.percent(rate), distinct, m.get("min"),
                     m.get("max"), m.get("mean"), m.get("stddev"), length))
    caption = f"profiled in {formatting.duration(profile.duration_seconds)}" + (
        "; ~ marks estimated distinct counts" if estimated else "")
    render_table(title, _PROFILE_COLUMNS, rows, caption=caption)


@click.command("profile")
@click.argument("table")
@click.option("--as-of", type=TIME, help="Profile rows stamped at or before this time.")
@click.option("--distinct", type=click.Choice(["auto", "exact", "approx", "off"]),
              help="How to count distinct values (default from the config).")
@FORMAT_OPTION
@pass_state
def profile_cmd(state: CliState, table: str, as_of: dt.datetime | None, distinct: str | None,
                fmt: str) -> None:
    """Profile TABLE now (one scan) and print it; nothing is stored."""
    config = state.config
    table_cfg = config.table(table)
    ctx = state.context()
    if as_of is not None:
        not_in_future(as_of, ctx.now(), what=f"profile of {table!r}: as-of time")
    warehouse = ctx.warehouse_for(table_cfg)
    profile = profile_table(warehouse, table_cfg, as_of=as_of,
                            distinct=distinct or config.distinct_for(table_cfg))  # type: ignore[arg-type]
    if fmt == "json":
        emit_json(profile.to_dict())
    else:
        print_profile(profile)


def print_results(results: list[RunResult]) -> None:
    rows = [(r.table, r.status, r.row_count, formatting.duration(r.duration_seconds), r.retries,
             r.points_written, r.error or "") for r in results]
    render_table("runs", ("table", "status", "rows", "duration", "retries", "points", "error"),
                 rows)


@click.command("run")
@click.option("--table", "tables", multiple=True, help="Only this table (repeatable).")
@click.option("--as-of", type=TIME, help="Record the run at this time (its idempotency key).")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="critical", show_default=True,
              help="Exit 1 when a finding of at least this severity fails (never: only "
                   "tables that could not run fail the command, with 2).")
@FORMAT_OPTION
@pass_state
def run_cmd(state: CliState, tables: tuple[str, ...], as_of: dt.datetime | None,
            fail_on: FailOn, fmt: str) -> None:
    """Profile, validate, detect and alert; store the results.

    Exit 0 ok, 1 a critical finding failed (``--fail-on``), 2 a table could not
    run (config, warehouse or metric store), 3 a bug; the worst table wins.
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from monitor.run.runner import run_tables

    config = state.config
    chosen = [config.table(name) for name in tables] if tables else list(config.tables)
    if not chosen:
        raise click.UsageError(f"{config.source} configures no tables")
    ctx = state.context()
    show_progress = fmt == "table" and sys.stderr.isatty() and len(chosen) > 1
    if show_progress:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), transient=True) as bar:
            task = bar.add_task("profiling", total=len(chosen))
            results = run_tables(ctx, chosen, as_of=as_of,
                                 progress=lambda r: bar.advance(task))
    else:
        results = run_tables(ctx, chosen, as_of=as_of)
    code = for_runs(results, fail_on)
    failing = [f for r in results for f in r.found
               if fails(f, fail_on) or (f.failing and f.kind == "run")]  # broken config
    if fmt == "json":
        emit_json({"results": [r.to_dict() for r in results],
                   "failed": sum(not r.ok and r.status != "skipped" for r in results),
                   "failing_findings": len(failing), "exit_code": int(code)})
    else:
        print_results(results)
        failed = [r for r in results if not r.ok and r.status != "skipped"]
        if failed:
            console().print(f"[red]{len(failed)} of {len(results)} tables failed[/red]")
        for finding in failing:
            console().print(f"[red]{finding.severity}[/red] {escape(finding.title)}")
    if code:
        raise click.exceptions.Exit(code)


@click.command("history")
@click.argument("table")
@click.option("--metric", help="Only this metric (row_count, null_rate, mean, ...).")
@click.option("--column", help="Only this column ('' or omit --column for table metrics).")
@click.option("--granularity", type=click.Choice(["snapshot", "hour", "day"]),
              help="Snapshots (one per run) or buckets.")
@click.option("--since", type=TIME, help="Points at or after this time.")
@click.option("--limit", type=click.IntRange(1, 1_000_000), default=1000, show_default=True)
@FORMAT_OPTION
@pass_state
def history_cmd(state: CliState, table: str, metric: str | None, column: str | None,
                granularity: str | None, since: dt.datetime | None, limit: int,
                fmt: str) -> None:
    """Print the stored metric history of TABLE (the newest --limit points)."""
    config = state.config
    config.table(table)
    store = state.context().store
    if metric or column:
        _check_series(store.series(table), table, metric, column)
    points = store.points(table, metric=metric, column=column, granularity=granularity,
                          since=since)
    total = len(points)
    points = points[-limit:]
    if total > limit:
        # On stderr, so that JSON output stays one document.
        click.echo(f"showing the newest {formatting.number(limit)} of "
                   f"{formatting.number(total)} points of {table!r}; "
                   f"use --limit {total} for all of them, or --since TIME for a window",
                   err=True)
    if fmt == "json":
        emit_json([{"ts": p.ts.replace(tzinfo=dt.UTC).isoformat(), "column": p.column or None,
                    "metric": p.metric, "granularity": p.granularity,
                    "value": p.value_text if p.value_text else p.value} for p in points])
        return
    rows: list[tuple[Any, ...]] = [
        (p.ts, p.granularity, p.column or "(table)", p.metric,
         p.value_text if p.value_text else p.value) for p in points]
    if not rows:
        console().print(f"no stored metrics for {table!r} match; run `dq-monitor run --table "
                        f"{table}` first")
        return
    render_table(f"history of {table}", ("time (UTC)", "granularity", "column", "metric",
                                         "value"), rows)


def _check_series(stored: list[tuple[str, str]], table: str, metric: str | None,
                  column: str | None) -> None:
    """--metric and --column must name something stored (once the table has history)."""
    if not stored:
        return  # never run: the empty result says how to fill it
    if metric and metric not in {m for _, m in stored}:
        known = ", ".join(sorted({m for _, m in stored}))
        raise click.BadParameter(f"table {table!r} has no stored metric {metric!r} "
                                 f"(stored: {known})", param_hint="'--metric'")
    if column and column not in {c for c, _ in stored}:
        known = ", ".join(sorted({c for c, _ in stored if c})) or "none"
        raise click.BadParameter(f"table {table!r} has no stored metrics for column "
                                 f"{column!r} (columns: {known})", param_hint="'--column'")
    if metric and column and (column, metric) not in stored:
        known = ", ".join(sorted(m for c, m in stored if c == column))
        raise click.BadParameter(f"column {column!r} of {table!r} has no stored metric "
                                 f"{metric!r} (its metrics: {known})", param_hint="'--metric'")

