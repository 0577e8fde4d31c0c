"""``backfill``, ``backtest``, ``anomalies`` and ``feedback``: history and its judgement."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
from monitor.detection import (
    SENSITIVITY_PRESETS,
    MetricKind,
    backtest,
    read_series_csv,
    sensitivity_sweep,
)
from monitor.detection.feedback import LABELS, label_point
from monitor.detection.watch import watches_for
from monitor.metrics.segments import readable_column
from monitor.run.backfill import backfill
from monitor.run.detect import series_from_points
from monitor.store.detections import list_detections, load_history

CSV_KINDS = ("volume", "null_rate", "freshness", "level")


@click.command("backfill")
@click.argument("table")
@click.option("--since", type=TIME, required=True, help="First bucket to compute.")
@click.option("--until", type=TIME, help="End (exclusive); default: now.")
@pass_state
def backfill_cmd(state: CliState, table: str, since: dt.datetime,
                 until: dt.datetime | None) -> None:
    """Compute TABLE's bucketed metrics for past buckets and judge the whole history."""
    ctx = state.context()
    table_cfg = state.config.table(table)
    with Progress(TextColumn(f"backfill {table}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console(), transient=True,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("buckets", total=None)
        result = backfill(ctx, table_cfg, since=since, until=until,
                          progress=lambda done, total: bar.update(task, completed=done,
                                                                  total=total))
    console().print(f"{table}: {result.buckets} buckets, "
                    f"{formatting.number(result.points)} points, "
                    f"{formatting.number(result.detections)} points judged, "
                    f"{result.anomalies} anomalies in {formatting.duration(result.seconds)}")


def _csv_backtest(path: Path, metric: str, fmt: str) -> None:
    series = read_series_csv(path)
    kind = MetricKind.parse(metric)
    records = backtest(series, kind)
    if fmt == "json":
        emit_json([{k: r[k] for k in ("timestamp", "value", "expected", "lower", "upper",
                                       "score", "is_anomaly", "state", "reason")}
                   for r in records])
        return
    sweep = sensitivity_sweep(series, kind)
    flagged = [r for r in records if r["is_anomaly"]]
    render_table(f"{path}: {len(records)} points, {len(flagged)} anomalies ({kind.value})",
                 ("time", "value", "expected", "band", "score", "reason"),
                 [(r["timestamp"], r["value"], r["expected"], _band(r), r["score"], r["reason"])
                  for r in flagged])
    console().print("alerts by sensitivity: " + ", ".join(f"{k} {v}" for k, v in sweep.items()))


def _band(record: dict[str, Any]) -> str:
    low, high, metric = record.get("lower"), record.get("upper"), record.get("metric")
    if low is None and high is None:
        return formatting.MISSING
    return f"{formatting.measure(low, metric)} .. {formatting.measure(high, metric)}"


@click.command("backtest")
@click.argument("table", required=False)
@click.option("--input", "input_path", type=click.Path(dir_okay=False, path_type=Path),
              help="A CSV of timestamp,value to judge instead of a table's history.")
@click.option("--metric", type=click.Choice(CSV_KINDS),
              help="What the CSV measures (with --input).")
@FORMAT_OPTION
@pass_state
def backtest_cmd(state: CliState, table: str | None, input_path: Path | None,
                 metric: str | None, fmt: str) -> None:
    """Run the detectors walk-forward over a CSV or a table's stored history.

    Each point is judged only on the points before it. For a table, also shows how
    many alerts each sensitivity would have raised, to tune before alerting.
    """
    if input_path is not None:
        if table:
            raise click.UsageError("give either TABLE or --input FILE.csv, not both")
        if not metric:
            raise click.UsageError("--input needs --metric volume|null_rate|freshness|level")
        _csv_backtest(input_path, metric, fmt)
        return
    if not table:
        raise click.UsageError("give TABLE, or --input FILE.csv --metric KIND")
    ctx = state.context()
    table_cfg = state.config.table(table)
    # The columns that have stored history: every profile and backfill stores a null
    # rate per column (only runs store a schema snapshot).
    columns = sorted({p.column for p in ctx.store.points(table, metric="null_rate")})
    watches = watches_for(table_cfg, columns)
    history = load_history(ctx.store, table, [w.key for w in watches], snapshot_points=100_000)
    if not any(history.values()):
        raise click.UsageError(f"no stored history for {table!r}; run `dq-monitor run --table "
                               f"{table}` or `dq-monitor backfill {table} --since DATE` first")
    records: list[dict[str, Any]] = []
    sweeps = []
    for watch in watches:
        points = history.get(watch.key) or []
        if not points:
            continue
        series = series_from_points(points, {})
        for record in backtest(series, watch.kind, watch.settings, sla_seconds=watch.sla_seconds):
            records.append({"metric": watch.metric, "column": watch.column or None,
                            "granularity": watch.granularity, **record})
        sweep = sensitivity_sweep(series, watch.kind, watch.settings,
                                  sla_seconds=watch.sla_seconds)
        sweeps.append({"metric": watch.metric, "column": watch.column or None,
                       "granularity": watch.granularity, "points": len(series), **sweep})
    if fmt == "json":
        emit_json({"table": table, "records": records, "alerts_by_sensitivity": sweeps})
        return
    flagged = [r for r in records if r["is_anomaly"]]
    render_table(f"{table}: {formatting.number(len(records))} points judged, "
                 f"{len(flagged)} anomalies",
                 ("time", "metric", "column", "value", "expected", "band", "reason"),
                 [(r["timestamp"], r["metric"], r["column"] or "",
                   formatting.measure(r["value"], r["metric"]),
                   formatting.measure(r["expected"], r["metric"]), _band(r), r["reason"])
                  for r in flagged])
    presets = list(SENSITIVITY_PRESETS)
    render_table("alerts each sensitivity would have raised",
                 ("metric", "column", "points", *presets),
                 [(s["metric"], s["column"] or "", s["points"], *(s[p] for p in presets))
                  for s in sweeps])


@click.command("anomalies")
@click.argument("table", required=False)
@click.option("--since", type=TIME, help="Detections at or after this time.")
@click.option("--all", "show_all", is_flag=True, help="Every judged point, not only anomalies.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=200, show_default=True)
@FORMAT_OPTION
@pass_state
def anomalies_cmd(state: CliState, table: str | None, since: dt.datetime | None,
                  show_all: bool, limit: int, fmt: str) -> None:
    """List stored detections with their expected band, reason and status."""
    if table:
        state.config.table(table)
    rows = list_detections(state.context().store, table, since=since,
                           anomalies_only=not show_all, limit=limit)
    if fmt == "json":
        emit_json([r.to_dict() for r in rows])
        return
    if not rows:
        console().print("no anomalies stored" + (f" for {table!r}" if table else ""))
        return
    render_table("anomalies" if not show_all else "detections",
                 ("time (UTC)", "table", "metric", "column", "value", "expected", "band",
                  "severity", "status", "reason"),
                 [(r.ts, r.table, r.metric, readable_column(r.column),
                   formatting.measure(r.value, r.metric),
                   formatting.measure(r.expected, r.metric),
                   _band({"lower": r.lower, "upper": r.upper, "metric": r.metric}), r.severity,
                   r.status, r.reason)
                  for r in rows])


@click.command("feedback")
@click.argument("table")
@click.argument("metric")
@click.option("--at", "at", type=TIME, required=True, help="The point's time (bucket start).")
@click.option("--label", type=click.Choice(LABELS), required=True,
              help="expected: not a problem, rejoins training; incident: stays out of it.")
@click.option("--column", default="", help="The column, for column metrics.")
@click.option("--granularity", type=click.Choice(["snapshot", "hour", "day"]))
@click.option("--note", help="Why (shown in the dashboard).")
@click.option("--by", "author", help="Who says so.")
@pass_state
def feedback_cmd(state: CliState, table: str, metric: str, at: dt.datetime, label: str,
                 column: str, granularity: str | None, note: str | None,
                 author: str | None) -> None:
    """Label a detected point of TABLE's METRIC as expected or as an incident."""
    state.config.table(table)
    stored = label_point(state.context().store, table, metric, at=at, label=label,
                         column=column, granularity=granularity, note=note, author=author)
    what = f"{metric}" + (f" of {column}" if column else "")
    console().print(f"{table}: {what} at {stored.ts:%Y-%m-%d %H:%M} ({stored.granularity}) "
                    f"labelled {label}")

