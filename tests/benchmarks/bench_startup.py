"""Start-up time and memory of the ``dq-monitor`` command, measured as whole processes.

Three figures (issue 18's targets in brackets), each the median of ``--runs`` runs:

- ``python -m monitor --help``: wall time [< 0.3 s];
- ``profile orders`` of the sample warehouse (``python -m monitor sample``): wall time [< 1.0 s];
- ``profile`` of the 12-column benchmark ``orders`` table (``bench_tables.py``'s shape, built
  in a DuckDB file, ``--rows`` rows): wall time and peak RSS of that process [<= 150 MB].

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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

_CONFIG = """\
store: sqlite:///{folder}/metrics.db
warehouses:
  sample: sqlite:///{folder}/sample.db
  bench: duckdb:///{folder}/bench.duckdb
expectations_dir: {expectations}
tables:
  - name: orders
    warehouse: sample
    table: orders
    timestamp_column: created_at
    loaded_at_column: loaded_at
    bucket: day
  - name: bench_orders
    warehouse: bench
    table: orders
    timestamp_column: created_at
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=HERE.parents[1],
                        help="checkout whose monitor package is measured")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rows", type=int, default=2_000_000)
    opts = parser.parse_args()
    root = opts.root.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        folder = Path(tmp)
        config = folder / "monitor.yaml"
        config.write_text(_CONFIG.format(folder=folder, expectations=root / "expectations"))
        cfg = ["--config", str(config)]
        run(root, ["-m", "monitor", *cfg, "sample"])
        started = time.perf_counter()
        build_bench_table(folder / "bench.duckdb", opts.rows)
        print(f"built the {opts.rows:,}-row DuckDB table in {time.perf_counter() - started:.1f}s")
        print(f"{'command':44} {'wall s':>7} {'cpu s':>7} {'peak MB':>8}  ({opts.runs} runs)")
        for label, args in (
                ("python -c pass", ["-c", "pass"]),
                ("python -m monitor --help", ["-m", "monitor", "--help"]),
                ("profile orders (sample)", ["-m", "monitor", *cfg, "profile", "orders"]),
                (f"profile bench_orders ({opts.rows:,} rows)",
                 ["-m", "monitor", *cfg, "profile", "bench_orders"])):
            wall, cpu, rss = median_of(root, args, opts.runs)
            print(f"{label:44} {wall:7.3f} {cpu:7.3f} {rss / 2**20:8.1f}", flush=True)


if __name__ == "__main__":
    main()
