"""The validate step of a run: findings per expectation, results in the run's commit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.run.context import MonitorContext
from monitor.run.runner import STEPS, run_table
from monitor.run.validate import plan_suites, validate_now, validate_suites
from monitor.store.expectations import expectation_history
from tests.helpers.gate import config_for, pg_warehouse_under_test, spec, suite_of
from tests.helpers.warehouses import sqlite_warehouse

T0 = dt.datetime(2026, 3, 2, 6, tzinfo=dt.UTC)
SUITE = suite_of("orders", [
    spec("column_values_to_not_be_null", column="customer_id"),
    spec("column_values_to_be_between", column="amount", min_value=0, severity="warning"),
    spec("column_values_to_not_be_null", column="coupon", severity="info"),
])


@pytest.fixture
def setup(tmp_path: Path, store):
    wh = sqlite_warehouse(tmp_path)
    wh.create_table("orders", {"id": sa.Integer(), "customer_id": sa.Integer(),
                               "amount": sa.Float()},
                    [{"id": i, "customer_id": None if i < 3 else i, "amount": -1.0 if i == 9
                      else float(i)} for i in range(20)])
    config = config_for(wh, tmp_path, [{"name": "orders", "table": "orders",
                                        "suites": ["orders"],
                                        "columns": {"amount": {"tags": ["pii"]}}}],
                        suites={"orders": SUITE})
    yield wh, MonitorContext(config, store=store, clock=lambda: T0)
    wh.dispose()


class TestValidateSuites:
    def test_is_a_step_of_every_run(self) -> None:
        assert validate_suites in STEPS

    def test_one_finding_per_expectation_with_its_severity(self, setup) -> None:
        _, ctx = setup

        result = run_table(ctx, ctx.config.table("orders"), as_of=T0)

        found = [f for f in result.found if f.kind == "expectation"]
        assert result.ok
        assert [(f.severity, f.failing) for f in found] == [
            ("critical", True), ("warning", True), ("info", True)]
        keys = {f.check for f in found}
        assert keys == {f"suite:orders:{s.key}" for s in SUITE.expectations}
        assert "3 unexpected values" in found[0].reason
        assert "does not exist" in found[2].reason  # a missing column fails, not crashes

    def test_results_are_stored_once_per_run_and_queryable_over_time(self, setup) -> None:
        wh, ctx = setup
        table = ctx.config.table("orders")
        run_table(ctx, table, as_of=T0)
        run_table(ctx, table, as_of=T0)  # the same run again: replaced, not duplicated
        wh.execute("UPDATE orders SET customer_id = 1 WHERE customer_id IS NULL")
        ctx.clock = lambda: T0 + dt.timedelta(hours=1)  # an hour later
        run_table(ctx, table, as_of=T0 + dt.timedelta(hours=1))

        history = expectation_history(ctx.store, "orders", expectation="customer_id")

        assert [(r.ts, r.success, r.unexpected_count) for r in history] == [
            (T0.replace(tzinfo=None), False, 3),
            (T0.replace(tzinfo=None) + dt.timedelta(hours=1), True, 0)]

    def test_pii_columns_keep_no_unexpected_values(self, setup) -> None:
        _, ctx = setup
        run_table(ctx, ctx.config.table("orders"), as_of=T0)

        [between] = expectation_history(ctx.store, "orders", expectation="amount")

        assert between.unexpected_count == 1
        assert between.unexpected_values is None

    def test_runs_as_of_the_past_do_not_validate_the_present(self, setup) -> None:
        _, ctx = setup

        result = run_table(ctx, ctx.config.table("orders"), as_of=T0 - dt.timedelta(days=3))

        assert not [f for f in result.found if f.kind == "expectation"]
        assert any("suites not validated" in p for p in result.problems)

    def test_tables_without_suites_are_left_alone(self, setup, tmp_path: Path) -> None:
        wh, ctx = setup
        config = config_for(wh, tmp_path, [{"name": "orders", "table": "orders"}])
        ctx2 = MonitorContext(config, store=ctx.store, clock=lambda: T0)

        result = run_table(ctx2, config.table("orders"), as_of=T0)

        assert not [f for f in result.found if f.kind == "expectation"]


class TestValidateNow:
    def test_records_a_validate_run(self, setup) -> None:
        _, ctx = setup

        report, run_id = validate_now(ctx, ctx.config.table("orders"))

        assert not report.passed
        assert run_id.endswith("#validate")
        assert ctx.store.run(run_id).status == "success"
        assert len(expectation_history(ctx.store, "orders", kind="validate")) == 3
        assert expectation_history(ctx.store, "orders", kind="profile") == []

    def test_a_missing_table_fails_the_run_and_raises(self, setup) -> None:
        wh, ctx = setup
        wh.execute("DROP TABLE orders")
        from monitor.errors import ObjectNotFound

        with pytest.raises(ObjectNotFound):
            validate_now(ctx, ctx.config.table("orders"))
        [run] = ctx.store.runs("orders", kind="validate")
        assert run.status == "failed"


class TestOddTableNames:
    def test_a_run_of_a_table_with_a_double_quote_in_its_name_stores_everything(
            self, tmp_path: Path, sqlite_store) -> None:
        with pg_warehouse_under_test() as wh:
            wh.create_table('Weird Table "x"', {"id": sa.Integer(), "amount": sa.Float()},
                            [{"id": i, "amount": float(i)} for i in range(1, 11)])
            suite = suite_of("weird", [
                spec("column_median_to_be_between", column="amount", min_value=0),  # GX
                spec("column_values_to_not_be_null", column="id")])  # SQL
            config = config_for(wh, tmp_path, [{"name": "weird", "table": 'Weird Table "x"',
                                                "suites": ["weird"]}],
                                suites={"weird": suite})
            ctx = MonitorContext(config, store=sqlite_store, clock=lambda: T0)

            result = run_table(ctx, config.table("weird"), as_of=T0)

            assert result.status == "success", result.error
            assert sqlite_store.points("weird")
            found = {f.metric: f for f in result.found if f.kind == "expectation"}
            assert not found["expect_column_median_to_be_between"].failing
            assert found["expect_column_median_to_be_between"].observed == 5.5


class TestABrokenSuite:
    def test_the_run_profiles_and_names_every_broken_suite(self, wh, tmp_path: Path,
                                                           capsys) -> None:
        # Arrange: suites [orders, sev2, gone]: sev2 has a bad severity, gone has no file
        import json

        from monitor.cli import main
        from tests.helpers.gate import ORDER_TYPES, daily_orders

        rows = daily_orders(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1), 3)
        wh.create_table("orders", ORDER_TYPES, rows)
        good = suite_of("orders", [spec("column_values_to_not_be_null", column="order_id")])
        config_for(wh, tmp_path, [{"name": "orders", "table": "orders",
                                   "timestamp_column": "created_at", "bucket": "day",
                                   "suites": ["orders", "sev2", "gone"]}],
                   suites={"orders": good})
        (tmp_path / "expectations" / "sev2.json").write_text(json.dumps({
            "name": "sev2", "expectations": [
                {"type": "expect_column_values_to_not_be_null",
                 "kwargs": {"column": "amount"}, "severity": "bogus"}]}))

        # Act
        code = main(["--config", str(tmp_path / "monitor.yaml"), "run", "--table", "orders",
                     "--format", "json"])

        # Assert: the profile is stored, the good suite ran, both problems are named
        [result] = json.loads(capsys.readouterr().out)["results"]
        assert code == 2
        assert (result["status"], result["row_count"]) == ("success", len(rows))
        assert result["points_written"] > 0
        failing = {f["check"]: f["reason"] for f in result["findings"]}
        assert "severity 'bogus'" in failing["suite:sev2"]
        assert "no suite named 'gone'" in failing["suite:gone"]
        assert any("sev2" in p for p in result["problems"])
        assert any("'gone'" in p for p in result["problems"])

    def test_fail_on_never_still_says_why_it_exits_2(self, tmp_path: Path, capsys) -> None:
        from monitor.cli import main
        from tests.helpers.gate import ORDER_TYPES, daily_orders

        wh = sqlite_warehouse(tmp_path)
        wh.create_table("orders", ORDER_TYPES,
                        daily_orders(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1), 2))
        config_for(wh, tmp_path, [{"name": "orders", "table": "orders", "suites": ["gone"]}])

        code = main(["--config", str(tmp_path / "monitor.yaml"), "run", "--fail-on", "never"])

        out = " ".join(capsys.readouterr().out.split())
        assert code == 2
        assert "suite 'gone' not validated" in out


#: Expectations the SQL pushdown evaluates, every one passing on ``_plan_rows``.
PASSING = suite_of("plan", [
    spec("table_row_count_to_be_between", min_value=1, max_value=10_000),
    spec("column_values_to_not_be_null", column="order_id"),
    spec("column_values_to_be_unique", column="order_id"),
    spec("column_values_to_be_between", column="amount", min_value=0, max_value=1_000),
    spec("column_values_to_be_in_set", column="status", value_set=["paid", "shipped"]),
    spec("column_value_lengths_to_be_between", column="status", min_value=1, max_value=20),
    spec("column_unique_value_count_to_be_between", column="status", min_value=1,
         max_value=2),
    spec("column_proportion_of_unique_values_to_be_between", column="customer_id",
         min_value=0, max_value=1),
    spec("column_min_to_be_between", column="customer_id", min_value=0),
    spec("column_max_to_be_between", column="amount", max_value=1_000),
    spec("column_mean_to_be_between", column="amount", min_value=0, max_value=1_000),
    spec("column_stdev_to_be_between", column="customer_id", min_value=0),
    spec("column_stdev_to_be_between", column="amount", min_value=0),
    spec("column_sum_to_be_between", column="order_id", min_value=0),
])
#: Two failing expectations with unexpected values to sample, and two without any
#: (nulls are not sampled; an aggregate has no rows to show).
FAILING = suite_of("plan", [
    spec("column_values_to_be_between", column="amount", min_value=0, max_value=100),
    spec("column_values_to_be_in_set", column="status", value_set=["paid"]),
    spec("column_values_to_not_be_null", column="customer_id"),
    spec("column_min_to_be_between", column="amount", min_value=150),
    spec("column_values_to_not_be_null", column="order_id"),  # passing
])


def _plan_rows() -> list[dict]:
    from tests.helpers.gate import daily_orders

    rows = daily_orders((T0 - dt.timedelta(days=1)).date(), 5, per_day=30)
    rows[3]["customer_id"] = None
    rows[4]["created_at"] = None  # no timestamp: counted apart on a bucketed table
    return rows


def _scans(wh, tmp_path: Path, suite, **table) -> tuple[int, object]:
    """Scans a scheduled run of ``orders`` sends to the warehouse (with ``suite``, if any)."""
    from tests.helpers.gate import ORDER_TYPES
    from tests.helpers.statements import record_statements

    wh.create_table("orders", ORDER_TYPES, _plan_rows())
    folder = tmp_path / ("with" if suite else "without")
    folder.mkdir()
    config = config_for(wh, folder, [{"name": "orders", "table": "orders",
                                      "timestamp_column": "created_at",
                                      **({"suites": ["plan"]} if suite else {}), **table}],
                        suites={"plan": suite} if suite else {})
    ctx = MonitorContext(config, clock=lambda: T0)
    warehouse = ctx.warehouse_for(config.table("orders"))
    with record_statements(warehouse.engine) as log:
        result = run_table(ctx, config.table("orders"), scheduled_at=T0, trigger="schedule",
                           once=True)
    ctx.store.dispose()
    assert result.status == "success", result.error
    return log.count("scan"), result


class TestPlanSuites:
    """A scheduled run judges its pushed-down suite from the profile's own scan."""

    @pytest.mark.parametrize("table", [{}, {"bucket": "day"}], ids=["whole", "bucketed"])
    def test_a_passing_suite_adds_no_scan(self, wh, tmp_path: Path, table) -> None:
        without, _ = _scans(wh, tmp_path, None, **table)

        with_suite, result = _scans(wh, tmp_path, PASSING, **table)

        found = [f for f in result.found if f.kind == "expectation"]
        assert len(found) == len(PASSING.expectations)
        assert not [f.reason for f in found if f.failing]
        # The issue allows a bucketed table one table-level scan more; it takes none:
        # that scan also counts the rows without a timestamp, a statement of its own
        # without the suite.
        assert with_suite == without

    @pytest.mark.parametrize("table", [{}, {"bucket": "day"}], ids=["whole", "bucketed"])
    def test_only_failed_expectations_with_unexpected_rows_add_a_sample_query(
            self, wh, tmp_path: Path, table) -> None:
        without, _ = _scans(wh, tmp_path, None, **table)

        with_suite, result = _scans(wh, tmp_path, FAILING, **table)

        failing = [f.metric for f in result.found if f.kind == "expectation" and f.failing]
        assert len(failing) == 4
        assert with_suite == without + 2  # between and in_set: one sample query each

    def test_outcomes_are_those_of_the_suite_validated_alone(self, wh, tmp_path: Path) -> None:
        from monitor.validation.suite_runner import validate_table

        _, result = _scans(wh, tmp_path, FAILING)
        ctx = MonitorContext(config_for(wh, tmp_path / "alone", [
            {"name": "orders", "table": "orders"}]))
        warehouse = ctx.warehouse_for(ctx.config.table("orders"))

        alone = validate_table(warehouse, ctx.config.table("orders"), [FAILING], samples=5)

        found = [f for f in result.found if f.kind == "expectation"]
        assert [(f.failing, f.reason, f.observed) for f in found] == [
            (not o.success, o.reason, o.observed_value if isinstance(
                o.observed_value, int | float) else o.unexpected_percent)
            for o in alone.outcomes]
        ctx.store.dispose()

    def test_a_run_as_of_the_past_plans_nothing(self, setup) -> None:
        from monitor.run.state import RunState

        _, ctx = setup
        table = ctx.config.table("orders")
        state = RunState(table=table, run_id="r", as_of=T0 - dt.timedelta(days=3),
                         explicit_as_of=True)
        warehouse = ctx.warehouse_for(table)

        needs = plan_suites(ctx, state, warehouse, warehouse.describe("orders"))

        assert not needs
