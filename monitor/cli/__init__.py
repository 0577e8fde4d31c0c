"""The ``dq-monitor`` command.

Each command group lives in its own module and is listed in ``COMMANDS``, which names the
module without importing it (``monitor.cli.lazy_group``): ``--help`` imports no command, and
a command imports only its own module.
Exit codes (``monitor.cli.exit_codes``, docs/exit-codes.md): 0 ok, 1 checks
failed / blocked / critical finding, 2 bad input, config or infrastructure
(the message names the file, key or object), 3 a bug.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Sequence

import click

from monitor import __version__
from monitor.cli.exit_codes import for_error
from monitor.cli.lazy_group import LazyCommand, LazyGroup
from monitor.config.secrets import redact
from monitor.errors import ExitCode, MonitorError
from monitor.logs import configure_logging
from monitor.optional import missing_extra

#: Every command: its name, the module that defines it (imported only when the command runs,
#: so that ``--help`` and each command load only what they use), and its ``--help`` line
#: (the first sentence of its docstring; tests/cli/test_lazy_group.py keeps them equal).
COMMANDS = (
    LazyCommand("alerts", "monitor.cli.alerts", "alerts_group",
                "The alert outbox: list, deliver, and resend dead letters."),
    LazyCommand("anomalies", "monitor.cli.detection", "anomalies_cmd",
                "List stored detections with their expected band, reason and status."),
    LazyCommand("backfill", "monitor.cli.detection", "backfill_cmd",
                "Compute TABLE's bucketed metrics for past buckets and judge the whole history."),
    LazyCommand("backtest", "monitor.cli.detection", "backtest_cmd",
                "Run the detectors walk-forward over a CSV or a table's stored history."),
    LazyCommand("batches", "monitor.cli.gate", "batches_cmd",
                "Ingested batches (lineage), newest first."),
    LazyCommand("dashboard", "monitor.cli.dashboard", "dashboard_cmd",
                "Serve the dashboard: table health, trends with their expected band, incidents, "
                "runs."),
    LazyCommand("demo", "monitor.cli.demo", "demo_cmd",
                "Build a sample warehouse with incidents, monitor 90 days of it, show what was "
                "found."),
    LazyCommand("feedback", "monitor.cli.detection", "feedback_cmd",
                "Label a detected point of TABLE's METRIC as expected or as an incident."),
    LazyCommand("gate", "monitor.cli.gate", "gate_cmd",
                "Gate TABLE: suites, volume of its newest batch, freshness."),
    LazyCommand("history", "monitor.cli.profiling", "history_cmd",
                "Print the stored metric history of TABLE (the newest --limit points)."),
    LazyCommand("incidents", "monitor.cli.alerts", "incidents_group",
                "Incidents: list them, acknowledge, resolve or mute them."),
    LazyCommand("ingest", "monitor.cli.gate", "ingest_cmd",
                "Load FILE into a staging table, gate it, and publish it into TABLE if it passes."),
    LazyCommand("init", "monitor.cli.init", "init_cmd",
                "Write config entries for a warehouse's tables or a dbt project's models and "
                "sources."),
    LazyCommand("mute", "monitor.cli.alerts", "mute_cmd",
                "Silence every alert of TABLE for a while (replaces an earlier mute)."),
    LazyCommand("mutes", "monitor.cli.alerts", "mutes_cmd", "List the tables muted now."),
    LazyCommand("profile", "monitor.cli.profiling", "profile_cmd",
                "Profile TABLE now (one scan) and print it; nothing is stored."),
    LazyCommand("quarantine", "monitor.cli.gate", "quarantine_cmd",
                "Rows held in TABLE's quarantine, with the reasons."),
    LazyCommand("reconcile", "monitor.cli.reconcile", "reconcile_cmd",
                "Compare the reconcile entry NAME's source and target: counts, sums, missing "
                "keys."),
    LazyCommand("run", "monitor.cli.profiling", "run_cmd",
                "Profile, validate, detect and alert; store the results."),
    LazyCommand("sample", "monitor.cli.sample", "sample_cmd",
                "(Re)create the sample warehouse: customers, orders and events."),
    LazyCommand("sample-batches", "monitor.cli.gate", "sample_batches_cmd",
                "Write the sample ingestion scenario: good and bad files for the orders table."),
    LazyCommand("serve", "monitor.cli.serve", "serve_cmd",
                "Run every table on its schedule until SIGTERM or SIGINT (SIGHUP reloads the "
                "config)."),
    LazyCommand("status", "monitor.cli.serve", "status_cmd",
                "Show each table's schedule, last and next run, failures, and overdue jobs."),
    LazyCommand("suites", "monitor.cli.suites", "suites_group",
                "Expectation suites (GX 1.x JSON files in the expectations folder)."),
    LazyCommand("unmute", "monitor.cli.alerts", "unmute_cmd", "Lift TABLE's mute."),
    LazyCommand("validate", "monitor.cli.suites", "validate_cmd",
                "Validate TABLE against its suites, print the report and store it."),
)


@click.group(cls=LazyGroup, lazy=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Config file (default: $DQ_MONITOR_CONFIG, then config/monitor.yaml).")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False))
@click.option("--log-format", default="text", show_default=True,
              type=click.Choice(["text", "json"]), help="json: one object per line.")
@click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")
@click.version_option(__version__, prog_name="dq-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, log_level: str, log_format: str,
        debug: bool) -> None:
    """dq-monitor: profile warehouse tables, check them, and alert when data breaks."""
    from monitor.cli.common import CliState

    configure_logging(log_level, log_format)  # type: ignore[arg-type]
    ctx.obj = CliState(config_path=config_path, extras={"debug": debug})


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None,
                        prog_name="dq-monitor", standalone_mode=False)
        return int(code or 0)
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.ClickException as error:
        error.show()
        return ExitCode.BAD_INPUT
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return ExitCode.INTERRUPTED
    except MonitorError as error:
        click.echo(f"error: {redact(str(error))}", err=True)
        return for_error(error)
    except ImportError as error:
        missing = missing_extra(error)
        if missing is None:
            return _bug(error, argv)
        click.echo(f"error: {missing}", err=True)
        return for_error(missing)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return ExitCode.INTERRUPTED
    except Exception as error:  # noqa: BLE001 - a bug: say so plainly, details on request
        return _bug(error, argv)


def _bug(error: Exception, argv: Sequence[str] | None) -> int:
    logging.getLogger("monitor").debug("internal error", exc_info=True)
    click.echo(f"internal error ({type(error).__name__}): {redact(str(error))}\n"
               "This is a bug in dq-monitor; run with --debug for the traceback.",
               err=True)
    if "--debug" in (argv if argv is not None else sys.argv):
        traceback.print_exc()
    return for_error(error)
