"""The profiling step: full profiles, and incremental bucketed runs that follow the new data."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.run.collect import OUTAGE_BUCKETS, collect_metrics, incremental_start, outage_start
from monitor.run.runner import run_table
from monitor.run.spool import Spool
from monitor.run.state import RunState
from monitor.store import schema
from tests.helpers.contexts import make_context
from tests.helpers.postgres import temporary_database
from tests.helpers.serve import backends_running, database_down, wait_for
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 6, 1)


def rows_for(days: range, per_day: int = 4) -> list[dict]:
    return [{"id": d * 100 + i, "amount": float(i), "created": DAY0 + dt.timedelta(days=d,
                                                                                  hours=5 * i)}
            for d in days for i in range(per_day)]


def context(tmp_path: Path, wh: WarehouseUnderTest, **table: object):
    spec = {"name": "orders", "warehouse": "wh", "table": "orders", "schema": wh.schema,
            "timestamp_column": "created", "bucket": "day", **table}
    return make_context(tmp_path, warehouses={"wh": wh.url}, tables=[spec])


class TestCollectMetrics:
    def test_first_run_profiles_every_complete_bucket(self, warehouse: WarehouseUnderTest,
                                                      tmp_path: Path) -> None:
        warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                          "created": sa.DateTime()}, rows_for(range(5)))
        ctx = context(tmp_path, warehouse)
        as_of = DAY0 + dt.timedelta(days=4, hours=12)  # day 4 is still open
        state = RunState(table=ctx.config.table("orders"), run_id="r", as_of=as_of.replace(
            tzinfo=dt.UTC))

        collect_metrics(ctx, state)

        assert [b.start.day for b in state.buckets] == [1, 2, 3, 4]
        snapshot = {p.metric: p.value for p in state.points if p.granularity == "snapshot"}
        assert snapshot["row_count"] == 4 * 4 + 3  # the open day counts its rows so far
        assert snapshot["freshness_seconds"] == 2 * 3600  # newest row at 10:00, as of 12:00

    def test_incremental_run_rescans_only_from_watermark_minus_lookback(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                          "created": sa.DateTime()}, rows_for(range(10)))
        ctx = context(tmp_path, warehouse, lookback_buckets=1)
        table = ctx.config.table("orders")
        first = run_table(ctx, table, as_of=(DAY0 + dt.timedelta(days=8)).replace(tzinfo=dt.UTC))
        assert first.ok

        second_as_of = (DAY0 + dt.timedelta(days=10)).replace(tzinfo=dt.UTC)
        state = RunState(table=table, run_id="r2", as_of=second_as_of)
        start = incremental_start(ctx, state)
        second = run_table(ctx, table, as_of=second_as_of)

        assert start == (DAY0 + dt.timedelta(days=7)).replace(tzinfo=dt.UTC)
        runs_by_day = {p.ts.day: p for p in ctx.store.points("orders", metric="row_count",
                                                             granularity="day")}
        assert second.ok
        assert sorted(runs_by_day) == list(range(1, 11))
        m = schema.metrics
        with ctx.store.connect() as conn:
            owners = dict(conn.execute(sa.select(m.c.ts, m.c.run_id).where(
                m.c.metric == "row_count", m.c.granularity == "day")).all())
        rewritten = sorted(ts.day for ts, run in owners.items() if run == second.run_id)
        assert rewritten == [8, 9, 10]  # lookback day 8, then the new days 9 and 10
        total = ctx.store.points("orders", metric="row_count", granularity="snapshot")[-1]
        assert total.value == 40

    def test_rows_without_a_timestamp_count_and_are_a_completeness_finding(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: 5 days of 4 rows, and 3 rows whose timestamp is NULL
        data = rows_for(range(5)) + [{"id": 900 + i, "amount": 1.0, "created": None}
                                     for i in range(3)]
        warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                          "created": sa.DateTime()}, data)
        ctx = context(tmp_path, warehouse)
        as_of = (DAY0 + dt.timedelta(days=5)).replace(tzinfo=dt.UTC)

        # Act: the first run, then an incremental one a day later
        first = run_table(ctx, ctx.config.table("orders"), as_of=as_of)
        second = run_table(ctx, ctx.config.table("orders"), as_of=as_of + dt.timedelta(days=1))

        # Assert: the table's row count is the real count (pandas), both times
        frame = pd.DataFrame(data)
        totals = [p.value for p in ctx.store.points("orders", metric="row_count",
                                                    granularity="snapshot")]
        assert totals == [len(frame), len(frame)] == [23, 23]
        assert (first.row_count, second.row_count) == (23, 23)
        [finding] = [f for f in second.found if f.check == "rule:null_timestamps"]
        assert (finding.failing, finding.severity, finding.observed) == (True, "warning", 3.0)
        assert finding.reason == ("3 of 23 rows (13.0%) have no 'created': they fall in no "
                                  "day and per-day metrics miss them")
        rate = ctx.store.points("orders", metric="null_rate", column="created",
                                granularity="snapshot")[-1]
        assert rate.value == pytest.approx(frame["created"].isna().mean())

    def test_a_table_whose_timestamps_are_all_null_is_not_empty(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                          "created": sa.DateTime()},
                               [{"id": i, "amount": 2.0, "created": None} for i in range(7)])
        ctx = context(tmp_path, warehouse, columns={"created": {"max_null_rate": 1.0}})
        state = RunState(table=ctx.config.table("orders"), run_id="r",
                         as_of=DAY0.replace(tzinfo=dt.UTC))

        collect_metrics(ctx, state)

        assert state.row_count == 7
        [finding] = state.found
        assert (finding.failing, finding.severity) == (False, "info")
        assert "within max_null_rate 100.0%" in finding.reason

    def test_non_bucketed_table_gets_a_full_snapshot(self, warehouse: WarehouseUnderTest,
                                                     tmp_path: Path) -> None:
        warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                          "created": sa.DateTime()}, rows_for(range(2)))
        ctx = context(tmp_path, warehouse, bucket=None)
        as_of = dt.datetime(2026, 6, 5, tzinfo=dt.UTC)
        state = RunState(table=ctx.config.table("orders"), run_id="r", as_of=as_of)

        collect_metrics(ctx, state)

        assert state.profile is not None
        assert state.profile.as_of == as_of
        assert state.row_count == 8
        assert {p.granularity for p in state.points} == {"snapshot"}


    def test_a_suite_whose_sql_fails_leaves_the_profile_and_scans_alone(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: an invalid regex fails the scan that carries the suite's states
        from monitor.run.context import MonitorContext
        from monitor.run.validate import validate_suites
        from tests.helpers.gate import config_for, spec, suite_of
        from tests.helpers.statements import record_statements

        pg_warehouse.create_table("orders", {"id": sa.Integer(), "code": sa.String(10)},
                                  [{"id": i, "code": f"c{i}"} for i in range(10)])
        suite = suite_of("orders", [spec("column_values_to_match_regex", column="code",
                                         regex="(["),
                                    spec("column_values_to_not_be_null", column="id")])
        config = config_for(pg_warehouse, tmp_path, [{"name": "orders", "table": "orders",
                                                      "suites": ["orders"]}],
                            suites={"orders": suite})
        ctx = MonitorContext(config)
        state = RunState(table=config.table("orders"), run_id="r",
                         as_of=dt.datetime.now(dt.UTC))

        # Act
        with record_statements(ctx.warehouse_for(state.table).engine) as log:
            collect_metrics(ctx, state)
            validate_suites(ctx, state)

        # Assert: profiled; the suite judged each expectation apart, as without the plan
        assert state.row_count == 10
        assert state.scanned == {}
        found = {f.metric: f for f in state.found if f.kind == "expectation"}
        assert found["expect_column_values_to_match_regex"].failing
        assert not found["expect_column_values_to_not_be_null"].failing
        # shared scan (fails), profile alone, suite (fails), then each expectation alone
        assert log.count("scan") == 5, log.statements
        ctx.store.dispose()

class TestOutageStart:
    def test_a_safe_lookback_from_the_as_of_bucket(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"}, tables=[
            {"name": "t", "warehouse": "w", "table": "t", "timestamp_column": "c",
             "bucket": "hour", "lookback_buckets": 100}])
        state = RunState(table=ctx.config.table("t"), run_id="r",
                         as_of=dt.datetime(2026, 6, 10, 6, 30, tzinfo=dt.UTC))
        daily = state.table.model_copy(update={"bucket": "day", "lookback_buckets": None})

        hourly_start = outage_start(ctx, state)
        daily_start = outage_start(ctx, RunState(table=daily, run_id="r", as_of=state.as_of))

        assert hourly_start == dt.datetime(2026, 6, 6, 2, tzinfo=dt.UTC)  # 100 > 48 hours
        assert daily_start == dt.datetime(2026, 6, 10, tzinfo=dt.UTC) - dt.timedelta(
            days=OUTAGE_BUCKETS["day"])


@pytest.mark.postgres
class TestStoreOutage:
    def test_a_bucketed_run_measures_without_the_store_and_replays_without_a_hole(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: 10 days of orders (3 without a timestamp); days 0-7 stored by a first run
        data = rows_for(range(10)) + [{"id": 900 + i, "amount": 1.0, "created": None}
                                      for i in range(3)]
        pg_warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                             "created": sa.DateTime()}, data)
        day = dt.timedelta(days=1)
        with temporary_database("dq_store") as url:
            ctx = make_context(tmp_path, store=url, warehouses={"wh": pg_warehouse.url},
                               tables=[{"name": "orders", "warehouse": "wh", "table": "orders",
                                        "schema": pg_warehouse.schema,
                                        "timestamp_column": "created", "bucket": "day"}],
                               profiling={"max_retries": 1})
            table = ctx.config.table("orders")
            first = run_table(ctx, table, scheduled_at=(DAY0 + 8 * day).replace(tzinfo=dt.UTC),
                              trigger="schedule")
            spool = Spool(tmp_path / "spool", ctx.config)
            when = (DAY0 + 10 * day).replace(tzinfo=dt.UTC)

            # Act: the store is unreachable for the next scheduled run, then comes back
            with database_down(url):
                result = run_table(ctx, table, scheduled_at=when, trigger="schedule",
                                   spool=spool, once=True)
            replay = spool.replay(ctx.store)
            stored = {p.ts: p.value for p in ctx.store.points("orders", metric="row_count",
                                                              granularity="day")}
            totals = {p.ts: p.value for p in ctx.store.points("orders", metric="row_count",
                                                              granularity="snapshot")}
            run = ctx.store.run(result.run_id)
            after = run_table(ctx, table, scheduled_at=when + day, trigger="schedule")
            ctx.store.dispose()

        # Assert: spooled, not failed; every day is stored with its pandas count
        frame = pd.DataFrame(data)
        per_day = frame.dropna().groupby(frame["created"].dropna().dt.floor("D")).size()
        assert first.ok
        assert result.status == "spooled"
        assert any("measured without the metric store" in p for p in result.problems)
        assert replay.replayed == [result.run_id]
        assert run is not None
        assert run.status == "success"
        assert {ts: int(v) for ts, v in stored.items()} == {
            ts.to_pydatetime(): int(n) for ts, n in per_day.items()}
        assert totals[when.replace(tzinfo=None)] == len(frame) == 43
        assert after.ok
        assert after.row_count == 43

    def test_the_store_going_down_during_the_scan_counts_rows_in_the_warehouse(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: orders behind a view whose every scan sleeps 1s; days 0-7 stored
        data = rows_for(range(10))
        pg_warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                                             "created": sa.DateTime()}, data)
        schema_name = pg_warehouse.schema
        pg_warehouse.execute(f'CREATE VIEW "{schema_name}".slow_orders AS SELECT o.* FROM '
                             f'"{schema_name}".orders o CROSS JOIN (SELECT pg_sleep(1)) s')
        day = dt.timedelta(days=1)
        with temporary_database("dq_store") as url:
            ctx = make_context(tmp_path, store=url, warehouses={"wh": pg_warehouse.url},
                               tables=[{"name": "orders", "warehouse": "wh",
                                        "table": "slow_orders", "schema": schema_name,
                                        "timestamp_column": "created", "bucket": "day"}],
                               profiling={"max_retries": 0})
            table = ctx.config.table("orders")
            assert run_table(ctx, table, scheduled_at=(DAY0 + 8 * day).replace(
                tzinfo=dt.UTC)).ok
            spool = Spool(tmp_path / "spool", ctx.config)
            results: list[Any] = []
            thread = threading.Thread(target=lambda: results.append(run_table(
                ctx, table, scheduled_at=(DAY0 + 10 * day).replace(tzinfo=dt.UTC),
                trigger="schedule", spool=spool, once=True)))

            # Act: the store goes down once the run (which read the watermark) is scanning
            thread.start()
            wait_for(lambda: backends_running(f"{schema_name}.slow_orders"), timeout=10,
                     what="the bucket scan")
            with database_down(url):
                thread.join(60)
            replay = spool.replay(ctx.store)
            total = ctx.store.points("orders", metric="row_count", granularity="snapshot")[-1]
            ctx.store.dispose()

        # Assert
        [result] = results
        assert result.status == "spooled"
        assert replay.replayed == [result.run_id]
        assert (result.row_count, total.value) == (len(data), len(data))
