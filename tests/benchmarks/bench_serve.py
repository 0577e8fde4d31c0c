"""Load check of ``dq-monitor serve``: many tables on a short interval, for a while.

Creates TABLES tables in a PostgreSQL schema of its own (and a metric store
database of its own), runs ``python -m monitor --config X serve`` as a
subprocess for DURATION seconds with every table on ``every INTERVAL``, and
reports runs completed, missed and failed, run latency (duration and start
delay after the scheduled time, median and p95), peak connections
(pg_stat_activity, by application name) and peak memory (VmHWM of the
process). The peer, in the same run: one ``run_tables`` pass over the same
tables in this process (what ``dq-monitor run`` from cron would do).

    .venv/bin/python tests/benchmarks/bench_serve.py                 # 200 tables, 1m, 10 min
    .venv/bin/python tests/benchmarks/bench_serve.py --tables 50 --interval 20 --duration 60
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
from pathlib import Path

import sqlalchemy as sa
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.config.durations import parse_schedule  # noqa: E402
from monitor.config.models import load_config  # noqa: E402
from monitor.run.context import MonitorContext  # noqa: E402
from monitor.run.runner import run_tables  # noqa: E402
from monitor.serve.scheduling import trigger_for  # noqa: E402
from monitor.store import open_store, schema  # noqa: E402
from tests.helpers.postgres import base_url, temporary_database, temporary_schema  # noqa: E402

UTC = dt.UTC


def with_app_name(url: str, name: str) -> str:
    return sa.engine.make_url(url).update_query_dict({"application_name": name}) \
        .render_as_string(hide_password=False)


def create_tables(schema_name: str, count: int, rows: int) -> None:
    engine = sa.create_engine(base_url())
    with engine.begin() as conn:
        for i in range(count):
            conn.execute(sa.text(
                f'CREATE TABLE "{schema_name}"."t{i:03d}" AS SELECT g AS id, '
                f"(g * 1.5)::float8 AS amount, 'label' || (g % 7) AS label, "
                f"now() - g * interval '1 minute' AS created_at "
                f"FROM generate_series(1, {rows}) g"))
    engine.dispose()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def connections(app_prefix: str) -> int:
    engine = sa.create_engine(base_url())
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE :p"),
                {"p": f"{app_prefix}%"}).scalar() or 0)
    finally:
        engine.dispose()


def proc_status(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])  # kB
    except OSError:
        pass
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--interval", type=int, default=60, help="seconds between runs")
    parser.add_argument("--duration", type=int, default=600, help="seconds of serving")
    parser.add_argument("--rows", type=int, default=1000, help="rows per table")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, temporary_schema("dq_bench") as wh_schema, \
            temporary_database("dq_bench_store") as store_url:
        print(f"creating {args.tables} tables of {args.rows} rows in schema {wh_schema} ...")
        create_tables(wh_schema, args.tables, args.rows)
        names = [f"t{i:03d}" for i in range(args.tables)]
        config_path = Path(tmp) / "monitor.yaml"
        config_path.write_text(yaml.safe_dump({
            "store": with_app_name(store_url, "dqbench-store"),
            "warehouses": {"pg": {"url": with_app_name(base_url(), "dqbench-wh"),
                                  "query_timeout": 60}},
            "default_schedule": f"every {args.interval}s",
            "scheduler": {"workers": args.workers, "misfire_grace": "5m",
                          "shutdown_grace": "30s"},
            "tables": [{"name": n, "warehouse": "pg", "table": n, "schema": wh_schema}
                       for n in names]}))

        # The peer: one pass over every table in this process (cron + dq-monitor run).
        peer_config = load_config(config_path).model_copy(
            update={"store": f"sqlite:///{Path(tmp) / 'peer.db'}"})
        ctx = MonitorContext(peer_config)
        began = time.perf_counter()
        peer = run_tables(ctx, peer_config.tables)
        peer_wall = time.perf_counter() - began
        peer_durations = [r.duration_seconds for r in peer]
        ctx.store.dispose()

        log_path = Path(tmp) / "serve.log"
        with open(log_path, "wb") as log:
            started = dt.datetime.now(UTC)
            process = subprocess.Popen(
                [sys.executable, "-m", "monitor", "--config", str(config_path), "--log-level",
                 "INFO", "serve"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
            print(f"serving for {args.duration}s (pid {process.pid}) ...")
            peak_conn, peak_rss, samples = 0, 0, 0
            deadline = time.monotonic() + args.duration
            while time.monotonic() < deadline and process.poll() is None:
                peak_conn = max(peak_conn, connections("dqbench-"))
                peak_rss = max(peak_rss, proc_status(process.pid).get("VmRSS", 0))
                samples += 1
                time.sleep(1.0)
            hwm = proc_status(process.pid).get("VmHWM", peak_rss)
            stopped = dt.datetime.now(UTC)
            process.send_signal(signal.SIGTERM)
            code = process.wait(120)
        text = log_path.read_text(errors="replace")

        store = open_store(store_url)
        with store.connect() as conn:
            runs = conn.execute(sa.select(schema.runs)).mappings().all()
        store.dispose()

    first = re.search(r"^(\S+ \S+) INFO +monitor.serve.service: serving", text, re.M)
    serving_from = (dt.datetime.fromisoformat(first.group(1)).replace(tzinfo=UTC)
                    if first else started)
    # Run times that should have run: from serving start to a margin before the stop.
    horizon = stopped - dt.timedelta(seconds=min(args.interval, 30))
    schedule = parse_schedule(f"every {args.interval}s")
    expected: set[tuple[str, dt.datetime]] = set()
    for name in names:
        trigger = trigger_for(schedule, name)
        moment = serving_from + dt.timedelta(seconds=1)
        while True:
            moment = trigger.get_next_fire_time(None, moment)
            if moment >= horizon:
                break
            expected.add((name, moment.replace(tzinfo=None)))
            moment += dt.timedelta(seconds=1)
    recorded = {(r["table_name"], r["scheduled_at"]) for r in runs if r["scheduled_at"]}
    completed = [r for r in runs if r["status"] == "success"]
    failed = [r for r in runs if r["status"] in ("failed", "lost", "interrupted")]
    durations = [r["duration_seconds"] for r in completed if r["duration_seconds"] is not None]
    delays = [(r["started_at"] - r["scheduled_at"]).total_seconds()
              for r in completed if r["scheduled_at"]]
    missed = len(expected - recorded)
    skipped_logs = text.count("maximum number of running instances")
    missed_logs = text.count("missed by")

    print()
    print(f"tables {args.tables}, every {args.interval}s, served {args.duration}s, "
          f"{args.workers} workers, {args.rows} rows each; exit code {code}")
    print(f"runs expected (run times in the window)  {len(expected)}")
    print(f"runs completed                           {len(completed)}")
    print(f"runs missed (expected, never run)        {missed}  "
          f"(misfire log lines {missed_logs}, max-instance skips {skipped_logs})")
    print(f"runs failed/lost/interrupted             {len(failed)}")
    print(f"run duration   median {statistics.median(durations):.3f}s  "
          f"p95 {percentile(durations, 0.95):.3f}s  max {max(durations):.3f}s")
    print(f"start delay    median {statistics.median(delays):.3f}s  "
          f"p95 {percentile(delays, 0.95):.3f}s  max {max(delays):.3f}s "
          f"(started_at - scheduled time)")
    print(f"peak connections (warehouse + store)     {peak_conn}  (sampled {samples}x)")
    print(f"peak memory (VmHWM)                      {hwm / 1024:.1f} MiB")
    print(f"peer: one-shot run_tables pass           {peer_wall:.1f}s for {len(peer)} tables, "
          f"median {statistics.median(peer_durations):.3f}s, "
          f"p95 {percentile(peer_durations, 0.95):.3f}s per table")
    print(f"ratio serve/peer median run duration     "
          f"{statistics.median(durations) / statistics.median(peer_durations):.2f}")
    capacity = args.workers * args.interval / max(statistics.median(durations), 1e-9)
    print(f"capacity at this median (tables/interval) ~{capacity:.0f} "
          f"({capacity / args.tables:.1f}x the load)")
    if failed:
        print("first failures:", [(r["table_name"], r["error"]) for r in failed[:3]])
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
