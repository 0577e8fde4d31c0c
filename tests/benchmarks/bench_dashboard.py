"""Benchmark: the dashboard's overview on 200 tables with a year of daily history.

Not part of the test run.

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--tables 200] [--days 365]
        [--store PATH] [--postgres | --postgres-db NAME [--drop]] [--browser]
        [--no-apptest] [--no-peer]

``--postgres-db NAME`` seeds a database of that name once (kept, so the code before and
after a change is measured on the same store; ``--drop`` removes it at the end). To
measure older code, copy this script into that tree and run it there with
``PYTHONPATH`` set to the tree.

Seeds a metric store (SQLite by default; ``--postgres`` for a temporary database on the
local server) with, per table and day: one run, a snapshot row count and freshness,
six metrics for each of four columns, a schema snapshot, and detections (with the band)
of the row count and the four null rates; plus open incidents, expectation results and
anomalies on some tables. Then prints, in one run:

- the two overview queries (latest state of every table, every sparkline) against a
  per-table loop over the store's own API (the peer the overview must not be);
- the overview page as Streamlit renders it (AppTest): first render in this process,
  a render after the cache expired (the figure to hold under 2 s), and a cached render;
- with ``--browser``: the time until the overview and a table page are ready (content
  shown and the script finished) in headless Chromium, ``dq-monitor dashboard`` serving:
  a first visit (a new browser profile; the server's caches warm but for the very first
  load) and a return visit (the browser keeps Streamlit's scripts), each beside the same
  app on an empty store (the floor of any Streamlit page on this machine).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from monitor.config.models import CONFIG_ENV_VAR  # noqa: E402
from monitor.dashboard.source import reader  # noqa: E402
from monitor.store import SqlMetricStore, open_store  # noqa: E402
from monitor.store import dashboard as queries  # noqa: E402
from tests.helpers.seed import DAY, Seeder, daily_history, naive_now  # noqa: E402

COLUMNS = ("id", "customer_id", "amount", "status")
EXTRA_METRICS = ("null_count", "distinct_count", "min", "max", "mean")
TARGET_SECONDS = 2.0


def seed(store: SqlMetricStore, tables: int, days: int, now: dt.datetime) -> list[str]:
    names = [f"table_{i:03d}" for i in range(tables)]
    started = time.perf_counter()
    for i, name in enumerate(names):
        seeder = Seeder(next_incident_id=i * 10 + 1)
        anomalies = {("row_count", "", days - 1): 0.3} if i % 10 == 0 else {}
        history = daily_history(seeder, name, end=now - dt.timedelta(hours=1), days=days,
                                columns=COLUMNS, base_rows=1000 + i, anomalies=anomalies,
                                failed_days=[days - 1] if i % 25 == 1 else ())
        for run_id, at in zip(history.run_ids, history.run_times, strict=True):
            for column in COLUMNS:
                for k, metric in enumerate(EXTRA_METRICS):
                    seeder.metric(name, at, metric, float(k), run_id=run_id, column=column)
        if i % 10 == 0:
            seeder.incident(name, "volume:row_count", opened_at=now - DAY, severity="critical")
        if i % 5 == 0:
            for run_id, at in zip(history.run_ids[-30:], history.run_times[-30:], strict=True):
                seeder.expectation(name, at, "expect_column_values_to_not_be_null",
                                   run_id=run_id, column="id", success=True)
        seeder.write(store)
        if (i + 1) % 50 == 0:
            print(f"  seeded {i + 1}/{tables} tables ({time.perf_counter() - started:.0f} s)",
                  flush=True)
    return names


def write_config(path: Path, url: str, names: list[str]) -> Path:
    import yaml

    raw = {"store": url, "warehouses": {"wh": f"sqlite:///{path.parent / 'wh.db'}"},
           "default_schedule": "every 1d",
           "tables": [{"name": n, "warehouse": "wh", "table": n,
                       "owners": [f"@team-{i % 7}"], "tags": [f"domain-{i % 5}"],
                       "thresholds": {"freshness_sla": "26h"}} for i, n in enumerate(names)]}
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def timed(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float]:
    """(median, min) seconds over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times)


def per_table_loop(store: SqlMetricStore, names: list[str], since: dt.datetime,
                   detections_since: dt.datetime) -> None:
    """The peer: the same two queries asked once per table, as a naive page would."""
    for name in names:
        queries.latest_state(store, [name], detections_since=detections_since)
        queries.row_count_trends(store, since, [name])


def apptest_overview(config: Path) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ[CONFIG_ENV_VAR] = str(config)
    app = ROOT / "dashboards" / "app.py"
    out = {}
    started = time.perf_counter()
    at = AppTest.from_file(str(app), default_timeout=120).run()
    out["first render in this process (imports included)"] = time.perf_counter() - started
    assert not at.exception, at.exception
    shown = at.dataframe[0].value
    assert len(shown) == len(yaml_tables(config)), len(shown)

    def uncached() -> None:
        st.cache_data.clear()
        at.run()

    out["render after the cache expired"], out["  (best of 5)"] = timed(uncached)
    out["render from the cache"], _ = timed(at.run)
    return out


def yaml_tables(config: Path) -> list[Any]:
    import yaml

    return yaml.safe_load(config.read_text())["tables"]


def browser_times(config: Path, log: Path, selector: str, chromium: str, path: str = ""
                  ) -> tuple[list[float], list[float]]:
    """Seconds until ``selector`` shows and the page is done: three loads of ``path`` in a
    new browser profile each (the first one with the server's caches cold: a first visit),
    then four in one profile (a return visit: the browser keeps Streamlit's scripts; the
    first of them fills that cache and is dropped)."""
    from playwright.sync_api import sync_playwright

    from tests.helpers.dashboard import served_dashboard

    viewport = {"width": 1440, "height": 1200}
    with served_dashboard(config, log) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])

        def load(context: Any) -> float:
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"{url}/{path}", wait_until="domcontentloaded")
            page.locator(selector).first.wait_for(timeout=120_000)
            # ready: the script has finished sending the page (no "running" widget)
            page.wait_for_function(
                "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                timeout=120_000)
            seconds = time.perf_counter() - started
            page.close()
            return seconds

        first = []
        for _ in range(3):
            context = browser.new_context(viewport=viewport)
            first.append(load(context))
            context.close()
        kept = browser.new_context(viewport=viewport)
        again = [load(kept) for _ in range(4)][1:]
        browser.close()
    return first, again


def browser_time_to_content(config: Path, folder: Path, table: str) -> dict[str, float]:
    """The overview and one table page in Chromium (medians of the warm loads, and the
    cold first load), and their peer: the same app on a store with no runs."""
    import shutil

    chromium = shutil.which("chromium")
    if chromium is None:
        print("  browser: skipped, Debian's chromium is not installed")
        return {}
    overview = browser_times(config, folder / "dashboard.log", '[data-testid="stDataFrame"]',
                             chromium)
    table_page = browser_times(config, folder / "table.log", '[data-testid="stVegaLiteChart"]',
                               chromium, f"table?table={table}")
    empty = write_config(folder / "empty.yaml", f"sqlite:///{folder / 'empty.db'}",
                         ["t"])
    open_store(f"sqlite:///{folder / 'empty.db'}").dispose()
    baseline = browser_times(empty, folder / "empty.log", '[data-testid="stAlert"]', chromium)
    for label, (first, again) in (("overview", overview), (f"table page ({table})", table_page),
                                  ("peer, same app on an empty store", baseline)):
        print(f"  browser, {label}: new profile {', '.join(f'{s:.2f} s' for s in first)} "
              f"(the first with cold caches); browser cache kept "
              f"{', '.join(f'{s:.2f} s' for s in again)}")
    out = {}
    for label, (first, again) in (("overview", overview), ("table", table_page),
                                  ("peer", baseline)):
        out[f"{label}, first visit"] = statistics.median(first[1:])
        out[f"{label}, return visit"] = statistics.median(again)
        out[f"{label}, cold"] = first[0]
    return out


@contextlib.contextmanager
def store_url(args: argparse.Namespace, folder: Path) -> Iterator[tuple[str, bool]]:
    """(url, needs seeding)."""
    if args.postgres_db:
        yield kept_database(args.postgres_db, drop=args.drop)
        return
    if args.postgres:
        from tests.helpers.postgres import temporary_database

        with temporary_database("dq_bench_dash") as url:
            yield url, True
        return
    path = Path(args.store) if args.store else folder / "metrics.db"
    yield f"sqlite:///{path}", not path.exists()


def analyze(store: SqlMetricStore) -> None:
    """Fresh statistics, as autovacuum would have gathered on a store that grew over a
    year (a freshly seeded database has none, and its plans are not a real store's)."""
    if store.engine.dialect.name != "postgresql":
        return
    import sqlalchemy as sa

    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))


def kept_database(name: str, *, drop: bool) -> tuple[str, bool]:
    """(url, needs seeding) of a database kept between runs (created when missing)."""
    import sqlalchemy as sa

    from tests.helpers.postgres import base_url, url_for_database

    admin = sa.create_engine(base_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": name}).first() is not None
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = url_for_database(name)
    if exists:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            has_runs = conn.execute(sa.text(
                "SELECT to_regclass('dq_runs') IS NOT NULL")).scalar()
            seeded = bool(has_runs and conn.execute(sa.text(
                "SELECT count(*) FROM dq_runs")).scalar())
        engine.dispose()
    else:
        seeded = False
    if drop:
        import atexit

        atexit.register(_drop_database, name)
    return url, not seeded


def _drop_database(name: str) -> None:
    import sqlalchemy as sa

    from tests.helpers.postgres import base_url

    admin = sa.create_engine(base_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--store", help="SQLite file to reuse (seeded when missing)")
    parser.add_argument("--postgres", action="store_true", help="store on local PostgreSQL")
    parser.add_argument("--postgres-db", help="PostgreSQL database to seed once and keep")
    parser.add_argument("--drop", action="store_true", help="drop --postgres-db at the end")
    parser.add_argument("--browser", action="store_true", help="also time headless Chromium")
    parser.add_argument("--no-apptest", action="store_true", help="skip the AppTest renders")
    parser.add_argument("--seed-only", action="store_true", help="seed, then stop")
    parser.add_argument("--no-peer", action="store_true",
                        help="skip the per-table query loop (minutes at 1,000 tables)")
    args = parser.parse_args()
    now = naive_now()
    with tempfile.TemporaryDirectory() as tmp, store_url(args, Path(tmp)) as (url, fresh):
        folder = Path(tmp)
        writable = open_store(url)
        names = [f"table_{i:03d}" for i in range(args.tables)]
        if fresh:
            print(f"seeding {args.tables} tables x {args.days} days into {url} ...")
            started = time.perf_counter()
            seed(writable, args.tables, args.days, now)
            print(f"  seeded in {time.perf_counter() - started:.0f} s")
            analyze(writable)
        if args.seed_only:
            writable.dispose()
            return
        config = write_config(folder / "monitor.yaml", url, names)
        store = reader(url)
        with store.connect() as conn:
            import sqlalchemy as sa

            from monitor.store.schema import detections, metrics, runs
            counts = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                      for t in (runs, metrics, detections)}
        print("store rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

        since = now.replace(hour=0, minute=0, second=0) - 30 * DAY
        window = since - 60 * DAY  # what the page passes: detections of the last 90 days
        state_s, _ = timed(lambda: queries.latest_state(store, names, detections_since=window))
        whole_s, _ = timed(lambda: queries.latest_state(store, names))
        trend_s, _ = timed(lambda: queries.row_count_trends(store, since, names))
        loop_s = (0.0 if args.no_peer else
                  timed(lambda: per_table_loop(store, names, since, window), repeat=3)[0])
        print("\noverview queries (median of 5):")
        print(f"  latest state of all tables (1 query)      {state_s:7.3f} s")
        print(f"    same, detections of all time            {whole_s:7.3f} s")
        print(f"  all sparklines (1 query)                  {trend_s:7.3f} s")
        if not args.no_peer:
            print(f"  peer: the same 2 queries once per table   {loop_s:7.3f} s "
                  f"= {loop_s / (state_s + trend_s):.1f}x the two queries")

        if not args.no_apptest:
            print("\noverview page, Streamlit AppTest:")
            figures = apptest_overview(config)
            for label, seconds in figures.items():
                print(f"  {label:<50} {seconds:7.3f} s")
            key = figures["render after the cache expired"]
            verdict = "meets" if key < TARGET_SECONDS else "MISSES"
            print(f"\n=> overview render with an expired cache: {key:.2f} s, {verdict} the "
                  f"{TARGET_SECONDS:.0f} s target ({key / TARGET_SECONDS:.0%} of it)")
        if args.browser:
            print("\nin the browser (page ready: content shown, script finished):")
            found = browser_time_to_content(config, folder, names[0])
            for label, seconds in found.items():
                verdict = "meets" if seconds < TARGET_SECONDS else "MISSES"
                page_name, visit = label.split(", ")
                peer = found.get(f"peer, {visit}") if page_name != "peer" else None
                ratio = f", {seconds / peer:.2f}x the empty-store peer" if peer else ""
                print(f"=> {label:<24} {seconds:6.2f} s ({verdict} the "
                      f"{TARGET_SECONDS:.0f} s target{ratio})")
        store.dispose()
        writable.dispose()


if __name__ == "__main__":
    main()
