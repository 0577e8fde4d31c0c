"""Why a process's memory grew with the table count: one child process per table count.

Each child opens a ``MonitorContext`` on COUNT tables (SQLite, or PostgreSQL with
``--warehouse postgresql``), runs one table (imports, engines, store tables), then
every table ROUNDS times (what ``serve`` does over ROUNDS intervals), and reports
its RSS growth over that, the entries of SQLAlchemy's compiled-statement cache of
the warehouse engine, and the Table and MetaData objects alive. ``--cache-size N``
builds the warehouse engine with ``query_cache_size=N`` (``500`` is SQLAlchemy's
default, what dq-monitor used before ``monitor.warehouse.WAREHOUSE_QUERY_CACHE``);
``--trace`` adds the top allocation sites (tracemalloc, slow).

    python tests/benchmarks/bench_memory.py --counts 30 200 1000
    python tests/benchmarks/bench_memory.py --counts 30 200 --cache-size 500
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_scale import create_tables  # noqa: E402
from bench_serve import proc_status  # noqa: E402


def sqlite_tables(path: Path, count: int, rows: int) -> None:
    con = sqlite3.connect(path)
    for i in range(count):
        con.execute(f"CREATE TABLE t{i:04d} (id INTEGER, amount REAL, label TEXT, "
                    f"created_at TIMESTAMP)")
        con.executemany(f"INSERT INTO t{i:04d} VALUES (?, ?, ?, ?)",
                        [(j, j * 1.5, f"l{j % 7}", "2026-01-01 00:00:00") for j in range(rows)])
    con.commit()
    con.close()


def measure(count: int, url: str, schema: str | None, rounds: int, cache_size: int | None,
            trace: bool) -> dict:
    """In the child: the figures of one table count."""
    from monitor import warehouse
    from monitor.config.models import parse_config
    from monitor.run.context import MonitorContext
    from monitor.run.runner import run_table

    if cache_size is not None:
        warehouse.WAREHOUSE_QUERY_CACHE = cache_size
    tmp = Path(tempfile.mkdtemp())
    config = parse_config({
        "store": f"sqlite:///{tmp / 'm.db'}", "warehouses": {"wh": {"url": url}},
        "tables": [{"name": f"t{i:04d}", "warehouse": "wh", "table": f"t{i:04d}",
                    **({"schema": schema} if schema else {})} for i in range(count)]})
    ctx = MonitorContext(config)
    run_table(ctx, config.tables[0])
    gc.collect()
    base = proc_status(os.getpid())["VmRSS"] / 1024
    if trace:
        tracemalloc.start(4)
    for _ in range(rounds):
        for table in config.tables:
            assert run_table(ctx, table).status == "success"
    gc.collect()
    rss = proc_status(os.getpid())["VmRSS"] / 1024
    types = collections.Counter(type(o).__name__ for o in gc.get_objects())
    out = {"tables": count, "rounds": rounds, "cache_size": warehouse.WAREHOUSE_QUERY_CACHE,
           "rss_base_mib": round(base, 1), "rss_mib": round(rss, 1),
           "growth_mib": round(rss - base, 1),
           "compiled_cache": len(ctx.warehouse("wh").engine._compiled_cache or {}),
           "Table": types["Table"], "MetaData": types["MetaData"]}
    if trace:
        stats = tracemalloc.take_snapshot().statistics("filename")[:8]
        out["top_files"] = [(str(s.traceback[0].filename).split("site-packages/")[-1],
                             round(s.size / 2**20, 2)) for s in stats]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[30, 200, 1000])
    parser.add_argument("--warehouse", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--cache-size", type=int)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("COUNT", "URL", "SCHEMA"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        count, url, schema = args.child
        print(json.dumps(measure(int(count), url, schema or None, args.rounds,
                                 args.cache_size, args.trace)))
        return 0

    def children(url: str, schema: str) -> int:
        for count in args.counts:
            command = [sys.executable, __file__, "--child", str(count), url, schema,
                       "--rounds", str(args.rounds)]
            command += ["--cache-size", str(args.cache_size)] if args.cache_size else []
            command += ["--trace"] if args.trace else []
            done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            if done.returncode:
                print(done.stderr[-3000:])
                return 1
            print(done.stdout.strip().splitlines()[-1], flush=True)
        return 0

    if args.warehouse == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_tables(Path(tmp) / "wh.db", max(args.counts), args.rows)
            return children(f"sqlite:///{Path(tmp) / 'wh.db'}", "")
    from tests.helpers.postgres import base_url, temporary_schema

    with temporary_schema("dq_mem") as schema:
        create_tables(schema, max(args.counts), args.rows)
        return children(base_url(), schema)


if __name__ == "__main__":
    sys.exit(main())
