"""Benchmark: the bucketed profile of the 2M-row ``orders`` table with segments against
without, on DuckDB and PostgreSQL.

Not part of the test run. Needs the local PostgreSQL (DQ_TEST_POSTGRES_URL).

    .venv/bin/python tests/benchmarks/bench_segments.py [--rows 2000000] [--repeat 3]
                                                        [--engines duckdb,postgresql]

The table is ``bench_profile``'s (20 days, 12 columns) plus two segment columns of 50
values each (``seg_a``, ``seg_b``). Timed side by side, each round: the bucketed profile
of every day without segments; with ``segments: [seg_a]`` (50 segments, no "other");
with ``segments: [seg_a, seg_b]`` (2,500 pairs, the top 50 kept, the rest "other");
and the cheap query choosing the top 50 pairs. Prints medians and the ratios (each the
median of per-round ratios).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import bench_profile  # noqa: E402
from bench_profile import BASE_URL, setup, side_by_side  # noqa: E402

from monitor.config.models import TableConfig, WarehouseConfig  # noqa: E402
from monitor.metrics.profile import describe_table, profile_buckets  # noqa: E402
from monitor.metrics.segments import (  # noqa: E402
    SegmentPlan,
    choose,
    measured_columns,
    segment_parts,
)
from monitor.run.segments import count_segments  # noqa: E402
from monitor.warehouse import SqlWarehouse  # noqa: E402

END = dt.datetime(2026, 1, 21, tzinfo=dt.UTC)
#: A schema of its own (bench_profile's generator writes into ``bench_profile.SCHEMA``).
SCHEMA = bench_profile.SCHEMA = "dq_bench_segments"
SEGMENT_COLUMNS = "seg_a text, seg_b text"


def postgres_table(rows: int) -> str:
    """bench_profile's table plus the two segment columns; returns the warehouse URL."""
    engine = sa.create_engine(BASE_URL)
    setup(engine, rows)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {SCHEMA}.orders_seg"))
        conn.execute(sa.text(
            f"CREATE TABLE {SCHEMA}.orders_seg AS SELECT *, 'a' || (id % 50) AS seg_a, "
            f"'b' || ((id / 50) % 50) AS seg_b FROM {SCHEMA}.orders"))
        conn.execute(sa.text(f"CREATE INDEX ON {SCHEMA}.orders_seg (created_at)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"VACUUM ANALYZE {SCHEMA}.orders_seg"))
    engine.dispose()
    return BASE_URL


def duckdb_table(rows: int, folder: Path) -> str:
    """The same shape and values in a DuckDB file (DuckDB's own SQL generates them)."""
    url = f"duckdb:///{folder / 'bench.duckdb'}"
    engine = sa.create_engine(url)
    per_day = rows // 20
    with engine.begin() as conn:
        conn.execute(sa.text(f"""
            CREATE TABLE orders_seg AS SELECT i AS id, (random() * 50000)::int AS customer_id,
              round(random() * 500, 2)::double AS amount, (random() * 10)::int AS quantity,
              round(random() * 100, 2)::decimal(12,2) AS price,
              (['paid','shipped','refunded','cancelled'])[1 + (i % 4)] AS status,
              (['DE','FR','NL','US','GB','ES','IT','PL'])[1 + (i % 8)] AS country,
              CASE WHEN i % 20 = 0 THEN NULL ELSE 'user' || (i % 200000) || '@example.com'
                END AS email, random() AS score,
              CASE WHEN i % 3 = 0 THEN NULL ELSE random() * 0.3 END AS discount,
              TIMESTAMP '2026-01-01' + to_days((i // {per_day})::int)
                + to_seconds((random() * 86399)::int) AS created_at,
              md5(i::text) AS note, 'a' || (i % 50) AS seg_a, 'b' || ((i // 50) % 50) AS seg_b
            FROM range({per_day * 20}) t(i)"""))
    engine.dispose()
    return url


def tasks(url: str, schema: str | None) -> dict[str, object]:
    warehouse = SqlWarehouse("bench", WarehouseConfig(url=url, query_timeout=3600))
    base = dict(name="orders", warehouse="bench", table="orders_seg", schema=schema,
                timestamp_column="created_at", bucket="day")
    plain = TableConfig(**base)
    shape = describe_table(warehouse, plain)
    kinds = {c.name: c.kind for c in shape.columns}
    out: dict[str, object] = {
        "without": lambda: profile_buckets(warehouse, plain, shape=shape, end=END)}
    for name, parts in (("1 column x 50", ["seg_a"]), ("2 columns x 50 (top 50)",
                                                      ["seg_a", "seg_b"])):
        table = TableConfig(**base, segments=parts)
        seg_parts = segment_parts(table, shape)
        found = count_segments(warehouse, table, shape, SegmentPlan(seg_parts, ()),
                               start=None, end=END, limit=50)
        columns, numeric = measured_columns(table, shape, kinds)
        plan = SegmentPlan(seg_parts, choose({}, found, 50), columns, numeric)
        out[name] = (lambda t=table, p=plan: profile_buckets(warehouse, t, shape=shape,
                                                             end=END, segments=p))
        if len(parts) == 2 and warehouse.capabilities.grouping_sets:
            # The same two groupings as a UNION ALL (what engines without grouping sets
            # run): a second pass, but its branch computes only the segments' states.
            union = SqlWarehouse("bench", WarehouseConfig(url=url, query_timeout=3600))
            union.capabilities = dataclasses.replace(union.capabilities, grouping_sets=False)
            out["2 columns, UNION ALL"] = (
                lambda t=table, p=plan, w=union: profile_buckets(w, t, shape=shape, end=END,
                                                                 segments=p))
        if len(parts) == 2:
            out["top-50 query (2 columns)"] = (
                lambda t=table, p=plan: count_segments(warehouse, t, shape, p, start=None,
                                                       end=END, limit=50))
    return out


def report(engine: str, times: dict[str, list[float]]) -> None:
    base = times["without"]
    print(f"\n{engine}: medians of {len(base)} rounds")
    for name, values in times.items():
        ratio = statistics.median(a / b for a, b in zip(values, base, strict=True))
        print(f"  {name:28s} {statistics.median(values):7.2f}s   x{ratio:.2f} of without")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="duckdb,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for engine in args.engines.split(","):
            if engine == "duckdb":
                url, schema = duckdb_table(args.rows, Path(folder)), None
            else:
                url, schema = postgres_table(args.rows), SCHEMA
            print(f"{engine}: {args.rows:,} rows ready", flush=True)
            report(engine, side_by_side(tasks(url, schema), args.repeat))
            if engine == "postgresql":
                with sa.create_engine(BASE_URL).begin() as conn:
                    conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))


if __name__ == "__main__":
    main()
