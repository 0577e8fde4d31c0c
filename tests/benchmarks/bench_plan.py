"""Benchmark: one metric plan per run. A scheduled run of the 2M-row PostgreSQL table
with a pushed-down suite against the same run without it, and against the profile alone.

Not part of the test run. Needs the local PostgreSQL (DQ_TEST_POSTGRES_URL).

    .venv/bin/python tests/benchmarks/bench_plan.py [--rows 2000000] [--repeat 3] [--keep]

The suite is the one ``bench_profile.py`` gives GX (nulls and unique value counts of
every column; min, max, mean and stdev of the numbers; lengths of the texts; the row
count), written as a suite file; every expectation of it runs as SQL. Prints, in one
run, medians of ``--repeat`` rounds that each time every task once (side by side, so
a busy machine slows them alike): the profile alone, the run without the suite and
the run with it, with distinct counts ``auto`` (PostgreSQL: from planner statistics)
and ``exact``; then the ratios, and the statements one run sends to the warehouse.

It only calls the public entry points, so the same script measures an older tree:
``PYTHONPATH=<tree> python <tree>/tests/benchmarks/bench_plan.py`` gives the figures
"before".
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import bench_profile  # noqa: E402
from bench_profile import BASE_URL, ratio, setup, side_by_side  # noqa: E402

from monitor.config.models import parse_config  # noqa: E402
from monitor.metrics.profile import profile_table  # noqa: E402
from monitor.run.context import MonitorContext  # noqa: E402
from monitor.run.runner import run_table  # noqa: E402
from tests.helpers.statements import record_statements  # noqa: E402

#: A schema of its own, so that bench_profile.py can run at the same time.
SCHEMA = bench_profile.SCHEMA = "dq_bench_plan"
NUMERIC = ["id", "customer_id", "amount", "quantity", "price", "score", "discount"]
TEXTS = ["status", "country", "email", "note"]


def suite_file(rows: int) -> dict[str, Any]:
    """The GX suite of ``bench_profile.gx_suite``, as a suite file."""
    def exp(kind: str, **kwargs: Any) -> dict[str, Any]:
        return {"type": f"expect_{kind}", "kwargs": kwargs}

    out = []
    for col in NUMERIC + TEXTS + ["created_at"]:
        out.append(exp("column_values_to_not_be_null", column=col, mostly=0.0))
        out.append(exp("column_unique_value_count_to_be_between", column=col, min_value=0,
                       max_value=rows * 2))
    for col in NUMERIC:
        out.append(exp("column_min_to_be_between", column=col, min_value=-1e12))
        out.append(exp("column_max_to_be_between", column=col, max_value=1e12))
        out.append(exp("column_mean_to_be_between", column=col, min_value=-1e12,
                       max_value=1e12))
        out.append(exp("column_stdev_to_be_between", column=col, min_value=0,
                       max_value=1e12))
    for col in TEXTS:
        out.append(exp("column_value_lengths_to_be_between", column=col, min_value=0,
                       max_value=10_000))
    out.append(exp("table_row_count_to_be_between", min_value=0, max_value=rows * 2))
    return {"name": "orders", "expectations": out, "meta": {}}


def context(tmp: Path, *, suite: bool, distinct: str, rows: int) -> MonitorContext:
    folder = tmp / f"{'suite' if suite else 'plain'}_{distinct}"
    (folder / "expectations").mkdir(parents=True)
    (folder / "expectations" / "orders.json").write_text(json.dumps(suite_file(rows)))
    table: dict[str, Any] = {"name": "orders", "warehouse": "bench", "table": "orders",
                             "schema": SCHEMA, "timestamp_column": "created_at",
                             "distinct": distinct}
    if suite:
        table["suites"] = ["orders"]
    config = parse_config({"store": f"sqlite:///{folder}/metrics.db",
                           "warehouses": {"bench": BASE_URL}, "tables": [table]},
                          base_dir=folder)
    return MonitorContext(config)


def run(ctx: MonitorContext) -> Any:
    result = run_table(ctx, ctx.config.table("orders"))
    assert result.status == "success", result.error
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark schema")
    parser.add_argument("--reuse", action="store_true",
                        help="use the table a previous --keep left")
    args = parser.parse_args()
    engine = sa.create_engine(BASE_URL)
    if not args.reuse:
        print(f"generating {args.rows:,} rows x 12 columns in {SCHEMA}.orders ...", flush=True)
        setup(engine, args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        contexts = {(suite, distinct): context(Path(tmp), suite=suite, distinct=distinct,
                                               rows=args.rows)
                    for suite in (False, True) for distinct in ("auto", "exact")}
        expectations = len(suite_file(args.rows)["expectations"])
        statements, results = {}, {}
        for (suite, distinct), ctx in contexts.items():
            warehouse = ctx.warehouse_for(ctx.config.table("orders"))
            with record_statements(warehouse.engine) as log:
                results[suite, distinct] = run(ctx)
            statements[suite, distinct] = log.summary()
        found = [f for f in results[True, "exact"].found if f.kind == "expectation"]
        assert len(found) == expectations, len(found)
        assert not [f.reason for f in found if f.failing]
        print(f"suite checked: {expectations} expectations, all passing")
        table = contexts[False, "auto"].config.table("orders")
        warehouse = contexts[False, "auto"].warehouse_for(table)
        tasks = {
            "profile_auto": lambda: profile_table(warehouse, table, distinct="auto"),
            "plain_auto": lambda: run(contexts[False, "auto"]),
            "suite_auto": lambda: run(contexts[True, "auto"]),
            "profile_exact": lambda: profile_table(warehouse, table, distinct="exact"),
            "plain_exact": lambda: run(contexts[False, "exact"]),
            "suite_exact": lambda: run(contexts[True, "exact"]),
        }
        names = {
            "profile_auto": "profile alone, auto (distinct from planner statistics)",
            "plain_auto": "run without the suite, auto",
            "suite_auto": f"run with the {expectations}-expectation suite, auto",
            "profile_exact": "profile alone, exact distinct counts",
            "plain_exact": "run without the suite, exact",
            "suite_exact": f"run with the {expectations}-expectation suite, exact",
        }
        times = side_by_side(tasks, args.repeat)
        for ctx in contexts.values():
            ctx.store.dispose()
    median = {key: statistics.median(t) for key, t in times.items()}
    print()
    print(f"| measurement (median of {args.repeat} rounds, {args.rows:,} rows) | seconds |")
    print("|---|---|")
    for key, name in names.items():
        print(f"| {name} | {median[key]:.3f} |")
    print()
    print("Ratios: medians of the ratios within each round (target: with the suite "
          "<= 1.15x the profile alone).")
    for mode in ("auto", "exact"):
        print(f"{mode}: run with the suite / run without it: "
              f"{ratio(times, f'suite_{mode}', f'plain_{mode}'):.2f}x; "
              f"/ profile alone: {ratio(times, f'suite_{mode}', f'profile_{mode}'):.2f}x")
    print("(auto: the suite's unique value counts are exact, the profile's estimates are "
          "free; exact is like for like)")
    print()
    print("Statements per run to the warehouse (catalog: reflection and pg_stats; "
          "scan: reads the table):")
    for (suite, distinct), summary in statements.items():
        print(f"  {'with' if suite else 'without'} the suite, {distinct}: {summary}")
    if not args.keep:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {SCHEMA} CASCADE"))
    engine.dispose()


if __name__ == "__main__":
    main()
