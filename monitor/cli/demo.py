"""``demo``: the whole product on the embedded sample, in one command."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.common import console
from monitor.cli.profiling import print_profile, print_results
from monitor.demo import run_demo


@click.command("demo")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("dq-monitor-demo"), show_default=True,
              help="Folder for the demo's config, sample warehouse and metric store.")
def demo_cmd(directory: Path) -> None:
    """Build the sample warehouse, profile and store every table, print the profiles."""
    out = console()
    out.print(f"[bold]dq-monitor demo[/bold] in {directory.resolve()}")
    with out.status("building the sample warehouse and profiling it ..."):
        report = run_demo(directory)
    print_results(report.results)
    for profile in report.profiles:
        print_profile(profile)
    config = report.config_path
    out.print("\nTry next:")
    for command in (f"dq-monitor --config {config} history orders --metric row_count "
                    f"--granularity day",
                    f"dq-monitor --config {config} profile events --format json",
                    f"dq-monitor --config {config} run"):
        out.print(f"  {command}")
    if any(not r.ok for r in report.results):
        raise click.exceptions.Exit(1)


def register(group: click.Group) -> None:
    group.add_command(demo_cmd)
