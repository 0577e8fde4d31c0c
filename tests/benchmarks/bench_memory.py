"""Why the service's memory grows with the table count: one process per table count.

For each COUNT, a child process opens a ``MonitorContext`` on COUNT PostgreSQL
tables, runs every table ROUNDS times (as ``serve`` would over ROUNDS intervals),
and reports its RSS, the Python heap (tracemalloc), the entries of SQLAlchemy's
compiled-statement caches of the warehouse and store engines, the objects alive
by type (tables, columns, compiled statements) and the top allocation sites. With
``--cache-size N`` the engines are built with ``query_cache_size=N``.

    python tests/benchmarks/bench_memory.py --counts 30 200 1000
    python tests/benchmarks/bench_memory.py --counts 200 --cache-size 50
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_scale import create_tables  # noqa: E402
from bench_serve import proc_status  # noqa: E402


def measure(count: int, rounds: int, schema: str, cache_size: int | None,
            top: int) -> dict:
    """Run in the child: the figures of one table count."""
    import sqlalchemy as sa

    from monitor import warehouse
    from monitor.config.models import parse_config
    from monitor.run.context import MonitorContext
    from monitor.run.runner import run_table
    from tests.helpers.postgres import base_url

    if cache_size is not None:  # what a fix would do, measured before making it
        original = sa.create_engine

        def sized(*args, **kwargs):
            kwargs.setdefault("query_cache_size", cache_size)
            return original(*args, **kwargs)

        warehouse.sa.create_engine = sized  # type: ignore[assignment]
    tmp = Path(tempfile.mkdtemp())
    config = parse_config({
        "store": f"sqlite:///{tmp / 'm.db'}",
        "warehouses": {"pg": {"url": base_url()}},
        "tables": [{"name": f"t{i:04d}", "warehouse": "pg", "table": f"t{i:04d}",
                    "schema": schema} for i in range(count)]})
    ctx = MonitorContext(config)
    run_table(ctx, config.tables[0])  # imports, engines, the store's tables
    gc.collect()
    base_rss = proc_status(os.getpid())["VmRSS"] / 1024
    tracemalloc.start(8)
    for _ in range(rounds):
        for table in config.tables:
            result = run_table(ctx, table)
            assert result.status == "success", result
    gc.collect()
    snapshot = tracemalloc.take_snapshot()
    heap = sum(s.size for s in snapshot.statistics("filename")) / 2**20
    by_file = [(str(s.traceback[0].filename).split("site-packages/")[-1]
                .replace(str(ROOT) + "/", ""), round(s.size / 2**20, 2))
               for s in snapshot.statistics("filename")[:top]]
    types = collections.Counter(type(o).__name__ for o in gc.get_objects())
    engines = {"warehouse": ctx.warehouse("pg").engine, "store": ctx.store.engine}
    return {
        "tables": count, "rounds": rounds, "cache_size": cache_size,
        "rss_mib": round(proc_status(os.getpid())["VmRSS"] / 1024, 1),
        "rss_after_first_run_mib": round(base_rss, 1),
        "traced_heap_mib": round(heap, 1),
        "compiled_cache": {k: len(e._compiled_cache or {}) for k, e in engines.items()},
        "objects": {k: types[k] for k in ("Table", "Column", "MetaData", "SQLCompiler",
                                          "PGCompiler_psycopg", "SQLiteCompiler",
                                          "CacheKey", "Job")},
        "top_files": by_file}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[30, 200, 1000])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--cache-size", type=int)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--child", nargs=2, metavar=("COUNT", "SCHEMA"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.rounds, args.child[1],
                                 args.cache_size, args.top)))
        return 0

    from tests.helpers.postgres import temporary_schema

    with temporary_schema("dq_mem") as schema:
        create_tables(schema, max(args.counts), args.rows)
        for count in args.counts:
            command = [sys.executable, __file__, "--child", str(count), schema,
                       "--rounds", str(args.rounds), "--top", str(args.top)]
            if args.cache_size is not None:
                command += ["--cache-size", str(args.cache_size)]
            out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
            if out.returncode:
                print(out.stderr[-3000:])
                return 1
            print(json.dumps(json.loads(out.stdout.strip().splitlines()[-1]), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
