"""One run of one table: idempotent, transactional, failures as values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.collect import collect_metrics
from monitor.context import MonitorContext
from monitor.errors import InputError, WarehouseUnavailable
from monitor.findings import Finding
from monitor.retry import RetryPolicy
from monitor.run_state import RunState
from monitor.runner import run_table, run_tables
from tests.helpers.contexts import make_context
from tests.helpers.postgres import base_url
from tests.helpers.warehouses import WarehouseUnderTest

AS_OF = dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC)
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02)


def orders(wh: WarehouseUnderTest) -> None:
    wh.create_table("orders", {"id": sa.Integer(), "amount": sa.Double(),
                               "created": sa.DateTime()},
                    [{"id": i, "amount": i * 1.5, "created": dt.datetime(2026, 6, 28 + i % 3)}
                     for i in range(30)])


def count_points(ctx: MonitorContext) -> int:
    with ctx.store.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM dq_metrics")).scalar_one()


class TestRunTable:
    def test_running_the_same_as_of_twice_leaves_one_set_of_points(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        orders(warehouse)
        ctx = make_context(tmp_path, warehouses={"wh": warehouse.url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders", "schema": warehouse.schema,
             "timestamp_column": "created", "bucket": "day"}])
        table = ctx.config.table("orders")

        first = run_table(ctx, table, as_of=AS_OF)
        after_first = count_points(ctx)
        second = run_table(ctx, table, as_of=AS_OF)

        assert (first.status, second.status) == ("success", "success")
        assert count_points(ctx) == after_first == first.points_written
        run = ctx.store.run(first.run_id)
        assert run is not None
        assert (run.attempts, run.status, run.row_count) == (2, "success", 30)

    def test_a_future_as_of_is_refused_before_the_run_starts(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        orders(warehouse)
        ctx = make_context(tmp_path, clock=lambda: AS_OF, warehouses={"wh": warehouse.url},
                           tables=[{"name": "orders", "warehouse": "wh", "table": "orders",
                                    "schema": warehouse.schema, "timestamp_column": "created"}])
        table = ctx.config.table("orders")

        with pytest.raises(InputError, match="run of 'orders': as-of time .* in the future"):
            run_table(ctx, table, as_of=AS_OF + dt.timedelta(days=31))
        skewed = run_table(ctx, table, as_of=AS_OF + dt.timedelta(minutes=4))

        assert skewed.status == "success"
        assert [r.run_id for r in ctx.store.runs("orders")] == [skewed.run_id]

    def test_transient_failure_is_retried_and_counted(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"wh": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "wh", "table": "t"}])
        calls = []

        def flaky_step(c: MonitorContext, state: RunState) -> None:
            calls.append(1)
            state.found.append(Finding(table="t", check="c", kind="run", severity="info",
                                       failing=False, at=state.as_of, reason="probe"))
            if len(calls) == 1:
                raise WarehouseUnavailable("connection reset by peer")

        result = run_table(ctx, ctx.config.table("t"), as_of=AS_OF, steps=[flaky_step],
                           policy=FAST)

        assert (result.status, result.retries, len(calls)) == ("success", 1, 2)
        assert len(result.found) == 1  # the failed attempt's finding was discarded
        assert ctx.store.run(result.run_id).retries == 1  # type: ignore[union-attr]

    def test_after_commit_actions_run_once_after_the_commit(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"wh": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "wh", "table": "t"}])
        seen = []

        def step(c: MonitorContext, state: RunState) -> None:
            state.then(lambda: seen.append(c.store.run(state.run_id).status))  # type: ignore[union-attr]

        run_table(ctx, ctx.config.table("t"), as_of=AS_OF, steps=[step])

        assert seen == ["success"]


class TestRunTables:
    def test_one_failing_table_never_stops_the_others(self, tmp_path: Path,
                                                      warehouse: WarehouseUnderTest) -> None:
        orders(warehouse)
        refused = sa.engine.make_url(base_url()).set(port=1).render_as_string(
            hide_password=False)
        ctx = make_context(
            tmp_path,
            warehouses={"wh": warehouse.url, "down": {"url": refused, "connect_timeout": 1}},
            tables=[{"name": "missing", "warehouse": "wh", "table": "no_such_table",
                     "schema": warehouse.schema},
                    {"name": "down", "warehouse": "down", "table": "orders"},
                    {"name": "orders", "warehouse": "wh", "table": "orders",
                     "schema": warehouse.schema}],
            profiling={"max_retries": 1})

        results = run_tables(ctx, ctx.config.tables, as_of=AS_OF)

        status = {r.table: r for r in results}
        assert status["orders"].status == "success"
        assert status["missing"].status == "failed"
        assert "no_such_table' does not exist" in (status["missing"].error or "")
        assert status["missing"].retries == 0
        assert status["down"].status == "failed"
        assert "cannot connect" in (status["down"].error or "")
        assert status["down"].retries == 1
        assert ctx.store.points("orders")
        assert ctx.store.run(status["missing"].run_id).status == "failed"  # type: ignore[union-attr]

    def test_store_failure_is_reported_as_lost(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"wh": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "wh", "table": "t"}],
                           store="postgresql+psycopg://nobody@127.0.0.1:1/none")

        results = run_tables(ctx, ctx.config.tables, as_of=AS_OF)

        assert results[0].status == "lost"
        assert "metric store" in (results[0].error or "")


@pytest.fixture(autouse=True)
def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    # Retries in these tests need not wait for real backoff delays.
    monkeypatch.setattr("monitor.retry.time.sleep", lambda s: None)


def test_collect_is_the_default_first_step() -> None:
    from monitor.runner import STEPS

    assert STEPS[0] is collect_metrics
