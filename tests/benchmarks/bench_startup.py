"""Start-up time and memory of the ``dq-monitor`` command, measured as whole processes.

Three figures (issue 18's targets in brackets), each the median of ``--runs`` runs:

- ``python -m monitor --help``: wall time [< 0.3 s];
- ``profile orders`` of the sample warehouse (``python -m monitor sample``): wall time [< 1.0 s];
- ``profile`` of the 12-column benchmark ``orders`` table (``bench_tables.py``'s shape,
  ``--rows`` rows), once in a SQLite file and once in a DuckDB file: wall time and peak RSS
  of that process [<= 150 MB].

Everything is written into a temporary folder. ``--root`` points at the checkout to measure
(default: this one), so the same script measures an older commit::

    git archive 1ef1fad | tar -x -C /tmp/before
    python tests/benchmarks/bench_startup.py --root /tmp/before

Wall times include the interpreter's own start-up (``python -c pass`` is printed for scale);
CPU time (user + sys) is printed too, since wall time on a shared machine varies with load.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: One config per measured warehouse, named "sample" (where ``dq-monitor sample`` writes):
#: a config that names a DuckDB warehouse loads the DuckDB driver when it is read, which
#: would count in the SQLite figures.
_CONFIG = """\
store: sqlite:///{folder}/metrics.db
warehouses:
  sample: {url}
expectations_dir: {expectations}
tables:
  - name: orders
    warehouse: sample
    table: orders
    timestamp_column: created_at
{schema}"""

#: The PostgreSQL schema ``--postgres`` creates and drops.
PG_SCHEMA = "dq_bench_startup"

#: The benchmark rows in SQLite: ``bench_tables.COLUMNS``' shape with SQLite's functions.
_SQLITE_ROWS = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
INSERT INTO orders
SELECT i, abs(random()) % 50000, round(abs(random()) % 50000 / 100.0, 2), abs(random()) % 11,
       round(abs(random()) % 10000 / 100.0, 2),
       CASE i % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'shipped' WHEN 2 THEN 'refunded'
                  ELSE 'cancelled' END,
       substr('DEFRNLUSGBESITPL', 1 + 2 * (i % 8), 2),
       CASE WHEN i % 20 = 0 THEN NULL ELSE 'user' || (i % 200000) || '@example.com' END,
       abs(random()) / 9223372036854775807.0,
       CASE WHEN i % 3 = 0 THEN NULL ELSE abs(random()) / 9223372036854775807.0 * 0.3 END,
       datetime('2024-01-01', '+' || (i * 60 / {step}) || ' seconds'),
       lower(hex(randomblob(16)))
FROM n
"""


def run(root: Path, args: list[str]) -> tuple[float, float, int]:
    """One whole ``python -m monitor ARGS`` process: (wall s, cpu s, peak RSS bytes)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], cwd=root, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode() if child.stderr else ""
    if child.stderr:
        child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {child.returncode}:\n{err}")
    # ru_maxrss is in kilobytes on Linux.
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def median_of(root: Path, args: list[str], runs: int) -> tuple[float, float, int]:
    """Medians of wall and CPU time and of peak RSS over ``runs`` processes."""
    results = [run(root, args) for _ in range(runs)]
    return (statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results),
            int(statistics.median(r[2] for r in results)))


def build_bench_table(path: Path, rows: int) -> None:
    """The benchmark ``orders`` table in a DuckDB file (``bench_tables.py``'s shape).

    Built in a child process: the parent stays small, so that its memory does not count in
    the peak RSS of the processes it starts.
    """
    script = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
import duckdb
from bench_tables import COLUMNS, orders_select
created_at = ("TIMESTAMP '2024-01-01' + to_seconds(CAST(i AS BIGINT) * 60 // "
              "{max(1, rows // 20000)})")
con = duckdb.connect({str(path)!r})
con.execute("SET enable_progress_bar = false")
con.execute(f"CREATE TABLE orders ({{COLUMNS}})")
con.execute(f"INSERT INTO orders {{orders_select(created_at)}} FROM range(1, {rows + 1}) t(i)")
con.close()
"""
    subprocess.run([sys.executable, "-c", script], check=True)


def build_sqlite_table(path: Path, rows: int) -> None:
    """The benchmark ``orders`` table in a SQLite file (same columns, SQLite's functions)."""
    sys.path.insert(0, str(HERE))
    from bench_tables import COLUMNS

    con = sqlite3.connect(path)
    try:
        con.execute(f"CREATE TABLE orders ({COLUMNS})")
        con.execute(_SQLITE_ROWS.format(rows=rows, step=max(1, rows // 20000)))
        con.commit()
    finally:
        con.close()


def build_postgres_table(url: str, rows: int) -> None:
    """The benchmark ``orders`` table in ``PG_SCHEMA`` (``bench_tables.py``), analyzed."""
    script = f"""
import sys
sys.path.insert(0, {str(HERE)!r})
import sqlalchemy as sa
from bench_tables import COLUMNS, orders_select
engine = sa.create_engine({url!r})
created_at = ("timestamp '2024-01-01' + (i * 60 / {max(1, rows // 20000)}) * interval '1 second'")
with engine.begin() as conn:
    conn.execute(sa.text("DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    conn.execute(sa.text("CREATE SCHEMA {PG_SCHEMA}"))
    conn.execute(sa.text(f"CREATE TABLE {PG_SCHEMA}.orders ({{COLUMNS}})"))
    conn.execute(sa.text(f"INSERT INTO {PG_SCHEMA}.orders {{orders_select(created_at)}} "
                         "FROM generate_series(1, {rows}) AS i"))
with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
    conn.execute(sa.text("VACUUM ANALYZE {PG_SCHEMA}.orders"))
"""
    subprocess.run([sys.executable, "-c", script], check=True)


def drop_postgres_schema(url: str) -> None:
    script = (f"import sqlalchemy as sa\nwith sa.create_engine({url!r}).begin() as conn:\n"
              f"    conn.execute(sa.text('DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE'))\n")
    subprocess.run([sys.executable, "-c", script], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=HERE.parents[1],
                        help="checkout whose monitor package is measured")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--postgres", metavar="URL",
                        help="also profile the table in PostgreSQL (schema "
                             f"{PG_SCHEMA}, dropped afterwards), e.g. "
                             "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    opts = parser.parse_args()
    root = opts.root.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)

        def config(name: str, url: str, schema: str | None = None) -> list[str]:
            path = folder / f"{name}.yaml"
            path.write_text(_CONFIG.format(folder=folder, url=url,
                                           expectations=root / "expectations",
                                           schema=f"    schema: {schema}\n" if schema else ""))
            return ["--config", str(path)]

        sample = config("sample", f"sqlite:///{folder}/sample.db")
        run(root, ["-m", "monitor", *sample, "sample"])
        for label, build, url in (
                ("SQLite", build_sqlite_table, f"sqlite:///{folder}/bench.db"),
                ("DuckDB", build_bench_table, f"duckdb:///{folder}/bench.duckdb")):
            started = time.perf_counter()
            build(Path(url.split(":///", 1)[1]), opts.rows)
            print(f"built the {opts.rows:,}-row {label} table in "
                  f"{time.perf_counter() - started:.1f}s")
        sqlite = config("sqlite", f"sqlite:///{folder}/bench.db")
        duck = config("duckdb", f"duckdb:///{folder}/bench.duckdb")
        measured = [
            ("python -c pass", ["-c", "pass"]),
            ("python -m monitor --help", ["-m", "monitor", "--help"]),
            ("profile orders (sample, SQLite)", ["-m", "monitor", *sample, "profile", "orders"]),
            (f"profile orders ({opts.rows:,} rows, SQLite)",
             ["-m", "monitor", *sqlite, "profile", "orders"]),
            (f"profile orders ({opts.rows:,} rows, DuckDB)",
             ["-m", "monitor", *duck, "profile", "orders"])]
        if opts.postgres:
            started = time.perf_counter()
            build_postgres_table(opts.postgres, opts.rows)
            print(f"built the {opts.rows:,}-row PostgreSQL table in "
                  f"{time.perf_counter() - started:.1f}s")
            pg = config("postgres", opts.postgres, PG_SCHEMA)
            measured.append((f"profile orders ({opts.rows:,} rows, PostgreSQL)",
                             ["-m", "monitor", *pg, "profile", "orders"]))
        print(f"{'command':48} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}  "
              f"(median of {opts.runs} runs)")
        try:
            for label, args in measured:
                wall, cpu, rss = median_of(root, args, opts.runs)
                print(f"{label:48} {wall:7.3f} {cpu:7.3f} {rss / 2**20:8.1f}", flush=True)
        finally:
            if opts.postgres:
                drop_postgres_schema(opts.postgres)


if __name__ == "__main__":
    main()
