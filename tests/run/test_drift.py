"""Drift in a run: a real warehouse profiled day by day, judged from the stored history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from monitor.metrics.points import MetricPoint
from monitor.run.drift import judge_drift
from monitor.run.runner import run_table
from monitor.store.detections import list_detections
from tests.helpers.contexts import make_context
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 1, 5)
DAYS = 30
SHIFT = 27  # the day amounts double and a third of the orders fail
STATUSES = ["paid", "paid", "paid", "shipped", "shipped", "refunded"]


def shop_rows() -> list[dict]:
    rng = np.random.default_rng(5)
    rows, rid = [], 0
    for d in range(DAYS):
        day = DAY0 + dt.timedelta(days=d)
        shift = d == SHIFT
        for i in range(300):
            rid += 1
            amount = float(np.exp(rng.normal(3.6, 0.5))) * (2.0 if shift else 1.0)
            status = STATUSES[int(rng.integers(0, len(STATUSES)))]
            if shift and i % 3 == 0:
                status = "failed"
            rows.append({"id": rid, "amount": round(amount, 2), "status": status,
                         "created": day + dt.timedelta(minutes=4 * i)})
    return rows


@pytest.fixture
def shop(warehouse: WarehouseUnderTest, tmp_path: Path):
    warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                      "status": sa.String(20), "created": sa.DateTime()},
                           shop_rows())
    return make_context(tmp_path, warehouses={"wh": warehouse.url}, tables=[
        {"name": "orders", "warehouse": "wh", "table": "orders", "schema": warehouse.schema,
         "timestamp_column": "created", "bucket": "day",
         "distribution_columns": ["amount", "status"]}])


class TestJudgeDrift:
    def test_the_shifted_day_is_drift_on_both_columns_and_no_other(self, shop) -> None:
        ctx = shop
        as_of = (DAY0 + dt.timedelta(days=DAYS)).replace(tzinfo=dt.UTC)

        result = run_table(ctx, ctx.config.table("orders"), as_of=as_of)

        drift = [r for r in list_detections(ctx.store, "orders")
                 if r.detector.startswith("drift")]
        day = (DAY0 + dt.timedelta(days=SHIFT)).date()
        assert result.ok
        assert {(r.metric, r.column, r.ts.date()) for r in drift} == {
            ("p50", "amount", day), ("shares", "status", day)}
        amount = next(r for r in drift if r.column == "amount")
        assert "amount's median moved from" in amount.reason
        assert amount.value == pytest.approx(2 * amount.expected, rel=0.25)
        status = next(r for r in drift if r.column == "status")
        assert "status='failed' rose from 0.0% to 33.3% of rows" in status.reason
        findings = {f.check: f for f in result.found if f.check.startswith("drift:")}
        assert set(findings) == {"drift:amount", "drift:status"}
        assert not any(f.failing for f in findings.values())  # the newest days are normal

    def test_a_later_run_judges_only_its_new_points(self, shop) -> None:
        ctx = shop
        table = ctx.config.table("orders")
        run_table(ctx, table, as_of=(DAY0 + dt.timedelta(days=DAYS - 1)).replace(tzinfo=dt.UTC))
        first = list_detections(ctx.store, "orders", anomalies_only=False, metric="p50")

        run_table(ctx, table, as_of=(DAY0 + dt.timedelta(days=DAYS)).replace(tzinfo=dt.UTC))

        second = list_detections(ctx.store, "orders", anomalies_only=False, metric="p50")
        assert len(second) == len(first) + 1
        # The first 7 days are the smallest reference there is: no verdict on them.
        assert len(first) == DAYS - 1 - 7

    def test_without_distribution_columns_nothing_is_judged(self, sqlite_store) -> None:
        from monitor.config.models import TableConfig

        table = TableConfig(name="t", warehouse="w", table="t", timestamp_column="ts",
                            bucket="day")
        point = MetricPoint("t", "x", "p50", "day", DAY0, 1.0)

        assert judge_drift(sqlite_store, table, {"x": "float"}, as_of=DAY0.replace(
            tzinfo=dt.UTC), pending=[point]) == ([], [])


class TestJudgeDriftOnRuns:
    def test_a_table_judged_per_run_compares_its_runs(self, sqlite_store) -> None:
        from monitor.config.models import TableConfig

        table = TableConfig(name="t", warehouse="w", table="t", distribution_columns=["s"])
        rng = np.random.default_rng(8)
        stored = []
        for run in range(10):
            ts = DAY0 + dt.timedelta(hours=run)
            paid = 0.6 + rng.normal(0, 0.01)
            stored += [MetricPoint("t", "", "row_count", "snapshot", ts, 1000.0),
                       MetricPoint("t", "s", "share:paid", "snapshot", ts, paid),
                       MetricPoint("t", "s", "share:open", "snapshot", ts, 1 - paid)]
        with sqlite_store.transaction() as conn:
            sqlite_store.replace_points(conn, "r", stored)
        now = DAY0 + dt.timedelta(hours=10)
        pending = [MetricPoint("t", "", "row_count", "snapshot", now, 1000.0),
                   MetricPoint("t", "s", "share:paid", "snapshot", now, 0.2),
                   MetricPoint("t", "s", "share:open", "snapshot", now, 0.8)]

        rows, findings = judge_drift(sqlite_store, table, {"s": "string"},
                                     as_of=now.replace(tzinfo=dt.UTC), pending=pending)

        assert [(r.ts, r.is_anomaly) for r in rows][-1] == (now, True)
        assert len(rows) == 10 - 7 + 1  # the first 7 runs are the smallest reference
        (finding,) = findings
        assert finding.check == "drift:s"
        assert finding.failing
        assert "s='open' rose from 4" in finding.reason
