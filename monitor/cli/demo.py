"""``demo``: the whole product on the embedded sample, in one command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.alerts.check_names import check_name
from monitor.cli.common import console, render_table
from monitor.cli.dashboard import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    app_path,
    port_in_use,
    streamlit_command,
)
from monitor.cli.profiling import print_results
from monitor.demo.run import DemoReport, run_demo
from monitor.metrics.segments import readable_column
from monitor.run.findings import SEVERITY_ORDER


def print_summary(report: DemoReport) -> None:
    """What the demo found, against what it injected; false alarms listed honestly."""
    out = console()
    print_results(report.results)
    render_table(
        f"injected incidents: {report.caught} of {len(report.checks)} caught by the detectors "
        f"(default settings)",
        ("day", "table", "incident", "caught", "what dq-monitor said"),
        [(c.incident.day, c.incident.table, c.incident.description,
          "yes" if c.caught else "NO", c.evidence) for c in report.checks])
    if report.false_alarms:
        render_table(f"false alarms: {len(report.false_alarms)} anomalies that match no "
                     f"injected incident",
                     ("time", "table", "metric", "column", "reason"),
                     [(a.ts, a.table, a.metric, readable_column(a.column), a.reason)
                      for a in report.false_alarms])
    else:
        out.print("false alarms: none (no anomaly outside the injected incidents)")
    failing = sorted((f for f in report.findings if f.failing),
                     key=lambda f: (SEVERITY_ORDER[f.severity], f.table, f.check))
    if failing:
        render_table("alerts raised by today's run (sent to the console notifier; to Slack "
                     "when alerts.slack is configured)",
                     ("severity", "table", "check", "what is wrong"),
                     [(f.severity, f.table,
                       check_name(f.check, kind=f.kind, metric=f.metric, column=f.column),
                       f.reason) for f in failing])
    else:
        out.print("today's run raised no alerts")
    ingest = report.ingestion
    if ingest:
        render_table("gated ingestion (write-audit-publish)",
                     ("file", "into", "verdict", "published", "quarantined", "why"),
                     [(i.file, i.table, i.verdict, i.published, i.quarantined, i.reason)
                      for i in ingest])
    config = report.config_path
    tables = report.backfill_runs // max(report.nights, 1)
    out.print(f"\nDone in {report.seconds:.1f}s: replayed {report.nights} nightly runs of "
              f"{tables} tables ({report.backfill_runs} table runs; the first one profiled "
              f"all {report.history_days} days of history), then this morning's run of every "
              f"step, then {len(ingest)} gated ingestions into today's bucket. Try next:")
    for command in (f"dq-monitor --config {config} anomalies",
                    f"dq-monitor --config {config} history orders --metric row_count "
                    f"--granularity day",
                    f"dq-monitor --config {config} backtest orders",
                    f"dq-monitor --config {config} incidents list",
                    f"dq-monitor --config {config} status",
                    f"dq-monitor --config {config} dashboard"):
        out.print(f"  {command}")


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dq-monitor-demo"), show_default=True,
              help="Folder for the demo's config, suites, sample warehouse and metric store.")
@click.option("--no-dashboard", is_flag=True, help="Stop after the summary.")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port of the dashboard.")
def demo_cmd(directory: Path, no_dashboard: bool, port: int) -> None:
    """Build a sample warehouse with incidents, monitor 90 days of it, show what was found.

    Then opens the dashboard on http://127.0.0.1:PORT (Ctrl+C stops it).
    """
    out = console()
    out.print(f"[bold]dq-monitor demo[/bold] in {directory.resolve()}")
    if not no_dashboard and port_in_use(DEFAULT_HOST, port):
        raise click.UsageError(f"port {port} is already in use; pass --port or --no-dashboard")
    with Progress(TextColumn("backfill: replaying the nightly runs"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=out,
                  disable=not sys.stderr.isatty() and not sys.stdout.isatty()) as bar:
        task = bar.add_task("days", total=None)
        report = run_demo(directory, progress=lambda done, total: bar.update(
            task, completed=done, total=total))
    print_summary(report)
    if no_dashboard:
        if report.caught < len(report.checks) or any(
                r.status != "success" for r in report.results):
            raise click.exceptions.Exit(1)
        return
    command = streamlit_command(app_path(), config_path=report.config_path.resolve(), port=port,
                                host=DEFAULT_HOST)
    out.print(f"\ndashboard on http://{DEFAULT_HOST}:{port} (Ctrl+C stops it)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)  # noqa: S606  (our own interpreter, arguments as a list)

