"""Scale of one ``dq-monitor serve``: 1,000 tables on 15-minute schedules for 30 minutes.

Creates TABLES small tables in a PostgreSQL schema of its own (and a metric
store database of its own), runs ``python -m monitor --config X serve`` as a
subprocess with every table on ``every INTERVAL`` for MINUTES, samples the
process's memory (VmRSS) and the connections of the service (pg_stat_activity,
by an application name unique to this run) every few seconds, and reports:
runs expected, completed, missed (a run time in the window that never ran) and
failed; start delay (started_at - scheduled time) median, p95 and max; peak
connections; memory over time (one line per tenth of the run).

    python tests/benchmarks/bench_scale.py                         # 1000 tables, 15m, 30 min
    python tests/benchmarks/bench_scale.py --tables 200 --minutes 5 --compress 6
    nice -n 10 python tests/benchmarks/bench_scale.py --csv /tmp/rss.csv

``--compress F`` divides both the schedule and the length by F (a 15-minute
schedule for 30 minutes becomes 2.5 minutes for 5 with F=6): the same number
of runs per table in less wall time, at F times the rate. The real figure is
the uncompressed run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_serve import percentile, proc_status, with_app_name  # noqa: E402

from monitor.config.durations import parse_schedule  # noqa: E402
from monitor.serve.scheduling import trigger_for  # noqa: E402
from monitor.store import open_store, schema  # noqa: E402
from tests.helpers.postgres import base_url, temporary_database, temporary_schema  # noqa: E402

UTC = dt.UTC
SAMPLE_SECONDS = 5.0


def create_tables(schema_name: str, count: int, rows: int) -> None:
    """``count`` tables of ``rows`` rows (id, amount, label, created_at), in one transaction."""
    engine = sa.create_engine(base_url())
    with engine.begin() as conn:
        for i in range(count):
            conn.execute(sa.text(
                f'CREATE TABLE "{schema_name}"."t{i:04d}" AS SELECT g AS id, '
                f"(g * 1.5)::float8 AS amount, 'label' || (g % 7) AS label, "
                f"now() - g * interval '1 minute' AS created_at "
                f"FROM generate_series(1, {rows}) g"))
    engine.dispose()


def connection_count(engine: sa.Engine, app_prefix: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE :p"),
            {"p": f"{app_prefix}%"}).scalar() or 0)


def expected_run_times(names: list[str], interval: float, start: dt.datetime,
                       horizon: dt.datetime) -> set[tuple[str, dt.datetime]]:
    """Every (table, run time) with start < run time < horizon (naive UTC, as stored)."""
    schedule = parse_schedule(f"every {int(interval)}s")
    out: set[tuple[str, dt.datetime]] = set()
    for name in names:
        trigger = trigger_for(schedule, name)
        moment = start + dt.timedelta(seconds=1)
        while (moment := trigger.get_next_fire_time(None, moment)) < horizon:
            out.add((name, moment.replace(tzinfo=None)))
            moment += dt.timedelta(seconds=1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=900.0, help="seconds between runs")
    parser.add_argument("--minutes", type=float, default=30.0, help="minutes of serving")
    parser.add_argument("--compress", type=float, default=1.0,
                        help="divide the interval and the length by this factor")
    parser.add_argument("--rows", type=int, default=1000, help="rows per table")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--csv", type=Path, help="write the memory samples here")
    args = parser.parse_args()
    interval = max(1.0, args.interval / args.compress)
    duration = args.minutes * 60.0 / args.compress
    app = f"dqscale{uuid.uuid4().hex[:6]}-"

    with tempfile.TemporaryDirectory() as tmp, temporary_schema("dq_scale") as wh_schema, \
            temporary_database("dq_scale_store") as store_url:
        print(f"creating {args.tables} tables of {args.rows} rows in schema {wh_schema} ...",
              flush=True)
        create_tables(wh_schema, args.tables, args.rows)
        names = [f"t{i:04d}" for i in range(args.tables)]
        config_path = Path(tmp) / "monitor.yaml"
        config_path.write_text(yaml.safe_dump({
            "store": with_app_name(store_url, app + "store"),
            "warehouses": {"pg": {"url": with_app_name(base_url(), app + "wh"),
                                  "query_timeout": 60}},
            "default_schedule": f"every {int(interval)}s",
            "scheduler": {"workers": args.workers, "misfire_grace": "5m",
                          "shutdown_grace": "60s"},
            "tables": [{"name": n, "warehouse": "pg", "table": n, "schema": wh_schema}
                       for n in names]}))
        watcher = sa.create_engine(base_url(), poolclass=sa.pool.NullPool)
        log_path = Path(tmp) / "serve.log"
        samples: list[tuple[float, float, int]] = []  # (seconds, RSS MiB, connections)
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "--config", str(config_path), "--log-level",
                 "INFO", "serve"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
            started = dt.datetime.now(UTC)
            print(f"serving {args.tables} tables every {interval:.0f}s for {duration:.0f}s "
                  f"(pid {process.pid}) ...", flush=True)
            began = time.monotonic()
            while time.monotonic() - began < duration and process.poll() is None:
                rss = proc_status(process.pid).get("VmRSS", 0) / 1024
                samples.append((time.monotonic() - began, rss, connection_count(watcher, app)))
                time.sleep(SAMPLE_SECONDS)
            hwm = proc_status(process.pid).get("VmHWM", 0) / 1024
            stopped = dt.datetime.now(UTC)
            process.send_signal(signal.SIGTERM)
            code = process.wait(180)
        watcher.dispose()
        text = log_path.read_text(errors="replace")
        store = open_store(store_url)
        with store.connect() as conn:
            runs = conn.execute(sa.select(schema.runs)).mappings().all()
        store.dispose()

    # Run times due from the moment the jobs exist ("serving N table(s)" in the log: a
    # fresh job store schedules each job from then on) to a margin before the stop.
    first = re.search(r"^(\S+ \S+) INFO +monitor.serve.service: serving", text, re.M)
    serving_from = (dt.datetime.fromisoformat(first.group(1)).replace(tzinfo=UTC)
                    if first else started)
    horizon = stopped - dt.timedelta(seconds=min(interval, 60.0))
    expected = expected_run_times(names, interval, serving_from, horizon)
    recorded = {(r["table_name"], r["scheduled_at"]) for r in runs if r["scheduled_at"]}
    completed = [r for r in runs if r["status"] == "success"]
    failed = [r for r in runs if r["status"] not in ("success", "running")]
    delays = [(r["started_at"] - r["scheduled_at"]).total_seconds()
              for r in completed if r["scheduled_at"]]
    durations = [r["duration_seconds"] for r in completed if r["duration_seconds"] is not None]
    missed = expected - recorded

    print()
    print(f"tables {args.tables}, every {interval:.0f}s, served {duration:.0f}s "
          f"(compress {args.compress:g}), {args.workers} workers, {args.rows} rows each; "
          f"serve exit code {code}; pid niceness {os.nice(0)}")
    waited = (serving_from - started).total_seconds()
    print(f"jobs scheduled after                     {waited:.1f}s (start-up)")
    print(f"runs expected (run times in the window)  {len(expected)}")
    print(f"runs completed                           {len(completed)}")
    print(f"runs missed (expected, never run)        {len(missed)}  "
          f"(misfire log lines {text.count('missed by')})")
    print(f"runs failed/partial/lost/interrupted     {len(failed)}")
    if durations:
        print(f"run duration   median {statistics.median(durations):.3f}s  "
              f"p95 {percentile(durations, 0.95):.3f}s  max {max(durations):.3f}s")
    if delays:
        print(f"start delay    median {statistics.median(delays):.3f}s  "
              f"p95 {percentile(delays, 0.95):.3f}s  max {max(delays):.3f}s")
    print(f"peak connections (warehouse + store)     {max((c for *_, c in samples), default=0)}")
    print(f"peak memory (VmHWM)                      {hwm:.1f} MiB")
    print("memory over time (VmRSS):")
    step = max(1, len(samples) // 10)
    for seconds, rss, conns in samples[::step] + samples[-1:]:
        print(f"  {seconds / 60:6.1f} min  {rss:7.1f} MiB  {conns:3d} connections")
    if args.csv:
        args.csv.write_text("seconds,rss_mib,connections\n" + "".join(
            f"{s:.1f},{r:.1f},{c}\n" for s, r, c in samples))
    if failed:
        print("first failures:", [(r["table_name"], r["status"], r["error"]) for r in failed[:3]])
    if missed:
        print("first missed:", sorted(missed)[:3])
    tail = [line for line in text.splitlines() if re.search(r"ERROR|CRITICAL", line)]
    if tail:
        print(f"{len(tail)} error log lines, first: {tail[0]}")
    return 0 if code == 0 and not failed and not missed else 1


if __name__ == "__main__":
    sys.exit(main())
