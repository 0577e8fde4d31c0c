"""Custom SQL metrics inside a run: stored per bucket, judged, failures as values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.run.runner import run_table
from monitor.store.detections import list_detections
from tests.helpers.contexts import make_context
from tests.helpers.warehouses import WarehouseUnderTest, duckdb_warehouse, sqlite_warehouse

START = dt.datetime(2026, 10, 1)
AS_OF = dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC)
DAY_OF = {"sqlite": "date(ts)", "duckdb": "CAST(ts AS DATE)"}


def orders_frame() -> pd.DataFrame:
    """31 days of orders; the refund share jumps on the last day."""
    rng = np.random.default_rng(7)
    rows = []
    for day in range(31):
        share = 0.6 if day == 30 else 0.1
        for i in range(40):
            rows.append({"id": day * 100 + i,
                         "ts": START + dt.timedelta(days=day, minutes=30 * i),
                         "amount": float(rng.integers(5, 50)),
                         "refunded": int(rng.random() < share)})
    return pd.DataFrame(rows)


@pytest.fixture(params=["sqlite", "duckdb"])
def wh(request: pytest.FixtureRequest, tmp_path: Path) -> WarehouseUnderTest:
    return (sqlite_warehouse if request.param == "sqlite" else duckdb_warehouse)(tmp_path)


class TestCollectCustomMetrics:
    def test_bucketed_metrics_are_stored_per_day_and_judged(
            self, tmp_path: Path, wh: WarehouseUnderTest) -> None:
        # Arrange: a one-number metric, a bucket/value metric and a broken one.
        frame = orders_frame()
        wh.create_table("orders", {"id": sa.Integer(), "ts": sa.DateTime(),
                                   "amount": sa.Float(), "refunded": sa.Integer()},
                        frame.to_dict("records"))
        day = DAY_OF[wh.kind]
        metrics = [
            {"name": "refund_share",
             "sql": "select avg(1.0 * refunded) from orders where {bucket_filter}"},
            {"name": "revenue", "sql": f"select {day} as bucket, sum(amount) as value "
                                       f"from orders where {{bucket_filter}} group by {day}"},
            {"name": "broken", "sql": "select count(*) from no_such_table"},
        ]
        ctx = make_context(tmp_path, clock=lambda: AS_OF, warehouses={"wh": wh.url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders", "timestamp_column": "ts",
             "bucket": "day", "metrics": metrics}])

        # Act
        result = run_table(ctx, ctx.config.table("orders"), as_of=AS_OF)

        # Assert: values per day as pandas computes them, the failure as a finding.
        by_day = frame.groupby(frame["ts"].dt.date)
        for name, expected in (("refund_share", by_day["refunded"].mean()),
                               ("revenue", by_day["amount"].sum())):
            stored = {p.ts.date(): p.value for p in ctx.store.points(
                "orders", metric=f"custom_{name}", granularity="day")}
            assert stored == {d: pytest.approx(v) for d, v in expected.items()}, name
        assert result.status == "success"
        broken = [f for f in result.found if f.check == "custom:broken"]
        assert [f.failing for f in broken] == [True]
        assert "custom metric 'broken' of table 'orders'" in broken[0].reason
        flagged = list_detections(ctx.store, "orders", metric="custom_refund_share")
        assert [d.ts.date() for d in flagged] == [dt.date(2026, 10, 31)]
