"""The ``dq-monitor`` command.

Each command group lives in its own module and is listed in ``COMMANDS``.
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
from monitor.cli import (
    alerts,
    dashboard,
    demo,
    detection,
    gate,
    profiling,
    sample,
    serve,
    suites,
)
from monitor.cli.common import CliState
from monitor.cli.exit_codes import for_error
from monitor.errors import ExitCode, MonitorError
from monitor.logs import configure_logging
from monitor.secrets import redact

#: Modules that add commands to the group, each through ``register(group)``.
COMMANDS = (profiling, detection, sample, demo, alerts, serve, dashboard, suites, gate)


@click.group(context_settings={"help_option_names": ["-h", "--help"],
                               "max_content_width": 100})
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
    configure_logging(log_level, log_format)  # type: ignore[arg-type]
    ctx.obj = CliState(config_path=config_path, extras={"debug": debug})


for _module in COMMANDS:
    _module.register(cli)


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
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return ExitCode.INTERRUPTED
    except Exception as error:  # a bug: say so plainly, details on request
        logging.getLogger("monitor").debug("internal error", exc_info=True)
        click.echo(f"internal error ({type(error).__name__}): {redact(str(error))}\n"
                   "This is a bug in dq-monitor; run with --debug for the traceback.",
                   err=True)
        if "--debug" in (argv if argv is not None else sys.argv):
            traceback.print_exc()
        return for_error(error)
