"""``suites suggest TABLE [--write]``: draft a suite from the stored profile and history.

Reads the metric store only (no warehouse query). Without ``--write`` the draft is
printed, with a diff against the suite file of that name if there is one; ``--write``
saves it in the expectations folder (``--force`` to replace a file). Exit 2 for an
unknown table or a table with no stored profile yet.
"""

from __future__ import annotations

import difflib

import click
from rich.markup import escape

from monitor.cli.common import CliState, console, pass_state
from monitor.errors import InputError
from monitor.validation.suggest import suggest_suite, suite_text
from monitor.validation.suites import SUITE_SUFFIX


@click.command("suggest")
@click.argument("table")
@click.option("--name", help="Name of the suite (default: the table's name).")
@click.option("--write", is_flag=True, help="Save the suite file in the expectations folder.")
@click.option("--force", is_flag=True, help="With --write, replace an existing suite file.")
@pass_state
def suggest_cmd(state: CliState, table: str, name: str | None, write: bool,
                force: bool) -> None:
    """Draft a suite for TABLE from its stored profile and history.

    Not-null, ranges from observed quantiles (or min/max) with a margin, value sets
    of low-cardinality text columns, uniqueness; each with its evidence in ``meta``.
    """
    config = state.config
    table_cfg = config.table(table)  # exit 2 naming the known tables
    store = state.context().store  # a store not created yet is an empty one
    grain = table_cfg.bucket or "snapshot"
    points = store.points(table_cfg.name, granularity=grain)
    if not any(p.metric == "row_count" and p.column == "" and p.value for p in points):
        raise InputError(f"table {table!r} has no stored {grain} profile in the metric store "
                         f"yet: run `dq-monitor run {table}` first (or `dq-monitor backfill "
                         f"{table}` for its history)")
    snapshots = store.schema_snapshots(table_cfg.name, limit=1)
    columns = snapshots[0][1] if snapshots else sorted(
        {(p.column, "") for p in points if p.column})
    suite_name = name or table_cfg.name
    text = suite_text(suggest_suite(suite_name, points, columns, granularity=grain))
    path = config.expectations_path().resolve() / f"{suite_name}{SUITE_SUFFIX}"
    if not write:
        click.echo(text, nl=False)
        if path.is_file():
            old = path.read_text(encoding="utf-8").splitlines(keepends=True)
            diff = "".join(difflib.unified_diff(old, text.splitlines(keepends=True),
                                                fromfile=str(path), tofile="suggested"))
            click.echo(f"\n# diff against {path}:\n{diff or '(no difference)'}", err=True)
        return
    if path.exists() and not force:
        raise InputError(f"{path} exists: pass --force to replace it, or --name for another "
                         f"suite")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    count = text.count('"type": "expect_')
    hint = ("" if suite_name in table_cfg.suites else
            f"; add it to table {table!r} in {config.source}: suites: [{suite_name}]")
    console().print(escape(f"wrote {path} ({count} expectations, severity warning){hint}"))
