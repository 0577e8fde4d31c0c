"""``gate``, ``ingest``, ``batches``, ``quarantine`` and ``sample-batches``.

Exit codes of ``gate`` and ``ingest``: 0 pass / published, 1 blocked, 2 could
not evaluate (bad config or file, warehouse or store down).
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from monitor import formatting
from monitor.cli.common import FORMAT_OPTION, CliState, console, emit_json, pass_state, render_table
from monitor.cli.exit_codes import for_verdict
from monitor.cli.sample import sample_path
from monitor.demo.batches import sample_batches_for
from monitor.gate.verdict import GateResult, check
from monitor.ingest.batch import MODES, IngestResult, ingest_file
from monitor.ingest.quarantine import read_quarantine
from monitor.metrics.profile import describe_table
from monitor.store.batches import batch_history


def print_gate(result: GateResult) -> None:
    """A verdict and its checks, failures first."""
    colour = "green" if result.passed else "red"
    console().print(f"[{colour}]{result.verdict.upper()}[/{colour}] {escape(result.summary)}")
    ordered = sorted(result.checks, key=lambda c: (c.passed, not c.blocking, c.check))
    rows = []
    for c in ordered:
        if not c.judged:
            mark = "skipped"
        else:
            mark = "pass" if c.passed else ("BLOCKS" if c in result.blocking else
                                            "quarantine" if c.row_level and c.blocking
                                            else c.severity)
        rows.append((mark, c.check, c.reason))
    render_table(None, ("result", "check", "reason"), rows)


@click.command("gate")
@click.option("--table", "table", required=True, help="The configured table to gate.")
@click.option("--suite", "suites", multiple=True, help="Only this suite (repeatable).")
@click.option("--reconcile", "reconcile", multiple=True, metavar="NAME",
              help="Also block when this reconcile entry's tables differ (repeatable).")
@click.option("--no-store", is_flag=True, help="Do not record the verdict.")
@FORMAT_OPTION
@pass_state
def gate_cmd(state: CliState, table: str, suites: tuple[str, ...], reconcile: tuple[str, ...],
             no_store: bool, fmt: str) -> None:
    """Gate TABLE: suites, volume of its newest batch, freshness. Exit 0 pass, 1 blocked."""
    result = check(table, context=state.context(), suites=suites or None, record=not no_store,
                   reconcile=reconcile)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        print_gate(result)
    if not result.passed:
        raise click.exceptions.Exit(for_verdict(result.passed))


def print_ingest(result: IngestResult) -> None:
    if result.status == "duplicate":
        console().print(escape(f"{result.source}: already ingested into {result.table} "
                               f"(batch {result.batch_id[:12]}); nothing new published"))
        return
    if result.gate is not None:
        print_gate(result.gate)
    console().print(escape(
        f"batch {result.batch_id[:12]} ({result.mode}): {result.status}; rows in "
        f"{formatting.number(result.rows_in)}, "
        f"published {formatting.number(result.rows_published)}, "
        f"quarantined {formatting.number(result.rows_quarantined)} "
        f"({formatting.duration(result.duration_seconds)})"))


@click.command("ingest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--into", "table", required=True, help="The configured target table.")
@click.option("--mode", type=click.Choice(MODES),
              help="all_or_nothing (default from the config) or publish_good.")
@click.option("--file-format", "file_format", type=click.Choice(["csv", "jsonl", "parquet"]),
              help="Default: from the file's suffix.")
@click.option("--delimiter", default=",", show_default=True, help="CSV field delimiter.")
@click.option("--suite", "suites", multiple=True, help="Gate with this suite (repeatable).")
@FORMAT_OPTION
@pass_state
def ingest_cmd(state: CliState, file: Path, table: str, mode: str | None,
               file_format: str | None, delimiter: str, suites: tuple[str, ...],
               fmt: str) -> None:
    """Load FILE into a staging table, gate it, and publish it into TABLE if it passes.

    Exit 0 published (or already published), 1 blocked, 2 bad file or warehouse down.
    """
    if len(delimiter) != 1:
        raise click.BadParameter("one character, such as ',' ';' '|' or '\\t'",
                                 param_hint="--delimiter")
    result = ingest_file(file, table, context=state.context(), mode=mode,  # type: ignore[arg-type]
                         fmt=file_format, delimiter=delimiter, suites=list(suites) or None)
    if fmt == "json":
        emit_json(result.to_dict())
    else:
        print_ingest(result)
    if result.exit_code:
        raise click.exceptions.Exit(result.exit_code)


@click.command("batches")
@click.argument("table", required=False)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@FORMAT_OPTION
@pass_state
def batches_cmd(state: CliState, table: str | None, limit: int, fmt: str) -> None:
    """Ingested batches (lineage), newest first."""
    if table:
        state.config.table(table)
    found = batch_history(state.context().store, table, limit=limit)
    if fmt == "json":
        emit_json([b.to_dict() for b in found])
        return
    render_table("batches", ("started (UTC)", "table", "batch", "status", "mode", "in",
                             "published", "quarantined", "source", "error"),
                 [(b.started_at, b.table, b.batch_id[:12], b.status, b.mode, b.rows_in,
                   b.rows_published, b.rows_quarantined, b.source_file, b.error or "")
                  for b in found])


@click.command("quarantine")
@click.argument("table")
@click.option("--batch", "batch_id", help="Only this batch (its id or a prefix of 12).")
@click.option("--limit", type=click.IntRange(1, 100_000), default=100, show_default=True)
@FORMAT_OPTION
@pass_state
def quarantine_cmd(state: CliState, table: str, batch_id: str | None, limit: int,
                   fmt: str) -> None:
    """Rows held in TABLE's quarantine, with the reasons."""
    table_cfg = state.config.table(table)
    warehouse = state.context().warehouse_for(table_cfg)
    frame = read_quarantine(warehouse, describe_table(warehouse, table_cfg))
    if batch_id:
        frame = frame[frame["dq_batch_id"].str.startswith(batch_id)]
    frame = frame.head(limit)
    if fmt == "json":
        emit_json(frame.astype(object).where(frame.notna(), None).to_dict("records"))
        return
    pii = table_cfg.pii_columns()
    shown = [c for c in frame.columns
             if c not in pii and c not in ("dq_raw", "dq_quarantined_at")]
    rows = frame[shown].astype(object).where(frame[shown].notna(), None)
    rows["dq_batch_id"] = rows["dq_batch_id"].str[:12]
    render_table(f"quarantine of {table} ({len(frame)} rows shown; pii columns hidden)",
                 [c.removeprefix("dq_") if c.startswith("dq_") else c for c in shown],
                 rows.itertuples(index=False))


@click.command("sample-batches")
@click.option("--warehouse", default="sample", show_default=True,
              help="The sample SQLite warehouse the files continue.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the files (default: batches/ beside the warehouse file).")
@pass_state
def sample_batches_cmd(state: CliState, warehouse: str, out: Path | None) -> None:
    """Write the sample ingestion scenario: good and bad files for the orders table."""
    path = sample_path(state, warehouse)
    if not path.exists():
        raise click.UsageError(f"{path} does not exist yet; run `dq-monitor sample` first")
    folder = out or path.parent / "batches"
    for item in sample_batches_for(path, folder):
        console().print(escape(f"{item.path}  ({item.expect}) {item.description}"))
    console().print(escape(f"try: dq-monitor ingest {folder / 'orders_good.csv'} --into orders"))

