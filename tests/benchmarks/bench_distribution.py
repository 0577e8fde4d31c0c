"""Benchmark: what quantiles and top-value shares add to a bucketed profile.

Not part of the test run. Needs the local PostgreSQL (DQ_TEST_POSTGRES_URL) for its row.

    /work/venv/bin/python tests/benchmarks/bench_distribution.py [--rows 1000000] [--repeat 3]

Per engine (SQLite, DuckDB, PostgreSQL), one table of ``--rows`` orders over 30 days,
profiled by day (``profile_buckets``, every bucket in one grouped scan) without
distribution columns, then with ``distribution_columns: [amount, status]``. Rounds
alternate the two (a busy machine slows them alike); medians of ``--repeat`` rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.config.models import TableConfig, WarehouseConfig  # noqa: E402
from monitor.metrics.profile import profile_buckets  # noqa: E402
from monitor.warehouse import SqlWarehouse  # noqa: E402
from tests.helpers.postgres import base_url, temporary_schema  # noqa: E402

STATUSES = np.array(["paid", "paid", "paid", "shipped", "shipped", "refunded", "cancelled"])


def _fill(url: str, schema: str | None, rows: int) -> None:
    rng = np.random.default_rng(1)
    start = np.datetime64("2026-01-01T00:00:00")
    seconds = np.sort(rng.integers(0, 30 * 86400, rows))
    meta = sa.MetaData()
    table = sa.Table("orders", meta, sa.Column("id", sa.BigInteger()),
                     sa.Column("amount", sa.Double()), sa.Column("status", sa.String(12)),
                     sa.Column("created", sa.DateTime()), schema=schema)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
        for lo in range(0, rows, 100_000):
            hi = min(rows, lo + 100_000)
            amounts = np.round(np.exp(rng.normal(3.6, 0.6, hi - lo)), 2)
            status = STATUSES[rng.integers(0, len(STATUSES), hi - lo)]
            stamps = (start + seconds[lo:hi].astype("timedelta64[s]")).astype(dt.datetime)
            conn.execute(table.insert(), [
                {"id": lo + i, "amount": float(amounts[i]), "status": str(status[i]),
                 "created": stamps[i]} for i in range(hi - lo)])
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text(f'ANALYZE "{schema}".orders'))
    engine.dispose()


def _time(warehouse: SqlWarehouse, table: TableConfig) -> float:
    started = time.perf_counter()
    profile_buckets(warehouse, table, distinct="off")
    return time.perf_counter() - started


def _bench(name: str, url: str, schema: str | None, rows: int, repeat: int) -> None:
    _fill(url, schema, rows)
    warehouse = SqlWarehouse("wh", WarehouseConfig(url=url))
    plain = TableConfig(name="orders", warehouse="wh", table="orders", schema=schema,
                        timestamp_column="created", bucket="day")
    with_dist = plain.model_copy(update={"distribution_columns": ["amount", "status"]})
    _time(warehouse, plain)  # warm the cache
    base, dist = [], []
    for _ in range(repeat):
        base.append(_time(warehouse, plain))
        dist.append(_time(warehouse, with_dist))
    b, d = statistics.median(base), statistics.median(dist)
    print(f"{name:10s} rows={rows:,} without={b:.2f}s with={d:.2f}s ratio={d / b:.2f}",
          flush=True)
    warehouse.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,duckdb,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for engine in args.engines.split(","):
            if engine == "sqlite":
                _bench("SQLite", f"sqlite:///{tmp}/w.db", None, args.rows, args.repeat)
            elif engine == "duckdb":
                _bench("DuckDB", f"duckdb:///{tmp}/w.duckdb", None, args.rows, args.repeat)
            else:
                with temporary_schema() as schema:
                    _bench("PostgreSQL", base_url(), schema, args.rows, args.repeat)


if __name__ == "__main__":
    main()
