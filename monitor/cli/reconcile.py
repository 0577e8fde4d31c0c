"""``reconcile``: compare a source and a target table (counts, sums, keys).

Exit codes: 0 the tables match, 1 they differ, 2 bad config or a warehouse down.
"""

from __future__ import annotations

import click
from rich.markup import escape

from monitor import formatting
from monitor.cli.common import FORMAT_OPTION, CliState, console, emit_json, pass_state, render_table
from monitor.cli.exit_codes import for_verdict
from monitor.reconcile.result import ReconcileResult
from monitor.reconcile.run import reconcile_now


def print_reconcile(result: ReconcileResult) -> None:
    """The verdict, the buckets that differ, key samples and what finding them cost."""
    out = console()
    colour = "green" if result.matched else "red"
    word = "MATCH" if result.matched else "MISMATCH"
    out.print(f"[{colour}]{word}[/{colour}] {escape(result.name)}: {escape(result.reason)}")
    bad = result.mismatched_buckets
    if bad:
        render_table("buckets that differ", ("bucket", "source rows", "target rows", "sums"),
                     [(b.bucket or "table", b.source_rows, b.target_rows,
                       "; ".join(f"{c}: {formatting.number(s)} vs {formatting.number(t)}"
                                 for c, (s, t) in b.sums.items())) for b in bad])
    keys = result.keys
    if keys is not None:
        for what, sample, count in (("missing in the target", keys.missing, keys.missing_count),
                                    ("only in the target", keys.extra, keys.extra_count),
                                    ("with other values", keys.changed, keys.changed_count)):
            if count:
                out.print(escape(f"{count:,} key(s) {what}: "
                                 f"{', '.join(str(k) for k in sample)}"
                                 f"{' ...' if count > len(sample) else ''}"))
        out.print(escape(f"rows moved: {formatting.number(keys.rows_moved)} of "
                         f"{formatting.number(keys.table_rows)} ({keys.queries} queries, "
                         f"{keys.ranges_compared} key ranges compared, "
                         f"{formatting.duration(result.seconds)})"))


@click.command("reconcile")
@click.argument("name")
@click.option("--no-store", is_flag=True, help="Do not record the run.")
@FORMAT_OPTION
@pass_state
def reconcile_cmd(state: CliState, name: str, no_store: bool, fmt: str) -> None:
    """Compare the reconcile entry NAME's source and target: counts, sums, missing keys.

    Exit 0 they match, 1 they differ, 2 bad config or a warehouse down.
    """
    result = reconcile_now(state.context(), name, record=not no_store)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        print_reconcile(result)
    if not result.matched:
        raise click.exceptions.Exit(for_verdict(result.matched))
