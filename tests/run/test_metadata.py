"""Runs that read the catalog instead of scanning (``metadata: true`` / ``only``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from monitor.run.collect import collect_metrics
from monitor.run.context import MonitorContext
from monitor.run.metadata import collect_metadata
from monitor.run.runner import run_table
from monitor.run.state import RunState
from tests.helpers.contexts import make_context
from tests.helpers.warehouses import WarehouseUnderTest

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)


def orders_context(tmp_path: Path, wh: WarehouseUnderTest, **table: object) -> MonitorContext:
    orders = wh.create_table("orders", {"id": sa.Integer(), "ts": sa.DateTime()})
    with wh.engine.begin() as conn:
        conn.execute(orders.insert(), [{"id": i, "ts": dt.datetime(2026, 11, 19)}
                                       for i in range(50)])
        conn.execute(sa.text("SELECT pg_stat_force_next_flush()"))
    return make_context(tmp_path, clock=lambda: NOW, warehouses={"wh": wh.url}, tables=[
        {"name": "orders", "warehouse": "wh", "table": "orders", "schema": wh.schema,
         **table}])


class TestCollectMetadata:
    def test_metadata_only_run_judges_the_age_against_the_sla(
            self, tmp_path: Path, pg_warehouse: WarehouseUnderTest) -> None:
        # Arrange: two runs five hours apart, nothing written between them; SLA 2h.
        ctx = orders_context(tmp_path, pg_warehouse, metadata="only", suites=[],
                             thresholds={"freshness_sla": "2h"})
        table = ctx.config.table("orders")
        first = run_table(ctx, table, as_of=NOW - dt.timedelta(hours=6))

        # Act
        second = run_table(ctx, table, as_of=NOW - dt.timedelta(hours=1))

        # Assert: the estimate is the run's row count; the age fails the SLA.
        assert (first.status, second.status) == ("success", "success")
        assert second.row_count == 50
        ages = ctx.store.points("orders", metric="modified_age_estimate_seconds")
        assert [p.value for p in ages] == [0.0, 5 * 3600.0]
        late = [f for f in second.found if f.check == "metadata:modified_age_estimate_seconds"]
        assert [f.failing for f in late] == [True]
        assert ctx.store.points("orders", metric="row_count") == []  # no scan

    def test_metadata_true_adds_estimates_to_the_profile(
            self, tmp_path: Path, pg_warehouse: WarehouseUnderTest) -> None:
        # Arrange
        ctx = orders_context(tmp_path, pg_warehouse, metadata=True)
        state = RunState(table=ctx.config.table("orders"), run_id="r1", as_of=NOW)

        # Act
        collect_metrics(ctx, state)

        # Assert
        values = {p.metric: p.value for p in state.points if not p.column}
        assert values["row_count"] == values["row_count_estimate"] == 50

    def test_first_run_counts_the_age_from_itself(self, tmp_path: Path,
                                      pg_warehouse: WarehouseUnderTest) -> None:
        # Arrange
        ctx = orders_context(tmp_path, pg_warehouse, metadata="only")
        state = RunState(table=ctx.config.table("orders"), run_id="r1", as_of=NOW)

        # Act
        collect_metadata(ctx, state)

        # Assert
        values = {p.metric: p.value for p in state.points}
        assert values["modified_age_estimate_seconds"] == 0.0
        assert values["last_modified"] == NOW.timestamp()
