"""Backfill computes past buckets and judges the whole history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.errors import ConfigError, InputError, ObjectNotFound
from monitor.run.backfill import backfill
from monitor.run.collect import collect_metrics
from monitor.run.runner import run_table
from monitor.store.detections import list_detections
from tests.helpers.contexts import make_context
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 1, 5)
UTC = dt.UTC


def nightly_rows(days: int) -> list[dict]:
    """20 rows a day, all loaded at 01:00 the next night (a nightly batch)."""
    return [{"id": d * 100 + i, "created": DAY0 + dt.timedelta(days=d, minutes=60 * i),
             "loaded": DAY0 + dt.timedelta(days=d + 1, hours=1)}
            for d in range(days) for i in range(20)]


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

    def test_a_short_backfill_judges_on_the_stored_history_before_it(
            self, tmp_path: Path) -> None:
        # Arrange: 40 days stored by a first backfill
        url = f"sqlite:///{tmp_path / 'wh.db'}"
        engine = sa.create_engine(url)
        table = sa.Table("orders", sa.MetaData(), sa.Column("id", sa.Integer),
                         sa.Column("created", sa.DateTime))
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), rows(40, drop=-1))
        engine.dispose()
        ctx = make_context(tmp_path, warehouses={"wh": url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders",
             "timestamp_column": "created", "bucket": "day"}])
        until = (DAY0 + dt.timedelta(days=40)).replace(tzinfo=UTC)
        backfill(ctx, ctx.config.table("orders"), since=DAY0.replace(tzinfo=UTC), until=until)

        # Act: the last 3 days again
        result = backfill(ctx, ctx.config.table("orders"), since=until - dt.timedelta(days=3),
                          until=until)

        # Assert: the 3 days are judged against a band, as before; earlier verdicts stay
        rows_judged = [d for d in list_detections(ctx.store, "orders", anomalies_only=False,
                                                  limit=10_000) if d.metric == "row_count"]
        recent = [d for d in rows_judged if d.ts >= DAY0 + dt.timedelta(days=37)]
        assert result.buckets == 3
        assert len(rows_judged) == 40
        assert [d.state for d in recent] == ["ok"] * 3
        assert all(d.lower is not None and d.upper is not None for d in recent)

    def test_no_empty_buckets_before_the_tables_first_row(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: data begins 40 days after --since (a second chunk), steady afterwards
        data = [r | {"created": r["created"] + dt.timedelta(days=40)}
                for r in rows(30, drop=-1)]
        warehouse.create_table("orders", {"id": sa.Integer(), "created": sa.DateTime()}, data)
        ctx = make_context(tmp_path, warehouses={"wh": warehouse.url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders", "schema": warehouse.schema,
             "timestamp_column": "created", "bucket": "day"}])

        result = backfill(ctx, ctx.config.table("orders"), since=DAY0.replace(tzinfo=UTC),
                          until=(DAY0 + dt.timedelta(days=70)).replace(tzinfo=UTC))

        stored = sorted(p.ts.date() for p in ctx.store.points(
            "orders", metric="row_count", granularity="day"))
        first = (DAY0 + dt.timedelta(days=40)).date()
        assert stored[0] == first
        assert result.buckets == 30
        assert [a.ts.date() for a in list_detections(ctx.store, "orders")
                if a.metric == "row_count"] == []

    def test_needs_a_bucketed_table(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "w", "table": "t"}])

        with pytest.raises(ConfigError, match="needs 'timestamp_column' and 'bucket'"):
            backfill(ctx, ctx.config.table("t"), since=DAY0)

    def test_since_must_be_in_the_past(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"}, tables=[
            {"name": "t", "warehouse": "w", "table": "t", "timestamp_column": "c",
             "bucket": "day"}])

        with pytest.raises(ConfigError, match="the last complete day starts 2026-01-04 00:00 "
                           r"\(--until 2026-01-05 00:00 is exclusive\)"):
            backfill(ctx, ctx.config.table("t"), since=DAY0, until=DAY0)

    def test_missing_table_fails_the_run(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": f"sqlite:///{tmp_path / 'w.db'}"},
                           tables=[{"name": "t", "warehouse": "w", "table": "t",
                                    "timestamp_column": "c", "bucket": "day"}])

        with pytest.raises(ObjectNotFound):
            backfill(ctx, ctx.config.table("t"), since=DAY0,
                     until=DAY0 + dt.timedelta(days=3))


class TestBackfillAsOf:
    def test_a_nightly_loaded_bucket_keeps_the_rows_a_scheduled_run_stored(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: 10 days loaded nightly; it is 08:00 on day 10, after last night's load
        warehouse.create_table("orders", {"id": sa.Integer(), "created": sa.DateTime(),
                                          "loaded": sa.DateTime()}, nightly_rows(10))
        now = (DAY0 + dt.timedelta(days=10, hours=8)).replace(tzinfo=UTC)
        ctx = make_context(tmp_path, clock=lambda: now, warehouses={"wh": warehouse.url},
                           tables=[{"name": "orders", "warehouse": "wh", "table": "orders",
                                    "schema": warehouse.schema, "timestamp_column": "created",
                                    "loaded_at_column": "loaded", "bucket": "day"}])
        table = ctx.config.table("orders")
        run_table(ctx, table, as_of=now - dt.timedelta(hours=2), steps=[collect_metrics])
        yesterday = DAY0 + dt.timedelta(days=9)
        scheduled = {p.ts: p.value for p in ctx.store.points("orders", metric="row_count",
                                                             granularity="day")}

        # Act
        backfill(ctx, table, since=now - dt.timedelta(days=5))

        # Assert: 20 rows (hand count), as the scheduled run stored; no empty-bucket alarm
        stored = {p.ts: p.value for p in ctx.store.points("orders", metric="row_count",
                                                          granularity="day")}
        assert scheduled[yesterday] == 20
        assert stored[yesterday] == 20
        assert all(stored[DAY0 + dt.timedelta(days=d)] == 20 for d in range(10))
        assert not [a for a in list_detections(ctx.store, "orders") if a.metric == "row_count"]

    def test_until_in_the_future_is_refused(self, tmp_path: Path) -> None:
        now = dt.datetime(2026, 1, 20, 8, tzinfo=UTC)
        ctx = make_context(tmp_path, clock=lambda: now, warehouses={"w": "sqlite://"}, tables=[
            {"name": "t", "warehouse": "w", "table": "t", "timestamp_column": "c",
             "bucket": "day"}])

        with pytest.raises(InputError, match="--until 2027-01-01 00:00 UTC is in the future"):
            backfill(ctx, ctx.config.table("t"), since=DAY0.replace(tzinfo=UTC),
                     until=dt.datetime(2027, 1, 1, tzinfo=UTC))
