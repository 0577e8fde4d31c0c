"""``serve`` and ``status``: the scheduler service and the report on how it is doing."""

from __future__ import annotations

import logging
import os
from typing import Any

import click

from monitor import formatting
from monitor.cli.common import FORMAT_OPTION, CliState, console, emit_json, pass_state, render_table
from monitor.cli.exit_codes import for_verdict
from monitor.config.durations import parse_duration
from monitor.config.models import load_config
from monitor.run.spool import Spool
from monitor.run.status import StatusReport, collect_status
from monitor.serve.service import Service


@click.command("serve")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus /metrics, /healthz and /readyz on this port "
                   "(overrides scheduler.metrics_port).")
@pass_state
def serve_cmd(state: CliState, metrics_port: int | None) -> None:
    """Run every table on its schedule until SIGTERM or SIGINT (SIGHUP reloads the config).

    Jobs are kept in the metric store, so a restart keeps the schedules and
    runs what it missed once. Replicas on a PostgreSQL store elect one that
    schedules. See docs/service.md for metrics, health, replicas and systemd.
    """
    path = state.config_path
    service = Service(state.config, load=lambda: load_config(path), metrics_port=metrics_port)
    code = service.run()
    if service.active_runs:
        # Runs that did not finish in the grace time were marked interrupted; their
        # threads may sit in a warehouse query, so leave without waiting for them.
        logging.shutdown()
        os._exit(code)
    if code:
        raise click.exceptions.Exit(code)


def _when(value: Any) -> str:
    return formatting.text(value)


def print_status(report: StatusReport) -> None:
    """Every table's status as a readable table."""
    rows = []
    for t in report.tables:
        state = t.state
        if t.overdue:
            state = f"OVERDUE by {formatting.duration(t.overdue_seconds)}"
        elif t.consecutive_failures > 1:
            state = f"{state} ({t.consecutive_failures} in a row)"
        duration = formatting.duration(t.last_duration)
        rows.append((t.table, t.schedule, state, _when(t.last_run_at), t.last_status, duration,
                     _when(t.next_run_at), t.runs, t.failures, t.retries,
                     (t.last_error or "")[:120]))
    window = formatting.duration(report.window_seconds)
    caption = f"times in UTC; runs, failures and retries over the last {window}"
    if report.spooled_runs:
        caption += f"; {report.spooled_runs} run(s) wait in the spool for the metric store"
    render_table(f"dq-monitor status at {_when(report.generated_at)} UTC",
                 ("table", "schedule", "state", "last run", "status", "took", "next run",
                  "runs", "failures", "retries", "last error"), rows, caption=caption)
    for run in report.interrupted:  # of any kind; their process died before they finished
        console().print(f"interrupted: {run.run_id} ({run.kind}) started "
                        f"{_when(run.started_at)} on {run.host or '?'}: {run.error or ''}",
                        markup=False)
    problems = report.problems
    if problems:
        console().print(f"[red]{len(problems)} of {len(report.tables)} tables need "
                        f"attention[/red]")


@click.command("status")
@click.option("--window", default="24h", show_default=True,
              help="Count runs, failures and retries over this past duration.")
@FORMAT_OPTION
@pass_state
def status_cmd(state: CliState, window: str, fmt: str) -> None:
    """Show each table's schedule, last and next run, failures, and overdue jobs.

    Exit code 1 when a table is overdue or its last run failed, was
    interrupted or lost, so the command can itself be monitored.
    """
    try:
        seconds = parse_duration(window)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--window") from None
    config = state.config
    report = collect_status(config, state.context().store, window=seconds,
                            spool=Spool.for_config(config))
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        print_status(report)
    if report.problems:
        raise click.exceptions.Exit(for_verdict(not report.problems))

