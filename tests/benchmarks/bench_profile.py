"""Benchmark: our one-scan profile against bare count(*), one aggregate pass, one
query of every count(DISTINCT), and GX.

Not part of the test run. Needs the local PostgreSQL (DQ_TEST_POSTGRES_URL).

    .venv/bin/python tests/benchmarks/bench_profile.py [--rows 2000000] [--repeat 3] [--keep]
                                                       [--skip-gx]

Prints, in one run, medians of ``--repeat`` rounds that each time every query
once (side by side, so a busy machine slows them alike): a bare count(*), a
single aggregate pass without distinct counts (the floor), a single query of
count(DISTINCT) for every column (the floor of exact distinct counts), our
profile with distinct counts from planner statistics (``auto``) and exact
(``exact``), and a Great Expectations suite of equivalent expectations, which
counts distinct values exactly. Then the ratios, like for like (exact against
exact) and not, the statements one profile sends, the peak memory of a process
profiling 0.5M/1M/2M rows, and the time of an incremental run after appending
one day (5% new rows) against a full profile.
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

from monitor.config.models import TableConfig, WarehouseConfig, parse_config  # noqa: E402
from monitor.metrics.profile import profile_table  # noqa: E402
from monitor.run.collect import collect_metrics  # noqa: E402
from monitor.run.context import MonitorContext  # noqa: E402
from monitor.run.runner import run_table  # noqa: E402
from monitor.warehouse import SqlWarehouse  # noqa: E402
from tests.helpers.statements import record_statements  # noqa: E402

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


def side_by_side(tasks: dict[str, object], repeat: int) -> dict[str, list[float]]:
    """Wall times of every task, ``repeat`` rounds, each round running every task once."""
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for round_ in range(repeat):
        for name, fn in tasks.items():
            started = time.perf_counter()
            fn()  # type: ignore[operator]
            times[name].append(time.perf_counter() - started)
        print(f"round {round_ + 1}/{repeat}: " + ", ".join(
            f"{name} {t[-1]:.2f}s" for name, t in times.items()), flush=True)
    return times


def ratio(times: dict[str, list[float]], top: str, bottom: str) -> float:
    """Median of the per-round ratios (each measured in the same round)."""
    return statistics.median(a / b for a, b in zip(times[top], times[bottom], strict=True))


def distinct_query_sql() -> str:
    """One plain query of count(DISTINCT) for every column: what exact mode must match."""
    columns = ["id", "customer_id", "amount", "quantity", "price", "status", "country",
               "email", "score", "discount", "created_at", "note"]
    parts = ", ".join(f"count(DISTINCT {col})" for col in columns)
    return f"SELECT {parts} FROM {SCHEMA}.orders"


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


def gx_suite(rows: int) -> tuple[object, int]:
    """A callable validating an equivalent suite with Great Expectations, and its size."""
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

    return validate, count


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
    parser.add_argument("--repeat", type=int, default=3, help="rounds of side-by-side timing")
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
    statements, profiles = {}, {}
    for mode in ("auto", "exact"):
        with record_statements(wh.engine) as log:
            profiles[mode] = profile_table(wh, table, distinct=mode)
        statements[mode] = log.summary()
    print(f"row count checked: {profiles['exact'].row_count:,}")
    last: dict[str, object] = {}
    conn = engine.connect()
    count_sql, pass_sql = f"SELECT count(*) FROM {SCHEMA}.orders", aggregate_pass_sql()
    distinct_sql = distinct_query_sql()
    names = {
        "count": "bare count(*)",
        "pass": "one aggregate pass, no distinct (floor)",
        "distinct": "one query of count(DISTINCT) for all 12 columns",
        "auto": "dq-monitor full profile, auto (distinct from planner statistics)",
        "exact": "dq-monitor full profile, exact distinct counts",
    }
    tasks = {
        "count": lambda: conn.exec_driver_sql(count_sql).scalar(),
        "pass": lambda: conn.exec_driver_sql(pass_sql).one(),
        "distinct": lambda: last.update(distinct=conn.exec_driver_sql(distinct_sql).one()),
        "auto": lambda: profile_table(wh, table, distinct="auto"),
        "exact": lambda: profile_table(wh, table, distinct="exact"),
    }
    gx_count = 0
    if not args.skip_gx:
        tasks["gx"], gx_count = gx_suite(args.rows)
        names["gx"] = (f"Great Expectations suite ({gx_count} expectations, "
                       "exact distinct counts)")
    times = side_by_side(tasks, args.repeat)
    conn.close()
    exact = profiles["exact"].columns
    ours = [exact[c].metrics["distinct_count"] for c in exact]
    assert ours == list(last["distinct"]), (ours, last["distinct"])  # type: ignore[call-overload]
    print("exact distinct counts checked against the count(DISTINCT) query")
    mem = memory_series(engine, [args.rows // 4, args.rows // 2, args.rows])
    incr = {lookback: incremental(engine, args.rows, lookback) for lookback in (0, 1)}
    median = {key: statistics.median(t) for key, t in times.items()}
    print()
    print(f"| measurement (median of {args.repeat} rounds) | seconds |")
    print("|---|---|")
    for key, name in names.items():
        print(f"| {name} | {median[key]:.3f} |")
    print()
    print("Ratios: medians of the ratios within each round.")
    print(f"ours (auto) / count(*): {ratio(times, 'auto', 'count'):.1f}x")
    print(f"ours (auto) / one aggregate pass: {ratio(times, 'auto', 'pass'):.2f}x "
          "(target <= 2x)")
    print(f"ours (exact) / one count(DISTINCT) query: {ratio(times, 'exact', 'distinct'):.2f}x "
          "(target <= 1.1x)")
    if not args.skip_gx:
        print(f"GX / ours (exact), like for like, both count distinct values: "
              f"{ratio(times, 'gx', 'exact'):.1f}x")
        print(f"GX / ours (auto), not like for like (ours reads distinct counts from "
              f"planner statistics): {ratio(times, 'gx', 'auto'):.1f}x")
    print()
    print("Statements per profile (catalog: reflection and pg_stats; scan: reads the table):")
    for mode, summary in statements.items():
        print(f"  {mode}: {summary}")
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
        share = t_prof / median["auto"] * 100
        print(f"| {lookback} | {t_full:.3f}s | {t_prof:.3f}s = {share:.1f}% of "
              f"the full profile, {t_prof / t_full * 100:.1f}% of the first run | "
              f"{t_incr:.3f}s = {t_incr / t_full * 100:.1f}% of the first run |")
    print("(target: the incremental run <= 10% of the full profile)")
    if not args.keep:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    engine.dispose()


if __name__ == "__main__":
    main()
