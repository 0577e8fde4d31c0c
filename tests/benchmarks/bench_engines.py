"""Benchmark: one profile of the same 2M-row, 12-column table on three engines.

Not part of the test run. Needs Java and pyspark (``dq-monitor[spark]``), DuckDB, and the
local PostgreSQL (DQ_TEST_POSTGRES_URL).

    .venv/bin/python tests/benchmarks/bench_engines.py [--rows 2000000] [--repeat 3]

The table (the ``orders`` shape of bench_tables.py, generated with numpy) is written
once as a Parquet file and copied into PostgreSQL. It is then profiled as the Parquet
file through DuckDB (a view over ``read_parquet``), as the Parquet file through Spark
``local[2]`` (``table: {path: ..., format: parquet}``, a temporary view), and as the
PostgreSQL table. Each engine's floor is one ``count(*)``-plus-one-aggregate query on
the same table; the profile (distinct ``auto``: approximate on DuckDB and Spark,
planner statistics on PostgreSQL; and ``exact``) is printed as a median of
``--repeat`` rounds and as a ratio against that engine's own floor.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.config.models import TableConfig, WarehouseConfig  # noqa: E402
from monitor.config.sources import TableSource  # noqa: E402
from monitor.metrics.profile import profile_table  # noqa: E402
from monitor.spark.session import spark_url  # noqa: E402
from monitor.warehouse import SqlWarehouse  # noqa: E402

BASE_URL = os.environ.get("DQ_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "dq_bench_engines"
PG_COLUMNS = """id bigint, customer_id integer, amount double precision, quantity integer,
    price numeric(12,2), status text, country text, email text, score double precision,
    discount double precision, created_at timestamp, note text"""


def orders(rows: int, seed: int = 7) -> pa.Table:
    """The benchmark table: the column types and value mix of bench_tables.py."""
    rng = np.random.default_rng(seed)
    i = np.arange(rows, dtype=np.int64)
    email = np.char.add(np.char.add("user", (i % 200000).astype(str)), "@example.com")
    return pa.table({
        "id": i,
        "customer_id": rng.integers(0, 50000, rows, dtype=np.int32),
        "amount": np.round(rng.random(rows) * 500, 2),
        "quantity": rng.integers(0, 10, rows, dtype=np.int32),
        "price": pa.array(np.round(rng.random(rows) * 100, 2)).cast(pa.decimal128(12, 2)),
        "status": np.array(["paid", "shipped", "refunded", "cancelled"])[i % 4],
        "country": np.array(["DE", "FR", "NL", "US", "GB", "ES", "IT", "PL"])[i % 8],
        "email": pa.array(email, mask=(i % 20 == 0)),
        "score": rng.random(rows),
        "discount": pa.array(rng.random(rows) * 0.3, mask=(i % 3 == 0)),
        "created_at": (np.datetime64("2026-01-01T00:00:00", "us")
                       + (i * (20 * 86400 // max(rows, 1))).astype("timedelta64[s]")),
        "note": np.char.add("n", (i * 2654435761 % 1000003).astype(str)),
    })


def load_postgres(table: pa.Table) -> SqlWarehouse:
    engine = sa.create_engine(BASE_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
        conn.execute(sa.text(f"CREATE TABLE {SCHEMA}.orders ({PG_COLUMNS})"))
        raw = conn.connection.driver_connection
        buffer = io.BytesIO()
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
        with raw.cursor().copy(f"COPY {SCHEMA}.orders FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
    with engine.begin() as conn:
        conn.execute(sa.text(f"ANALYZE {SCHEMA}.orders"))
    engine.dispose()
    return SqlWarehouse("pg", WarehouseConfig(url=BASE_URL, query_timeout=3600))


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def floor_query(wh: SqlWarehouse, shape_table: sa.Table) -> Callable[[], object]:
    query = sa.select(sa.func.count(), sa.func.sum(shape_table.c.amount))

    def run() -> object:
        with wh.connect() as conn:
            return wh.execute(conn, query.select_from(shape_table)).all()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="dq-bench-engines-"))
    started = time.perf_counter()
    data = orders(args.rows)
    parquet = folder / "orders.parquet"
    pq.write_table(data, parquet, row_group_size=256 * 1024)
    print(f"{args.rows:,} rows x {data.num_columns} columns; Parquet "
          f"{parquet.stat().st_size / 1e6:.0f} MB ({time.perf_counter() - started:.0f} s)")

    duck = SqlWarehouse("duck", WarehouseConfig(url=f"duckdb:///{folder / 'bench.duckdb'}",
                                                query_timeout=3600))
    with duck.engine.begin() as conn:
        conn.execute(sa.text(f"CREATE VIEW orders AS SELECT * FROM read_parquet('{parquet}')"))
    spark = SqlWarehouse("spark", WarehouseConfig(query_timeout=3600, url=spark_url(
        {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": "4",
                                        "spark.driver.memory": "2g"}})))
    engines: list[tuple[str, SqlWarehouse, str | TableSource]] = [
        ("DuckDB (read_parquet view)", duck, "orders"),
        ("Spark local[2] (Parquet path)", spark, TableSource(path=str(parquet))),
        ("PostgreSQL table", load_postgres(data), "orders"),
    ]
    print(f"\nmedians of {args.repeat} runs (seconds); ratio = profile / engine's own floor")
    print(f"{'engine':32} {'floor':>7} {'auto':>7} {'ratio':>6} {'exact':>7} {'ratio':>6}")
    try:
        for title, wh, source in engines:
            schema = SCHEMA if wh.name == "pg" else None
            table = TableConfig(name="orders", warehouse=wh.name, table=source, schema=schema,
                                timestamp_column="created_at")
            shape = wh.describe(source, schema)
            profile_table(wh, table, distinct="auto")  # warm: JIT, caches, file listing
            floor = median_time(floor_query(wh, shape.table), args.repeat)
            auto = median_time(lambda wh=wh, t=table: profile_table(wh, t, distinct="auto"),
                               args.repeat)
            exact = median_time(lambda wh=wh, t=table: profile_table(wh, t, distinct="exact"),
                                args.repeat)
            print(f"{title:32} {floor:7.2f} {auto:7.2f} {auto / floor:6.1f} {exact:7.2f} "
                  f"{exact / floor:6.1f}", flush=True)
    finally:
        engine = sa.create_engine(BASE_URL)
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


if __name__ == "__main__":
    main()
