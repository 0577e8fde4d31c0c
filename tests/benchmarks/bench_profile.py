"""Benchmark: our one-scan profile against bare count(*), one aggregate pass, and GX.

Not part of the test run. Needs the local PostgreSQL (DQ_TEST_POSTGRES_URL).

    .venv/bin/python tests/benchmarks/bench_profile.py [--rows 2000000] [--keep] [--skip-gx]

Prints, in one run: time of a bare count(*), of our full profile, of a single
aggregate pass without distinct counts (the floor), of the same metrics
through a Great Expectations suite of equivalent expectations, their ratios,
the peak memory of a process profiling 0.5M/1M/2M rows, and the time of an
incremental run after appending one day (5% new rows) against a full profile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_tables import COLUMNS, orders_select  # noqa: E402

from monitor.collect import collect_metrics  # noqa: E402
from monitor.config import TableConfig, WarehouseConfig, parse_config  # noqa: E402
from monitor.context import MonitorContext  # noqa: E402
from monitor.profiling import profile_table  # noqa: E402
from monitor.runner import run_table  # noqa: E402
from monitor.warehouse import SqlWarehouse  # noqa: E402

BASE_URL = os.environ.get("DQ_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "dq_bench_profile"
DAY0 = dt.datetime(2026, 1, 1)
DAYS = 20



def generate(engine: sa.Engine, table: str, rows: int, *, first_day: int = 0,
             days: int = DAYS) -> None:
    """Rows spread evenly over ``days`` days starting at DAY0 + first_day."""
    per_day = rows // days
    created_at = (f"timestamp '{DAY0:%Y-%m-%d}'"
                  " + ((:first + (i - :offset) / :per_day) || ' days')::interval"
                  " + ((random() * 86399)::int || ' seconds')::interval")
    sql = (f"INSERT INTO {SCHEMA}.{table} {orders_select(created_at)} "
           "FROM generate_series(:offset, :offset + :n - 1) AS i")
    with engine.begin() as conn:
        conn.execute(sa.text(sql), {"first": first_day, "offset": first_day * per_day + 1,
                                    "per_day": per_day, "n": per_day * days})


def setup(engine: sa.Engine, rows: int, table: str = "orders") -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {SCHEMA}.{table}"))
        conn.execute(sa.text(f"CREATE TABLE {SCHEMA}.{table} ({COLUMNS})"))
    generate(engine, table, rows)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE INDEX ON {SCHEMA}.{table} (created_at)"))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"VACUUM ANALYZE {SCHEMA}.{table}"))


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Median wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def aggregate_pass_sql() -> str:
    """One aggregate pass with the profile's metrics except distinct counts."""
    parts = ["count(*)"]
    numeric = ["id", "customer_id", "amount", "quantity", "price", "score", "discount"]
    for col in numeric:
        parts += [f"count({col})", f"min({col})", f"max({col})", f"avg({col}::float8)",
                  f"stddev_samp({col}::float8)"]
    for col in ["status", "country", "email", "note"]:
        parts += [f"count({col})", f"min(char_length({col}))", f"max(char_length({col}))"]
    parts += ["count(created_at)", "min(created_at)", "max(created_at)"]
    return f"SELECT {', '.join(parts)} FROM {SCHEMA}.orders"


def gx_suite_time(rows: int) -> tuple[float, int]:
    """Validate an equivalent suite with Great Expectations (median of 2 runs)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    url = sa.engine.make_url(BASE_URL)
    if not url.password:
        url = url.set(password="unused")  # GX requires userinfo; trust auth ignores it
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_postgres(
        "bench", connection_string=url.render_as_string(hide_password=False))
    asset = source.add_table_asset("orders", table_name="orders", schema_name=SCHEMA)
    batch = asset.add_batch_definition_whole_table("all")
    suite = gx.ExpectationSuite("bench")
    numeric = ["id", "customer_id", "amount", "quantity", "price", "score", "discount"]
    texts = ["status", "country", "email", "note"]
    for col in numeric + texts + ["created_at"]:
        suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=col, mostly=0.0))
        suite.add_expectation(gxe.ExpectColumnUniqueValueCountToBeBetween(
            column=col, min_value=0, max_value=rows * 2))
    for col in numeric:
        suite.add_expectation(gxe.ExpectColumnMinToBeBetween(column=col, min_value=-1e12))
        suite.add_expectation(gxe.ExpectColumnMaxToBeBetween(column=col, max_value=1e12))
        suite.add_expectation(gxe.ExpectColumnMeanToBeBetween(column=col, min_value=-1e12,
                                                              max_value=1e12))
        suite.add_expectation(gxe.ExpectColumnStdevToBeBetween(column=col, min_value=0,
                                                               max_value=1e12))
    for col in texts:
        suite.add_expectation(gxe.ExpectColumnValueLengthsToBeBetween(column=col, min_value=0,
                                                                      max_value=10_000))
    suite.add_expectation(gxe.ExpectTableRowCountToBeBetween(min_value=0, max_value=rows * 2))
    suite = context.suites.add(suite)
    count = len(suite.expectations)

    def validate() -> None:
        result = batch.get_batch().validate(suite, result_format="SUMMARY")
        errors = [r for r in result.results if r.exception_info.get("raised_exception")]
        if errors:
            raise RuntimeError(f"GX raised on {len(errors)} expectations")

    elapsed, _ = timed(validate, repeat=2)
    return elapsed, count


def child_profile(rows: int) -> None:
    """Profile a table of ``rows`` rows in this (fresh) process and print its peak RSS."""
    engine = sa.create_engine(BASE_URL)
    table = f"mem_{rows}"
    wh = SqlWarehouse("bench", WarehouseConfig(url=BASE_URL))
    cfg = TableConfig(name=table, warehouse="bench", table=table, schema=SCHEMA,
                      timestamp_column="created_at")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profile_table(wh, cfg, distinct="auto")
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    print(json.dumps({"rows": rows, "peak_rss_mb": after / 1024, "before_mb": before / 1024}))


def memory_series(engine: sa.Engine, sizes: list[int]) -> list[dict]:
    out = []
    for rows in sizes:
        setup(engine, rows, table=f"mem_{rows}")
        done = subprocess.run([sys.executable, __file__, "--child-profile", str(rows)],
                              capture_output=True, text=True, check=True)
        out.append(json.loads(done.stdout.strip().splitlines()[-1]))
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE {SCHEMA}.mem_{rows}"))
    return out


def append_day(engine: sa.Engine, rows: int) -> None:
    """Load one more day (5% of the table) after the last one, then VACUUM ANALYZE as
    autovacuum would after a bulk insert (and as the full table got after ``setup``)."""
    generate(engine, "orders", rows // DAYS, first_day=DAYS, days=1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"VACUUM ANALYZE {SCHEMA}.orders"))


def incremental(engine: sa.Engine, rows: int, lookback: int) -> tuple[float, float, float]:
    """Seconds of the first (full) bucketed run, then, after appending one day, of the
    incremental profiling run (the profile step only) and of the whole run (profile,
    detection, alerts) for the same key.

    The table is rebuilt first, so every measurement starts from the same 20 days.
    """
    setup(engine, rows)
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config({
            "store": f"sqlite:///{tmp}/metrics.db",
            "warehouses": {"bench": BASE_URL},
            "tables": [{"name": "orders", "warehouse": "bench", "table": "orders",
                        "schema": SCHEMA, "timestamp_column": "created_at", "bucket": "day",
                        "lookback_buckets": lookback}]}, base_dir=tmp)
        ctx = MonitorContext(config)
        table = config.table("orders")
        as_of = (DAY0 + dt.timedelta(days=DAYS)).replace(tzinfo=dt.UTC)
        started = time.perf_counter()
        first = run_table(ctx, table, as_of=as_of)
        full = time.perf_counter() - started
        assert first.ok, first.error
        append_day(engine, rows)
        started = time.perf_counter()
        second = run_table(ctx, table, as_of=as_of + dt.timedelta(days=1),
                           steps=[collect_metrics])
        profiling = time.perf_counter() - started
        started = time.perf_counter()
        whole = run_table(ctx, table, as_of=as_of + dt.timedelta(days=1))
        incr = time.perf_counter() - started
        assert second.ok, second.error
        assert whole.ok, whole.error
        assert second.row_count == rows + rows // DAYS, second.row_count
        ctx.store.dispose()
    return full, profiling, incr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark schema")
    parser.add_argument("--skip-gx", action="store_true")
    parser.add_argument("--child-profile", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_profile:
        child_profile(args.child_profile)
        return
    engine = sa.create_engine(BASE_URL)
    print(f"generating {args.rows:,} rows x 12 columns in {SCHEMA}.orders ...", flush=True)
    setup(engine, args.rows)
    wh = SqlWarehouse("bench", WarehouseConfig(url=BASE_URL))
    table = TableConfig(name="orders", warehouse="bench", table="orders", schema=SCHEMA,
                        timestamp_column="created_at")
    with engine.connect() as conn:
        t_count, _ = timed(lambda: conn.execute(
            sa.text(f"SELECT count(*) FROM {SCHEMA}.orders")).scalar())
        t_pass, _ = timed(lambda: conn.execute(sa.text(aggregate_pass_sql())).one())
    t_ours, profile = timed(lambda: profile_table(wh, table, distinct="auto"))
    t_exact, _ = timed(lambda: profile_table(wh, table, distinct="exact"), repeat=1)
    print(f"row count checked: {profile.row_count:,}")  # type: ignore[attr-defined]
    results = {
        "bare count(*)": t_count,
        "one aggregate pass, no distinct (floor)": t_pass,
        "dq-monitor full profile (distinct from catalog statistics)": t_ours,
        "dq-monitor full profile (exact distinct)": t_exact,
    }
    gx_count = 0
    if not args.skip_gx:
        t_gx, gx_count = gx_suite_time(args.rows)
        results[f"Great Expectations suite ({gx_count} expectations)"] = t_gx
    mem = memory_series(engine, [args.rows // 4, args.rows // 2, args.rows])
    incr = {lookback: incremental(engine, args.rows, lookback) for lookback in (0, 1)}
    print()
    print("| measurement | seconds |")
    print("|---|---|")
    for name, value in results.items():
        print(f"| {name} | {value:.3f} |")
    print()
    print(f"ours / count(*): {t_ours / t_count:.1f}x")
    print(f"ours / one aggregate pass: {t_ours / t_pass:.2f}x (target <= 2x)")
    if not args.skip_gx:
        t_gx = results[f"Great Expectations suite ({gx_count} expectations)"]
        print(f"GX / ours: {t_gx / t_ours:.1f}x (target >= 5x)")
    print()
    print("| rows profiled | peak RSS of the process (MB) |")
    print("|---|---|")
    for m in mem:
        print(f"| {m['rows']:,} | {m['peak_rss_mb']:.0f} |")
    print()
    print("| lookback | first bucketed run (all days) | incremental profiling run "
          "(one new day, 5% rows) | whole incremental run (+ detection) |")
    print("|---|---|---|---|")
    for lookback, (t_full, t_prof, t_incr) in incr.items():
        print(f"| {lookback} | {t_full:.3f}s | {t_prof:.3f}s = {t_prof / t_ours * 100:.1f}% of "
              f"the full profile, {t_prof / t_full * 100:.1f}% of the first run | "
              f"{t_incr:.3f}s = {t_incr / t_full * 100:.1f}% of the first run |")
    print("(target: the incremental run <= 10% of the full profile)")
    if not args.keep:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    engine.dispose()


if __name__ == "__main__":
    main()
