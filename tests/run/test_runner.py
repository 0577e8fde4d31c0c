"""One run of one table: idempotent, transactional, failures as values."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.cli import main
from monitor.config.secrets import REGISTRY
from monitor.errors import InputError, QueryTimeout, WarehouseUnavailable
from monitor.retry import RetryPolicy
from monitor.run.collect import collect_metrics
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding
from monitor.run.runner import run_table, run_tables
from monitor.run.state import RunState
from monitor.store import open_store
from tests.helpers.contexts import make_context, write_config
from tests.helpers.postgres import base_url, temporary_database
from tests.helpers.warehouses import WarehouseUnderTest, sqlite_warehouse

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


@pytest.fixture
def pg_store_url() -> Iterator[str]:
    """A PostgreSQL metric store in a database of its own, reached as a role of its own
    (not a superuser: ``unreadable`` revokes its right to read the detections)."""
    with temporary_database("dq_store") as admin_url:
        open_store(admin_url).dispose()  # the tables, owned by the administrator
        role = f"dq_partial_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            conn.execute(sa.text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
            conn.execute(sa.text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        try:
            yield sa.engine.make_url(admin_url).set(username=role).render_as_string(
                hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP OWNED BY {role}"))
                conn.execute(sa.text(f"DROP ROLE {role}"))
            admin.dispose()


def unreadable(store_url: str, readable: bool) -> None:
    """REVOKE (or GRANT back) the store role's right to read ``dq_detections``."""
    url = sa.engine.make_url(store_url)
    admin = sa.create_engine(url.set(username="postgres"), isolation_level="AUTOCOMMIT")
    verb = "GRANT SELECT ON dq_detections TO" if readable else (
        "REVOKE SELECT ON dq_detections FROM")
    with admin.connect() as conn:
        conn.execute(sa.text(f"{verb} {url.username}"))
    admin.dispose()


def orders_config(tmp_path: Path, store: str) -> dict:
    wh = sqlite_warehouse(tmp_path)
    orders(wh)
    return {"store": store, "warehouses": {"wh": wh.url},
            "tables": [{"name": "orders", "warehouse": "wh", "table": "orders",
                        "timestamp_column": "created", "bucket": "day"}]}


def unjudged(ctx: MonitorContext) -> tuple[int, int]:
    """(stored daily row counts of orders without a verdict, all of them)."""
    with ctx.store.connect() as conn:
        total = conn.execute(sa.text(
            "SELECT count(*) FROM dq_metrics WHERE table_name = 'orders'"
            " AND metric = 'row_count' AND granularity = 'day'")).scalar_one()
        return conn.execute(sa.text(
            "SELECT count(*) FROM dq_metrics m WHERE m.table_name = 'orders'"
            " AND m.metric = 'row_count' AND m.granularity = 'day' AND NOT EXISTS"
            " (SELECT 1 FROM dq_detections d WHERE d.table_name = m.table_name"
            " AND d.metric = m.metric AND d.column_name = m.column_name"
            " AND d.granularity = m.granularity AND d.ts = m.ts)")).scalar_one(), total


class TestPartialRun:
    @pytest.mark.postgres
    def test_a_failing_detection_keeps_the_profile_and_the_next_run_judges_it(
            self, tmp_path: Path, pg_store_url: str) -> None:
        raw = orders_config(tmp_path, pg_store_url)
        ctx = make_context(tmp_path, **raw, profiling={"max_retries": 1})
        table = ctx.config.table("orders")
        unreadable(pg_store_url, readable=False)

        result = run_table(ctx, table, as_of=AS_OF, policy=FAST)

        run = ctx.store.run(result.run_id)
        assert run is not None
        assert (result.status, run.status) == ("partial", "partial")
        assert run.row_count == 30
        assert result.points_written == count_points_of(ctx, result.run_id) > 0
        assert run.error == result.error
        assert run.error == ("detect_anomalies failed: metric store: reading: "
                             "permission denied for table dq_detections")
        assert run.error_kind == "StoreError"
        unreadable(pg_store_url, readable=True)
        left, stored = unjudged(ctx)
        assert left == stored == 3  # 2026-06-28, -29 and -30: no verdict yet

        following = run_table(ctx, table, as_of=AS_OF + dt.timedelta(days=1), policy=FAST)

        assert following.status == "success"
        left, now_stored = unjudged(ctx)
        assert (left, now_stored >= stored) == (0, True)

    def test_a_step_timing_out_after_the_profile_keeps_it_on_sqlite(
            self, tmp_path: Path) -> None:
        raw = orders_config(tmp_path, f"sqlite:///{tmp_path / 'metrics.db'}")
        ctx = make_context(tmp_path, **raw)
        table = ctx.config.table("orders")
        REGISTRY.add("s3cret-Tok9")  # a password the config resolved
        calls = []

        def timed_out(c: MonitorContext, state: RunState) -> None:
            calls.append(1)
            state.found.append(Finding(table="orders", check="c", kind="anomaly",
                                       severity="critical", failing=True, at=state.as_of,
                                       reason="queued by the failing step"))
            raise QueryTimeout("canceling statement due to statement timeout "
                               "postgresql://dq:s3cret-Tok9@db/x")

        result = run_table(ctx, table, as_of=AS_OF, policy=FAST,
                           steps=[collect_metrics, timed_out])

        run = ctx.store.run(result.run_id)
        assert run is not None
        assert (result.status, run.status, len(calls)) == ("partial", "partial", 3)
        assert (result.retries, run.retries) == (2, 2)
        assert "c" not in {f.check for f in result.found}  # the failed step's is dropped
        assert count_points_of(ctx, result.run_id) == result.points_written > 0
        assert run.error_kind == "QueryTimeout (transient)"
        assert (run.error or "").startswith("timed_out failed: canceling statement")
        assert "s3cret" not in (run.error or "")
        assert "s3cret" not in (result.error or "")
        left, stored = unjudged(ctx)
        assert left == stored == 3  # 2026-06-28, -29 and -30: no verdict yet

        following = run_table(ctx, table, as_of=AS_OF + dt.timedelta(days=1))

        assert following.status == "success"
        left, now_stored = unjudged(ctx)
        assert (left, now_stored >= stored) == (0, True)

    def test_a_failing_profile_still_fails_the_run(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"wh": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "wh", "table": "no_such"}])

        result = run_table(ctx, ctx.config.table("t"), as_of=AS_OF, policy=FAST)

        assert result.status == "failed"
        assert ctx.store.run(result.run_id).status == "failed"  # type: ignore[union-attr]

    @pytest.mark.postgres
    def test_the_run_command_exits_2_on_a_partial_run(self, tmp_path: Path,
                                                     pg_store_url: str) -> None:
        raw = orders_config(tmp_path, pg_store_url)
        config = write_config(tmp_path, **raw)
        ctx = make_context(tmp_path, **raw)
        unreadable(pg_store_url, readable=False)

        code = main(["--config", str(config), "run", "--as-of", "2026-07-01T06:00:00"])

        assert code == 2
        run = ctx.store.run("orders@2026-07-01T06:00:00")
        assert run is not None
        assert run.status == "partial"


def count_points_of(ctx: MonitorContext, run_id: str) -> int:
    with ctx.store.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM dq_metrics WHERE run_id = :r"),
                            {"r": run_id}).scalar_one()


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
    from monitor.run.runner import STEPS

    assert STEPS[0] is collect_metrics
