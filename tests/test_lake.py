"""Lake files as DuckDB views: formats, quoting, hive pruning, failures (pandas oracle)."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import yaml

from monitor import gate
from monitor.config.models import load_config, parse_config
from monitor.config.sources import TableSource
from monitor.demo.run import DEMO_CONFIG, bundled_suites
from monitor.demo.sample import build_sample_warehouse
from monitor.errors import ConfigError, ObjectNotFound
from monitor.lake import attach_sources, partition_filter, reader_sql, sql_string
from monitor.metrics.profile import describe_table, profile_buckets, profile_table
from monitor.run.collect import collect_metrics
from monitor.run.context import MonitorContext
from monitor.run.runner import run_table
from monitor.warehouse import SqlWarehouse

UTC = dt.UTC


def orders_frame(days: int = 6, per_day: int = 24) -> pd.DataFrame:
    """Hourly orders from 2026-11-01 on; every 7th amount missing."""
    start = dt.datetime(2026, 11, 1)
    rows = [{"id": i, "ts": start + dt.timedelta(hours=i),
             "amount": None if i % 7 == 0 else float(i % 13) * 2.5,
             "status": ("paid", "refunded", "it's")[i % 3]}
            for i in range(days * per_day)]
    return pd.DataFrame(rows)


def write_hive(frame: pd.DataFrame, root: Path) -> None:
    """``root/year=/month=/day=/part.parquet``, one file per day."""
    for day, part in frame.groupby(frame["ts"].dt.date):
        folder = root / f"year={day.year}" / f"month={day.month}" / f"day={day.day}"
        folder.mkdir(parents=True)
        pq.write_table(pa.Table.from_pandas(part, preserve_index=False), folder / "part.parquet")


def lake_context(tmp_path: Path, **table: Any) -> MonitorContext:
    config = parse_config({"store": "sqlite:///:memory:",
                           "warehouses": {"lake": "duckdb:///:memory:"},
                           "tables": [{"name": "orders", "warehouse": "lake", **table}]},
                          base_dir=tmp_path)
    return MonitorContext(config)


class TestSqlString:
    def test_doubles_quotes(self) -> None:
        # Arrange / Act
        literal = sql_string("a'b''c")

        # Assert
        assert literal == "'a''b''''c'"


class TestReaderSql:
    def test_csv_options_are_quoted_literals(self) -> None:
        # Arrange
        source = TableSource(path="/x/*.csv", format="csv", options={"delim": "|"})

        # Act
        sql = reader_sql(source)

        # Assert
        assert sql == "read_csv('/x/*.csv', delim='|')"

    def test_option_names_must_be_words(self) -> None:
        # Arrange / Act / Assert
        with pytest.raises(ValueError, match="lower-case words"):
            TableSource(path="/x", options={"delim=') --": "x"})


class TestAttachSources:
    @pytest.mark.parametrize("fmt", ["parquet", "csv", "json", "delta"])
    def test_profile_matches_pandas(self, tmp_path: Path, fmt: str) -> None:
        # Arrange: a folder whose name has a quote, written by pyarrow (delta: deltalake).
        frame = orders_frame()
        folder = tmp_path / "it's lake"
        folder.mkdir()
        if fmt == "parquet":
            pq.write_table(pa.Table.from_pandas(frame), folder / "orders.parquet")
            path = "it's lake/*.parquet"
        elif fmt == "csv":
            frame.to_csv(folder / "orders.csv", index=False)
            path = "it's lake/orders.csv"
        elif fmt == "json":
            frame.assign(ts=frame["ts"].dt.strftime("%Y-%m-%dT%H:%M:%S")).to_json(
                folder / "orders.json", orient="records", lines=True)
            path = "it's lake/orders.json"
        else:
            deltalake = pytest.importorskip("deltalake")
            deltalake.write_deltalake(str(folder / "orders"), pa.Table.from_pandas(frame))
            path = "it's lake/orders"
        ctx = lake_context(tmp_path, table={"path": path, "format": fmt},
                           timestamp_column="ts")
        table = ctx.config.table("orders")

        # Act
        profile = profile_table(ctx.warehouse("lake"), table)

        # Assert
        assert profile.row_count == len(frame)
        amount = profile.columns["amount"].metrics
        assert amount["null_count"] == frame["amount"].isna().sum()
        assert amount["mean"] == pytest.approx(frame["amount"].mean())
        assert profile.columns["status"].metrics["null_count"] == 0

    def test_new_files_are_read_at_the_next_query(self, tmp_path: Path) -> None:
        # Arrange
        frame = orders_frame()
        pq.write_table(pa.Table.from_pandas(frame), tmp_path / "a.parquet")
        ctx = lake_context(tmp_path, table={"path": "*.parquet"})
        warehouse, table = ctx.warehouse("lake"), ctx.config.table("orders")
        first = profile_table(warehouse, table).row_count

        # Act
        pq.write_table(pa.Table.from_pandas(frame), tmp_path / "b.parquet")
        second = profile_table(warehouse, table).row_count

        # Assert
        assert (first, second) == (len(frame), 2 * len(frame))

    def test_unreadable_source_names_table_and_reason(self, tmp_path: Path) -> None:
        # Arrange
        ctx = lake_context(tmp_path, table={"path": "missing/*.parquet"})

        # Act / Assert
        with pytest.raises(ObjectNotFound, match=r"table 'orders': cannot read parquet files "
                                                 r"at '.*missing/\*\.parquet'.*No files found"):
            describe_table(ctx.warehouse("lake"), ctx.config.table("orders"))

    def test_files_need_duckdb(self, tmp_path: Path) -> None:
        # Arrange
        config = parse_config({"store": "sqlite:///:memory:",
                               "warehouses": {"w": "sqlite:///:memory:"},
                               "tables": [{"name": "orders", "warehouse": "w",
                                           "table": {"path": "x.parquet"}}]},
                              base_dir=tmp_path)
        warehouse = SqlWarehouse("w", config.warehouses["w"])

        # Act / Assert
        with pytest.raises(ConfigError, match="table 'orders'.*reads files through DuckDB"):
            attach_sources(warehouse, config.tables)


def demo_as_parquet(tmp_path: Path) -> tuple[Path, dict[str, pd.DataFrame]]:
    """The demo's config and tables, the tables as Parquet (orders hive-partitioned)."""
    sample = tmp_path / "sample.db"
    build_sample_warehouse(sample, days=21, end=dt.date(2026, 11, 20))
    times = {"orders": ["created_at", "loaded_at"], "events": ["occurred_at", "loaded_at"],
             "customers": ["signup_at"]}
    frames = {}
    with sqlite3.connect(sample) as conn:
        for name, columns in times.items():
            frame = pd.read_sql(f"SELECT * FROM {name}", conn)
            for column in columns:
                frame[column] = pd.to_datetime(frame[column], format="ISO8601")
            frames[name] = frame
    write_hive(frames["orders"].rename(columns={"created_at": "ts"}), tmp_path / "orders")
    frames["orders"] = frames["orders"].rename(columns={"created_at": "ts"})
    for name in ("events", "customers"):
        pq.write_table(pa.Table.from_pandas(frames[name], preserve_index=False),
                       tmp_path / f"{name}.parquet")
    raw = yaml.safe_load(DEMO_CONFIG)
    raw["warehouses"] = {"lake": "duckdb:///:memory:"}
    raw["expectations_dir"] = str(bundled_suites())
    for table in raw["tables"]:
        table["warehouse"] = "lake"
        table["table"] = {"path": f"{table['name']}.parquet"}
    orders = raw["tables"][0]
    orders.update(table={"path": "orders/**/*.parquet", "hive_partitioning": True},
                  timestamp_column="ts",
                  metrics=[{"name": "refund_share", "sql": "select avg(case when status = "
                            "'refunded' then 1.0 else 0 end) from orders where {bucket_filter}"}])
    path = tmp_path / "monitor.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path, frames


class TestDemoOnParquet:
    def test_nightly_runs_store_what_pandas_counts(self, tmp_path: Path) -> None:
        # Arrange: five nightly runs, then this morning's run with every step and a gate.
        path, frames = demo_as_parquet(tmp_path)
        config = load_config(path)
        ctx = MonitorContext(config)
        nights = [dt.datetime(2026, 11, d, 6, tzinfo=UTC) for d in range(16, 21)]

        # Act
        for as_of in nights:
            for table in config.tables:
                run_table(ctx, table, as_of=as_of, steps=[collect_metrics])
        today = dt.datetime(2026, 11, 21, 6, tzinfo=UTC)
        results = [run_table(ctx, t, as_of=today) for t in config.tables]
        verdict = gate.check("orders", context=ctx, as_of=today, record=False)

        # Assert: per-day volumes of orders equal pandas' counts of loaded rows.
        assert [r.status for r in results] == ["success"] * 3, [r.error for r in results]
        stored = {p.ts.date(): p.value for p in ctx.store.points(
            "orders", metric="row_count", column="", granularity="day")}  # not per segment
        orders = frames["orders"]
        visible = orders[orders["loaded_at"] <= pd.Timestamp("2026-11-21 06:00")]
        expected = visible.groupby(visible["ts"].dt.date).size()
        assert stored == {day: float(n) for day, n in expected.items()}
        shares = {p.ts.date(): p.value for p in ctx.store.points(
            "orders", metric="custom_refund_share", granularity="day")}
        refunded = (visible["status"] == "refunded").groupby(visible["ts"].dt.date).mean()
        assert shares == {day: pytest.approx(v) for day, v in refunded.items()}
        assert verdict.verdict in ("pass", "blocked")
        checks = {c.check: c for c in verdict.checks}
        assert {"volume", "freshness"} <= set(checks)
        assert any(name.startswith("suite:orders:") for name in checks), sorted(checks)


class TestPartitionFilter:
    def test_incremental_buckets_read_only_recent_partitions(self, tmp_path: Path) -> None:
        # Arrange: six daily partitions; capture the profile's statements.
        frame = orders_frame(days=6)
        write_hive(frame, tmp_path / "orders")
        ctx = lake_context(tmp_path, table={"path": "orders/**/*.parquet",
                                            "hive_partitioning": True},
                           timestamp_column="ts", bucket="day")
        warehouse, table = ctx.warehouse("lake"), ctx.config.table("orders")
        statements: list[tuple[str, Any]] = []
        sa.event.listen(warehouse.engine, "before_cursor_execute",
                        lambda conn, cursor, sql, params, context, many:
                        statements.append((sql, params)))
        start, end = dt.datetime(2026, 11, 5, tzinfo=UTC), dt.datetime(2026, 11, 7, tzinfo=UTC)

        # Act
        buckets = profile_buckets(warehouse, table, start=start, end=end)
        scans = [(sql, params) for sql, params in statements if "_dq_latest" in sql]
        files = []
        with warehouse.connect() as conn:
            raw = conn.connection.driver_connection
            for sql, params in scans:
                plan = raw.execute(f"EXPLAIN ANALYZE {sql}", params).fetchall()[0][1]
                files += [int(n) for n in re.findall(r"Total Files Read: (\d+)", plan)]

        # Assert: days 5 and 6, plus day 4 (the one-day margin), never days 1-3.
        expected = frame[frame["ts"] >= "2026-11-05"].groupby(frame["ts"].dt.date).size()
        assert [b.row_count for b in buckets] == expected.tolist()
        assert files
        assert max(files) <= 3

    def test_no_filter_without_hive_keys(self, tmp_path: Path) -> None:
        # Arrange
        pq.write_table(pa.Table.from_pandas(orders_frame()), tmp_path / "a.parquet")
        ctx = lake_context(tmp_path, table={"path": "a.parquet", "hive_partitioning": True},
                           timestamp_column="ts", bucket="day")
        table = ctx.config.table("orders")
        shape = describe_table(ctx.warehouse("lake"), table)

        # Act
        found = partition_filter(table, shape, dt.datetime(2026, 11, 5, tzinfo=UTC))

        # Assert
        assert found == []
