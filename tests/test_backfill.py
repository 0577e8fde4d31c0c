"""Backfill computes past buckets and judges the whole history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.backfill import backfill
from monitor.errors import ConfigError, ObjectNotFound
from monitor.store.detections import list_detections
from tests.helpers.contexts import make_context
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 1, 5)


def rows(days: int, drop: int) -> list[dict]:
    out = []
    for d in range(days):
        n = 0 if d == drop else (30 if (DAY0 + dt.timedelta(days=d)).weekday() < 5 else 15)
        out += [{"id": d * 100 + i, "created": DAY0 + dt.timedelta(days=d, minutes=30 * i)}
                for i in range(n)]
    return out


class TestBackfill:
    def test_history_matches_pandas_and_the_gap_is_an_anomaly(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        data = rows(40, drop=33)
        warehouse.create_table("orders", {"id": sa.Integer(), "created": sa.DateTime()}, data)
        ctx = make_context(tmp_path, warehouses={"wh": warehouse.url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders", "schema": warehouse.schema,
             "timestamp_column": "created", "bucket": "day"}])
        seen = []

        result = backfill(ctx, ctx.config.table("orders"), since=DAY0.replace(tzinfo=dt.UTC),
                          until=(DAY0 + dt.timedelta(days=40)).replace(tzinfo=dt.UTC),
                          progress=lambda done, total: seen.append((done, total)))

        stored = {p.ts.date(): p.value for p in ctx.store.points(
            "orders", metric="row_count", granularity="day")}
        expected = pd.DataFrame(data).groupby(pd.DataFrame(data)["created"].dt.date).size()
        assert result.buckets == 40
        assert seen == [(31, 40), (40, 40)]
        assert all(stored[day] == count for day, count in expected.items())
        assert stored[(DAY0 + dt.timedelta(days=33)).date()] == 0
        anomalies = list_detections(ctx.store, "orders")
        assert [(a.ts.date(), a.metric) for a in anomalies] == [
            ((DAY0 + dt.timedelta(days=33)).date(), "row_count")]
        assert ctx.store.run(result.run_id).status == "success"  # type: ignore[union-attr]

    def test_needs_a_bucketed_table(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "w", "table": "t"}])

        with pytest.raises(ConfigError, match="needs 'timestamp_column' and 'bucket'"):
            backfill(ctx, ctx.config.table("t"), since=DAY0)

    def test_since_must_be_in_the_past(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"}, tables=[
            {"name": "t", "warehouse": "w", "table": "t", "timestamp_column": "c",
             "bucket": "day"}])

        with pytest.raises(ConfigError, match="is not before the last complete bucket"):
            backfill(ctx, ctx.config.table("t"), since=DAY0, until=DAY0)

    def test_missing_table_fails_the_run(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": f"sqlite:///{tmp_path / 'w.db'}"},
                           tables=[{"name": "t", "warehouse": "w", "table": "t",
                                    "timestamp_column": "c", "bucket": "day"}])

        with pytest.raises(ObjectNotFound):
            backfill(ctx, ctx.config.table("t"), since=DAY0,
                     until=DAY0 + dt.timedelta(days=3))
