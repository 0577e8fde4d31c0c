"""Segments in a run: the segments chosen, the cheap query, one finding per check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.detection import MetricKind
from monitor.detection.watch import Watch, settings_of
from monitor.metrics.points import MetricPoint
from monitor.metrics.profile import describe_table
from monitor.metrics.segments import SegmentPlan, segment_parts, series_column
from monitor.run.collect import collect_metrics
from monitor.run.findings import Finding
from monitor.run.runner import run_table
from monitor.run.segments import (
    check_of,
    combine,
    count_segments,
    plan_segments,
    segment_watches,
)
from monitor.store.incidents import load_open
from tests.helpers.contexts import make_context
from tests.helpers.statements import record_statements
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 5, 1)
SHARES = {"DE": 60, "FR": 40, "NL": 25, "IT": 20, "O'Hara": 15}
COLUMNS = {"id": sa.Integer(), "country": sa.String(50), "amount": sa.Double(),
           "created": sa.DateTime()}
ENGINES = pytest.mark.parametrize("warehouse", ["sqlite", "duckdb", "postgresql"],
                                  indirect=True)


def orders(days: int, *, missing: str | None = None, seed: int = 3) -> list[dict[str, Any]]:
    """About 160 orders a day; ``missing``'s orders absent on the last day."""
    rng = np.random.default_rng(seed)
    out = []
    for day in range(days):
        for country, mean in SHARES.items():
            if country == missing and day == days - 1:
                continue
            for _ in range(int(rng.poisson(mean))):
                out.append({"id": len(out), "country": country,
                            "amount": float(rng.gamma(2.0, 20.0)),
                            "created": DAY0 + dt.timedelta(days=day,
                                                           seconds=int(rng.integers(86400)))})
    return out


def context(tmp_path: Path, wh: WarehouseUnderTest, **table: Any):
    spec = {"name": "orders", "warehouse": "wh", "table": "orders", "schema": wh.schema,
            "timestamp_column": "created", "bucket": "day", "segments": ["country"], **table}
    return make_context(tmp_path, warehouses={"wh": wh.url}, tables=[spec])


def at(day: int) -> dt.datetime:
    return (DAY0 + dt.timedelta(days=day, hours=6)).replace(tzinfo=dt.UTC)


class TestRunWithSegments:
    @ENGINES
    def test_a_missing_segment_is_one_incident_while_the_total_is_normal(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        days = 36
        warehouse.create_table("orders", COLUMNS, orders(days, missing="NL"))
        ctx = context(tmp_path, warehouse)
        table = ctx.config.table("orders")
        run_table(ctx, table, as_of=at(days - 1), steps=[collect_metrics])

        result = run_table(ctx, table, as_of=at(days))

        found = {f.check: f for f in result.found}
        volume = found["segments:volume"]
        assert volume.failing
        assert volume.reason.startswith("orders from NL: 0 rows, usually ")
        assert volume.reason.endswith("; 4 other countries normal")
        assert not found["volume:row_count"].failing
        with ctx.store.connect() as conn:
            opened = load_open(conn, "orders")
        assert [i.check for i in opened.values()] == ["segments:volume"]

    @ENGINES
    def test_stored_points_match_a_pandas_groupby(self, warehouse: WarehouseUnderTest,
                                                  tmp_path: Path) -> None:
        rows = orders(4)
        warehouse.create_table("orders", COLUMNS, rows)
        ctx = context(tmp_path, warehouse, max_segments=3)

        run_table(ctx, ctx.config.table("orders"), as_of=at(4), steps=[collect_metrics])

        frame = pd.DataFrame(rows)
        frame["day"] = frame["created"].dt.floor("D")
        top = ["DE", "FR", "NL"]
        frame["segment"] = frame["country"].where(frame["country"].isin(top), None)
        expected = frame.groupby(["day", frame["segment"].fillna("other")]).size()
        for (day, segment), count in expected.items():
            label = None if segment == "other" else (segment,)
            stored = ctx.store.points("orders", metric="row_count", granularity="day",
                                      column=series_column(("country",), label), since=day,
                                      until=day)
            assert [p.value for p in stored] == [float(count)]


class TestPlanSegments:
    @ENGINES
    def test_the_cheap_query_first_then_the_stored_volumes(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        warehouse.create_table("orders", COLUMNS, orders(3))
        ctx = context(tmp_path, warehouse, max_segments=10)
        table = ctx.config.table("orders")
        monitored = ctx.warehouse_for(table)
        shape = describe_table(monitored, table)

        with record_statements(monitored.engine) as first:
            plan = plan_segments(ctx, table, monitored, shape, start=None, end=at(3))
        run_table(ctx, table, as_of=at(3), steps=[collect_metrics])
        with record_statements(monitored.engine) as later:
            again = plan_segments(ctx, table, monitored, shape, start=None, end=at(3))

        assert plan is not None
        assert again is not None
        assert set(plan.labels) == {(c,) for c in SHARES}
        assert again.labels == plan.labels
        assert len(first.statements) == 1
        assert later.statements == []  # nothing in "other": no query


class TestCountSegments:
    @ENGINES
    def test_matches_value_counts(self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        rows = [*orders(2), {"id": -1, "country": None, "amount": 1.0, "created": DAY0}]
        warehouse.create_table("orders", COLUMNS, rows)
        ctx = context(tmp_path, warehouse)
        table = ctx.config.table("orders")
        monitored = ctx.warehouse_for(table)
        shape = describe_table(monitored, table)
        parts = segment_parts(table, shape)

        found = count_segments(monitored, table, shape, SegmentPlan(parts, ()), start=None,
                               end=at(3), limit=3)

        counts = pd.Series([r["country"] for r in rows]).value_counts(dropna=False)
        assert dict(found) == {(k,): float(v) for k, v in counts.head(3).items()}


def watch(label: tuple[str, ...] | None, metric: str = "row_count", column: str = "") -> Watch:
    from monitor.config.models import TableConfig

    table = TableConfig(name="orders", warehouse="w", table="orders", timestamp_column="ts",
                        bucket="day", segments=["country"])
    return Watch("orders", metric, series_column(("country",), label, column), "day",
                 MetricKind.VOLUME, settings_of(table, MetricKind.VOLUME), None, "rows")


def finding(w: Watch, failing: bool, observed: float, expected: float) -> Finding:
    return Finding(table="orders", check="volume", kind="anomaly",
                   severity="critical" if failing else "info", failing=failing,
                   at=dt.datetime(2026, 1, 2), reason="r", metric=w.metric, column=w.column,
                   observed=observed, expected=expected, score=5.0 if failing else 0.1)


class TestCombine:
    def test_one_finding_names_the_failing_segments(self) -> None:
        from monitor.config.models import TableConfig

        table = TableConfig(name="orders", warehouse="w", table="orders",
                            timestamp_column="ts", bucket="day", segments=["country"])
        watches = [watch(("DE",)), watch(("FR",)), watch(None)]
        found = [finding(watches[0], True, 0.0, 1200.0), finding(watches[1], False, 800, 790),
                 finding(watches[2], False, 3, 3)]

        combined = combine(table, watches, found)

        assert [(f.check, f.failing, f.severity) for f in combined] == [
            ("segments:volume", True, "critical")]
        assert combined[0].reason == "orders from DE: 0 rows, usually 1,200; 1 other country normal"

    def test_check_keys(self) -> None:
        assert check_of(watch(("DE",))) == "segments:volume"
        assert check_of(watch(("DE",), "null_rate", "email")) == "segments:null_rate:email"


class TestSegmentWatches:
    def test_means_only_of_big_segments_of_distribution_columns(self) -> None:
        from monitor.config.models import TableConfig

        table = TableConfig(name="orders", warehouse="w", table="orders",
                            timestamp_column="ts", bucket="day", segments=["country"],
                            distribution_columns=["amount"])
        ts = dt.datetime(2026, 1, 1)
        big, small = series_column(("country",), ("DE",)), series_column(("country",), ("NL",))
        points = [MetricPoint("orders", big, "row_count", "day", ts, 5000.0),
                  MetricPoint("orders", small, "row_count", "day", ts, 50.0)]
        for label in ("DE", "NL"):
            points += [MetricPoint("orders", series_column(("country",), (label,), "amount"),
                                   metric, "day", ts, 1.0) for metric in ("mean", "null_rate")]

        watches = segment_watches(table, points)

        assert sorted((w.metric, w.column) for w in watches if w.metric == "mean") == [
            ("mean", series_column(("country",), ("DE",), "amount"))]
        assert sum(w.metric == "null_rate" for w in watches) == 2


class TestBackfillWithSegments:
    def test_backfill_stores_and_judges_the_segments(self, tmp_path: Path) -> None:
        from monitor.run.backfill import backfill
        from tests.helpers.warehouses import sqlite_warehouse

        wh = sqlite_warehouse(tmp_path)
        wh.create_table("orders", COLUMNS, orders(30, missing="DE"))
        ctx = context(tmp_path, wh)
        ctx.clock = lambda: at(30)

        result = backfill(ctx, ctx.config.table("orders"), since=DAY0)

        key = series_column(("country",), ("DE",))
        stored = ctx.store.points("orders", metric="row_count", column=key, granularity="day")
        assert len(stored) == 30
        assert stored[-1].value == 0.0
        assert result.anomalies >= 1
        wh.dispose()


class TestSegmentSettings:
    def test_wider_by_default_and_the_tables_own_when_set(self) -> None:
        from monitor.config.models import TableConfig
        from monitor.run.segments import segment_settings

        plain = TableConfig(name="o", warehouse="w", table="o", timestamp_column="ts",
                            bucket="day", segments=["country"])
        tuned = TableConfig(name="o", warehouse="w", table="o", timestamp_column="ts",
                            bucket="day", segments=["country"],
                            detection={"volume": {"sensitivity": "high"}})

        assert segment_settings(plain, MetricKind.VOLUME).sensitivity == 5.0
        assert segment_settings(plain, MetricKind.VOLUME).min_relative_change == 0.5
        assert segment_settings(tuned, MetricKind.VOLUME).sensitivity == 3.0
