"""Benchmark: validating a suite with our SQL pushdown against plain GX, and gating a batch.

Not part of the test run. Needs the local PostgreSQL (DQ_TEST_POSTGRES_URL, database
``test``); works in its own schema, dropped at the end unless ``--keep``.

    .venv/bin/python tests/benchmarks/bench_gate.py [--rows 2000000] [--batch 100000] [--keep]

Prints, in one run:
- the time to validate a 51-expectation suite (nulls, min/max/mean/stdev, uniqueness,
  distinct counts, sets, ranges, lengths, row count) on a ``--rows`` x 12-column table,
  once through our path (``engine: auto``: one aggregate SELECT, GX for nothing) and
  once through plain GX (``engine: gx``), the ratio, and whether both agree on every
  expectation;
- the end-to-end time of ``ingest`` (read CSV, drift check, staging, gate, publish in
  one transaction) for a ``--batch``-row file into a table of the same shape, per stage.

The generated table is reused by name when it already has ``--rows`` rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench_tables import COLUMNS, orders_select  # noqa: E402

from monitor.config.models import parse_config  # noqa: E402
from monitor.ingest.batch import ingest_file  # noqa: E402
from monitor.retry import RetryPolicy  # noqa: E402
from monitor.run.context import MonitorContext  # noqa: E402
from monitor.validation.suite_runner import validate_table  # noqa: E402
from monitor.validation.suites import load_suites  # noqa: E402

BASE_URL = os.environ.get("DQ_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "dq_bench_gate"
NUMERIC = ("customer_id", "amount", "quantity", "price", "score", "discount")
ALL = ("id", "customer_id", "amount", "quantity", "price", "status", "country", "email",
       "score", "discount", "created_at", "note")
STATUSES = ["paid", "shipped", "refunded", "cancelled"]
COUNTRIES = ["DE", "FR", "NL", "US", "GB", "ES", "IT", "PL"]


def generate(engine: sa.Engine, table: str, rows: int) -> None:
    created_at = ("now()::timestamp - ((i % 30) || ' days')::interval"
                  " - ((random() * 86399)::int || ' seconds')::interval")
    sql = (f"INSERT INTO {SCHEMA}.{table} {orders_select(created_at)} "
           "FROM generate_series(1, :n) AS i")
    with engine.begin() as conn:
        conn.execute(sa.text(sql), {"n": rows})
        conn.execute(sa.text(f"ANALYZE {SCHEMA}.{table}"))


def ensure_table(engine: sa.Engine, table: str, rows: int) -> bool:
    """Create and fill the table unless it already has ``rows`` rows; True if reused."""
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        exists = conn.execute(sa.text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = :s "
            "AND table_name = :t"), {"s": SCHEMA, "t": table}).scalar()
        if exists:
            have = conn.execute(sa.text(f"SELECT count(*) FROM {SCHEMA}.{table}")).scalar()
            if have == rows:
                return True
            conn.execute(sa.text(f"DROP TABLE {SCHEMA}.{table}"))
        conn.execute(sa.text(f"CREATE TABLE {SCHEMA}.{table} ({COLUMNS})"))
    generate(engine, table, rows)
    return False


def _e(kind: str, severity: str = "critical", **kwargs: object) -> dict:
    return {"type": f"expect_{kind}", "kwargs": kwargs, "meta": {}, "severity": severity}


def bundled_suite() -> list[dict]:
    """51 expectations, the mix the profile benchmark's GX suite uses, plus sets and ranges."""
    out = [_e("column_values_to_not_be_null", column=c, mostly=0.6) for c in ALL]  # 12
    for c in NUMERIC:  # 6 x 5 = 30
        out += [_e("column_min_to_be_between", column=c, min_value=-1e9),
                _e("column_max_to_be_between", column=c, max_value=1e9),
                _e("column_mean_to_be_between", column=c, min_value=-1e9, max_value=1e9),
                _e("column_stdev_to_be_between", column=c, min_value=0),
                _e("column_values_to_be_between", column=c, min_value=-1e9, max_value=1e9)]
    out += [_e("column_values_to_be_unique", column="id"),
            _e("column_values_to_be_in_set", column="status", value_set=STATUSES),
            _e("column_values_to_be_in_set", column="country", value_set=COUNTRIES),
            _e("column_values_to_not_be_in_set", column="status", value_set=["lost"]),
            _e("column_unique_value_count_to_be_between", column="status", max_value=10),
            _e("column_unique_value_count_to_be_between", column="country", max_value=10),
            _e("column_value_lengths_to_be_between", column="note", min_value=32,
               max_value=32),
            _e("column_values_to_match_regex", column="email", regex="@example\\.com$",
               severity="warning"),
            _e("table_row_count_to_be_between", min_value=1)]  # 9
    return out


def config(tmp: Path, target_rows: int) -> MonitorContext:
    folder = tmp / "expectations"
    folder.mkdir()
    (folder / "bench.json").write_text(json.dumps({"name": "bench",
                                                   "expectations": bundled_suite()}))
    (folder / "batch.json").write_text(json.dumps({"name": "batch", "expectations": [
        _e("column_values_to_not_be_null", column="id"),
        _e("column_values_to_be_unique", column="id"),
        _e("column_values_to_be_between", column="amount", min_value=0, max_value=1000),
        _e("column_values_to_be_in_set", column="status", value_set=STATUSES),
        _e("column_values_to_be_in_set", column="country", value_set=COUNTRIES),
        _e("column_mean_to_be_between", column="amount", min_value=100, max_value=400,
           severity="warning")]}))
    url = sa.engine.make_url(BASE_URL).render_as_string(hide_password=False)
    raw = {"store": f"sqlite:///{tmp / 'metrics.db'}", "warehouses": {"pg": url},
           "validation": {"unexpected_samples": 0},
           "tables": [{"name": "bench", "warehouse": "pg", "schema": SCHEMA,
                       "table": "bench_2m", "suites": ["bench"]},
                      {"name": "target", "warehouse": "pg", "schema": SCHEMA,
                       "table": "bench_target", "suites": ["batch"],
                       "timestamp_column": "created_at", "bucket": "day",
                       "thresholds": {"freshness_sla": "2d"}}]}
    return MonitorContext(parse_config(raw, base_dir=tmp))


def batch_file(path: Path, rows: int, first_id: int) -> None:
    rng = np.random.default_rng(11)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    pd.DataFrame({
        "id": np.arange(first_id, first_id + rows),
        "customer_id": rng.integers(0, 50_000, rows),
        "amount": np.round(rng.uniform(0, 500, rows), 2),
        "quantity": rng.integers(0, 11, rows),
        "price": np.round(rng.uniform(0, 100, rows), 2),
        "status": rng.choice(STATUSES, rows),
        "country": rng.choice(COUNTRIES, rows),
        "email": [f"user{i}@example.com" for i in range(rows)],
        "score": rng.random(rows),
        "discount": np.where(rng.random(rows) < 0.3, np.nan, rng.random(rows) * 0.3),
        "created_at": (now - pd.to_timedelta(rng.integers(60, 20 * 3600, rows), unit="s")
                       ).strftime("%Y-%m-%d %H:%M:%S"),
        "note": [f"{i:032x}" for i in range(rows)],
    }).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--target-rows", type=int, default=300_000,
                        help="history already in the ingestion target (30 days)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark schema")
    args = parser.parse_args()
    engine = sa.create_engine(BASE_URL)
    tmp = Path(tempfile.mkdtemp(prefix="dq_bench_gate_"))
    try:
        t0 = time.perf_counter()
        reused = ensure_table(engine, "bench_2m", args.rows)
        print(f"{SCHEMA}.bench_2m: {args.rows:,} rows x 12 columns "
              f"({'reused' if reused else f'generated in {time.perf_counter() - t0:.1f}s'})")
        ensure_table(engine, "bench_target", args.target_rows)
        ctx = config(tmp, args.target_rows)
        table = ctx.config.table("bench")
        warehouse = ctx.warehouse_for(table)
        shape = warehouse.describe(table.table, table.schema)
        suites = load_suites(ctx.config, table)
        print(f"suite: {len(suites[0].expectations)} expectations")

        t0 = time.perf_counter()
        import great_expectations  # noqa: F401  (its import is not part of either timing)

        from monitor.validation.gx import gx_context

        gx_context()
        t_import = time.perf_counter() - t0

        def timed(engine_choice: str):
            start = time.perf_counter()
            report = validate_table(warehouse, table, suites, shape=shape,
                                    engine=engine_choice)  # type: ignore[arg-type]
            return time.perf_counter() - start, report

        validate = {name: [timed(name) for _ in range(2)] for name in ("auto", "gx")}
        t_ours = min(t for t, _ in validate["auto"])
        t_gx = min(t for t, _ in validate["gx"])
        ours, theirs = validate["auto"][0][1], validate["gx"][0][1]
        engines = {o.engine for o in ours.outcomes}
        disagree = [o.expectation.label for o, g in zip(ours.outcomes, theirs.outcomes,
                                                        strict=True)
                    if o.success != g.success or o.unexpected_count != g.unexpected_count]

        target_cfg = ctx.config.table("target")
        csv = tmp / "batch.csv"
        batch_file(csv, args.batch, first_id=10 ** 9)
        marks: dict[str, float] = {}

        def mark(stage: str, conn: object) -> None:
            marks[stage] = time.perf_counter()

        start = time.perf_counter()
        result = ingest_file(csv, target_cfg, context=ctx, checkpoint=mark,
                             retry=RetryPolicy(attempts=1))
        t_ingest = time.perf_counter() - start
        staged = marks.get("staged", start) - start
        gated = marks.get("before_commit", start) - marks.get("staged", start)

        print()
        print("| measurement | seconds |")
        print("|---|---|")
        print(f"| GX import + context (paid once per process) | {t_import:.2f} |")
        print(f"| validate suite, ours (SQL pushdown, best of 2) | {t_ours:.2f} |")
        print(f"| validate suite, plain GX (best of 2) | {t_gx:.2f} |")
        print(f"| ingest {args.batch:,}-row CSV end to end | {t_ingest:.2f} |")
        print(f"|   read + drift check + staging load | {staged:.2f} |")
        print(f"|   gate (suite, volume, freshness) + publish | {gated:.2f} |")
        print(f"|   commit, lineage, drop staging | {t_ingest - staged - gated:.2f} |")
        print()
        print(f"plain GX / ours: {t_gx / t_ours:.1f}x (ours evaluated by: "
              f"{', '.join(sorted(engines))})")
        print(f"results agree on success and unexpected counts: "
              f"{'yes' if not disagree else 'NO: ' + ', '.join(disagree)}")
        print(f"ingest: {result.status}, {result.rows_published:,} rows published "
              f"({result.rows_published / t_ingest:,.0f} rows/s), gate "
              f"{result.gate.verdict if result.gate else '-'}")
    finally:
        if not args.keep:
            with engine.begin() as conn:
                conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        engine.dispose()


if __name__ == "__main__":
    main()
