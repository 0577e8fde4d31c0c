"""The gate: Python API for orchestrators, CLI exit codes, verdicts in the history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config.secrets import REGISTRY
from monitor.errors import InputError, MonitorError, WarehouseUnavailable
from monitor.gate import verdict as gate
from monitor.run.context import MonitorContext
from monitor.store.expectations import expectation_history
from monitor.store.verdicts import verdict_history
from tests.helpers.gate import (
    ORDER_TYPES,
    config_for,
    daily_orders,
    spec,
    suite_of,
)
from tests.helpers.warehouses import WarehouseUnderTest, sqlite_warehouse

END = dt.date(2026, 3, 9)  # a Monday
NOW = dt.datetime(2026, 3, 10, 6, tzinfo=dt.UTC)  # 22h after the last orders (08:00 + ...)
SUITE = suite_of("orders", [spec("column_values_to_not_be_null", column="customer_id"),
                            spec("column_values_to_be_between", column="amount", min_value=0,
                                 max_value=1000),
                            spec("column_mean_to_be_between", column="amount", min_value=500,
                                 severity="warning")])
TABLE = {"name": "orders", "table": "orders", "timestamp_column": "created_at",
         "bucket": "day", "suites": ["orders"], "thresholds": {"freshness_sla": "26h"}}


def _ctx(wh: WarehouseUnderTest, tmp: Path, rows, now: dt.datetime = NOW) -> MonitorContext:
    wh.create_table("orders", ORDER_TYPES, rows)
    config = config_for(wh, tmp, [dict(TABLE)], suites={"orders": SUITE})
    return MonitorContext(config, clock=lambda: now)


class TestCheck:
    def test_a_clean_table_passes_and_the_verdict_is_stored(self, wh, tmp_path) -> None:
        ctx = _ctx(wh, tmp_path, daily_orders(END, 35))

        result = gate.check("orders", context=ctx)

        assert result.passed
        assert result.verdict == "pass"
        assert result.reasons == []
        names = {c.check for c in result.checks}
        assert {"volume", "freshness"} <= names
        assert len(result.checks) == 5
        assert [c.check for c in result.warnings] == ["suite:orders:mean_to_be_between(amount)"]
        volume = next(c for c in result.checks if c.check == "volume")
        assert volume.reason == ("2026-03-09: 40 rows, at least 50% of the usual 40 (median of "
                                 "4 earlier Mondays)")
        [stored] = verdict_history(ctx.store, "orders")
        assert stored["verdict"] == "pass"
        assert len(stored["checks"]) == 5
        assert len(expectation_history(ctx.store, "orders", kind="gate")) == 3

    def test_a_null_spike_blocks_and_raises_gate_failed(self, wh, tmp_path) -> None:
        ctx = _ctx(wh, tmp_path, daily_orders(END, 35, null_share_last=0.35))

        with pytest.raises(gate.GateFailed) as failed:
            gate.check("orders", context=ctx, raise_on_failure=True)

        result = failed.value.result
        assert not result.passed
        assert failed.value.exit_code == 1
        assert [c.check for c in result.blocking] == [
            "suite:orders:values_to_not_be_null(customer_id)"]
        # 14 of the last day's 40 orders, out of 35 days x 40 orders.
        assert result.reasons == ["values_to_not_be_null(customer_id): 14 unexpected values "
                                  "(1.0%)"]
        assert verdict_history(ctx.store, "orders")[0]["verdict"] == "blocked"

    def test_a_partial_last_day_blocks_on_volume(self, wh, tmp_path) -> None:
        rows = daily_orders(END, 35, per_day=lambda day: 12 if day == END else 40)
        ctx = _ctx(wh, tmp_path, rows)

        result = gate.check("orders", context=ctx)

        assert [c.reason for c in result.blocking] == [
            "2026-03-09: 12 rows, under 50% of the usual 40 (median of 4 earlier Mondays)"]

    def test_the_bucket_still_filling_is_not_judged(self, wh, tmp_path) -> None:
        # Arrange: at 20:19 on Tuesday, today's 5 orders so far are in; Monday is complete
        now = dt.datetime(2026, 3, 10, 20, 19, tzinfo=dt.UTC)
        rows = daily_orders(END + dt.timedelta(days=1), 36,
                            per_day=lambda day: 5 if day > END else 40)
        ctx = _ctx(wh, tmp_path, rows, now=now)

        # Act
        result = gate.check("orders", context=ctx)

        # Assert: Monday's 40 against the 4 Mondays before it (hand count), not today's 5
        volume = next(c for c in result.checks if c.check == "volume")
        assert result.passed
        assert volume.reason == ("2026-03-09: 40 rows, at least 50% of the usual 40 (median of "
                                 "4 earlier Mondays)")

    def test_the_severity_policy_can_make_a_check_report_instead_of_block(
            self, wh, tmp_path) -> None:
        rows = daily_orders(END, 35, per_day=lambda day: 12 if day == END else 40)
        wh.create_table("orders", ORDER_TYPES, rows)
        table = {**TABLE, "severity": {"checks": {"volume:row_count": "warning"}}}
        config = config_for(wh, tmp_path, [table], suites={"orders": SUITE})

        result = gate.check("orders", context=MonitorContext(config, clock=lambda: NOW))

        volume = next(c for c in result.checks if c.check == "volume")
        assert (result.passed, volume.passed, volume.severity) == (True, False, "warning")

    def test_stale_data_blocks_on_freshness(self, wh, tmp_path) -> None:
        ctx = _ctx(wh, tmp_path, daily_orders(END, 35), now=NOW + dt.timedelta(days=2))

        result = gate.check("orders", context=ctx)

        assert [c.check for c in result.blocking] == ["volume", "freshness"]
        assert "over the 1d 2h SLA" in result.blocking[1].reason

    def test_a_table_that_stopped_loading_fails_on_its_empty_newest_bucket(
            self, wh, tmp_path) -> None:
        # Arrange: orders up to Monday 03-09; the gate runs Thursday 03-12 at 06:00
        ctx = _ctx(wh, tmp_path, daily_orders(END, 35), now=NOW + dt.timedelta(days=2))

        # Act
        result = gate.check("orders", context=ctx)

        # Assert: Wednesday 03-11 is the newest complete day, and it is empty
        volume = next(c for c in result.checks if c.check == "volume")
        assert (volume.passed, volume.severity) == (False, "critical")
        assert volume.reason == "2026-03-11: 0 rows: the bucket is empty"

    def test_a_table_whose_first_rows_still_fill_their_bucket_is_not_judged(
            self, wh, tmp_path) -> None:
        rows = daily_orders(END + dt.timedelta(days=1), 1, per_day=5)
        ctx = _ctx(wh, tmp_path, rows, now=dt.datetime(2026, 3, 10, 20, tzinfo=dt.UTC))

        volume = next(c for c in gate.check("orders", context=ctx).checks
                      if c.check == "volume")

        assert (volume.passed, volume.judged) == (True, False)

    def test_two_expectations_with_one_label_get_unique_names(self, wh, tmp_path) -> None:
        wh.create_table("orders", ORDER_TYPES, daily_orders(END, 35))
        suite = suite_of("orders", [
            spec("column_values_to_be_between", column="amount", min_value=0),
            spec("column_values_to_not_be_null", column="customer_id"),
            spec("column_values_to_be_between", column="amount", max_value=1000)])
        config = config_for(wh, tmp_path, [dict(TABLE)], suites={"orders": suite})

        result = gate.check("orders", context=MonitorContext(config, clock=lambda: NOW))

        names = [c.check for c in result.checks]
        assert len(names) == len(set(names))
        assert {"suite:orders:values_to_be_between(amount)#1",
                "suite:orders:values_to_be_between(amount)#3",
                "suite:orders:values_to_not_be_null(customer_id)"} <= set(names)

    def test_a_future_as_of_is_refused_and_records_nothing(self, wh, tmp_path) -> None:
        ctx = _ctx(wh, tmp_path, daily_orders(END, 35))

        with pytest.raises(InputError, match="gate of 'orders': as-of time 2026-04-10"):
            gate.check("orders", context=ctx, as_of=NOW + dt.timedelta(days=31))

        assert verdict_history(ctx.store, "orders") == []

    def test_only_the_named_suite(self, wh, tmp_path) -> None:
        ctx = _ctx(wh, tmp_path, daily_orders(END, 35))
        (tmp_path / "expectations" / "tiny.json").write_text(
            '{"name": "tiny", "expectations": [{"type": "expect_table_row_count_to_be_between",'
            ' "kwargs": {"min_value": 1}}]}')

        result = gate.check("orders", context=ctx, suites=["tiny"], record=False)

        assert [c.check for c in result.checks if c.check.startswith("suite:")] == [
            "suite:tiny:table_row_count_to_be_between"]
        assert verdict_history(ctx.store, "orders") == []


class TestReconcileCheck:
    def test_a_reconcile_entry_whose_tables_differ_blocks_the_gate(self, wh, tmp_path) -> None:
        rows = daily_orders(END, 35)
        wh.create_table("orders", ORDER_TYPES, rows)
        wh.create_table("orders_copy", ORDER_TYPES, rows[:-3])
        side = {"warehouse": wh.name, "table": "orders",
                **({"schema": wh.schema} if wh.schema else {})}
        entries = [{"name": "same", "source": side, "target": side, "key": ["order_id"]},
                   {"name": "copy", "source": side, "target": {**side, "table": "orders_copy"},
                    "key": ["order_id"], "sums": ["amount"]}]
        config = config_for(wh, tmp_path, [dict(TABLE)], suites={"orders": SUITE},
                            reconcile=entries)
        ctx = MonitorContext(config, clock=lambda: NOW)

        matched = gate.check("orders", context=ctx, reconcile=["same"], record=False)
        blocked = gate.check("orders", context=ctx, reconcile=["copy"], record=False)

        assert matched.passed
        assert not blocked.passed
        [check] = [c for c in blocked.blocking if c.check == "reconcile:copy"]
        missing = sorted(r["order_id"] for r in rows[-3:])
        assert f"3 keys missing in the target (first: {', '.join(map(str, missing))})" in (
            check.reason)

    def test_an_unknown_entry_is_a_config_error(self, wh, tmp_path) -> None:
        ctx = _ctx(wh, tmp_path, daily_orders(END, 35))

        with pytest.raises(MonitorError, match="no reconcile entry named 'nope'"):
            gate.check("orders", context=ctx, reconcile=["nope"])


class TestCouldNotEvaluate:
    def test_a_dead_warehouse_raises_and_leaves_an_error_verdict(self, tmp_path) -> None:
        w = sqlite_warehouse(tmp_path)
        ctx = _ctx(w, tmp_path, daily_orders(END, 3))
        dead = ctx.config.model_copy(update={"warehouses": {"wh": ctx.config.warehouses[
            "wh"].model_copy(update={"url": "postgresql+psycopg://nobody@127.0.0.1:1/x",
                                     "connect_timeout": 1})}})
        ctx = MonitorContext(dead, store=ctx.store, clock=lambda: NOW)

        with pytest.raises(WarehouseUnavailable):
            gate.check("orders", context=ctx)

        [stored] = verdict_history(ctx.store, "orders")
        assert stored["verdict"] == "error"
        assert "cannot connect" in stored["reason"]
        assert ctx.store.runs("orders", kind="gate")[0].status == "failed"

    def test_an_unknown_table_is_a_monitor_error(self, tmp_path) -> None:
        w = sqlite_warehouse(tmp_path)
        ctx = _ctx(w, tmp_path, daily_orders(END, 3))
        with pytest.raises(MonitorError, match="no table named 'nope'"):
            gate.check("nope", context=ctx)


class TestWriteResult:
    def test_the_verdict_and_its_checks_are_written_in_the_callers_commit(self, store) -> None:
        checks = [gate.GateCheck("volume", False, "critical", "12 rows, under 50%"),
                  gate.GateCheck("freshness", True, "critical", "fresh")]
        result = gate.decide("orders", checks, at=NOW, batch_id="b1", run_id="r1")

        with store.transaction() as conn:
            gate.write_result(conn, result)

        [stored] = verdict_history(store, "orders")
        assert (stored["verdict_id"], stored["verdict"], stored["passed"]) == (
            result.verdict_id, "blocked", False)
        assert (stored["batch_id"], stored["reason"]) == ("b1", "12 rows, under 50%")
        assert [c["check"] for c in stored["checks"]] == ["volume", "freshness"]


class TestWriteError:
    def test_a_gate_that_could_not_be_evaluated_leaves_an_error_verdict(self, store) -> None:
        REGISTRY.add("hunter2-secret")

        with store.transaction() as conn:
            gate.write_error(conn, "orders", WarehouseUnavailable(
                "warehouse 'wh': password hunter2-secret refused"), at=NOW, batch_id="b1")

        [stored] = verdict_history(store, "orders")
        assert (stored["verdict"], stored["passed"], stored["checks"]) == ("error", False, [])
        assert stored["reason"] == "warehouse 'wh': password *** refused"
        assert stored["verdict_id"] == gate.verdict_id_for("orders", "b1")


class TestGateResult:
    def test_summary_and_dict(self) -> None:
        check = gate.GateCheck("volume", False, "critical", "12 rows, under 50%")
        result = gate.decide("t", [check], at=NOW, batch_id="b1")

        assert result.summary == "t: blocked by 1 check: 12 rows, under 50%"
        assert result.to_dict()["reasons"] == ["12 rows, under 50%"]
        assert result.verdict_id == gate.verdict_id_for("t", "b1")
        with pytest.raises(gate.GateFailed, match="blocked by 1 check"):
            result.raise_for_failure()

    def test_passing_result_returns_itself(self) -> None:
        result = gate.decide("t", [gate.GateCheck("volume", True, "critical", "ok")], at=NOW)
        assert result.raise_for_failure() is result
        assert result.summary == "t: passed 1 checks"


class TestCli:
    def _run(self, tmp_path: Path, rows, *args: str) -> int:
        w = sqlite_warehouse(tmp_path)
        w.create_table("orders", ORDER_TYPES, rows)
        table = dict(TABLE, thresholds={})  # the real clock: no freshness SLA
        config_for(w, tmp_path, [table], suites={"orders": SUITE})
        return main(["--config", str(tmp_path / "monitor.yaml"), "gate", "--table", "orders",
                     *args])

    def test_exit_0_when_it_passes(self, tmp_path, capsys) -> None:
        yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
        assert self._run(tmp_path, daily_orders(yesterday, 35)) == 0
        assert "PASS" in capsys.readouterr().out

    def test_a_live_table_passes_while_today_fills(self, tmp_path, capsys) -> None:
        # Arrange: 35 complete days up to yesterday, and today's first 3 orders so far
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        rows = daily_orders(today.date() - dt.timedelta(days=1), 35)
        rows += [dict(rows[-1], order_id=len(rows) + i + 1,
                      created_at=today + (now - today) * i / 4) for i in range(3)]

        # Act
        code = self._run(tmp_path, rows, "--format", "json")

        # Assert
        import json

        verdict = json.loads(capsys.readouterr().out)
        volume = next(c for c in verdict["checks"] if c["check"] == "volume")
        assert code == 0
        assert volume["reason"].startswith(f"{today - dt.timedelta(days=1):%Y-%m-%d}: 40 rows")

    def test_a_table_that_stopped_loading_is_blocked(self, tmp_path, capsys) -> None:
        # Arrange: the last orders are three days old (the real clock)
        today = dt.datetime.now(dt.UTC).date()

        code = self._run(tmp_path, daily_orders(today - dt.timedelta(days=3), 35))

        out = " ".join(capsys.readouterr().out.split())
        assert code == 1
        assert f"{today - dt.timedelta(days=1)}: 0 rows: the bucket is empty" in out
        assert "skipped │ freshness" in out or "skipped freshness" in out

    def test_exit_1_when_blocked(self, tmp_path, capsys) -> None:
        code = self._run(tmp_path, daily_orders(END, 35, null_share_last=0.35), "--format",
                         "json")
        import json

        assert code == 1
        assert json.loads(capsys.readouterr().out)["verdict"] == "blocked"

    def test_exit_2_when_it_cannot_evaluate(self, tmp_path, capsys) -> None:
        w = sqlite_warehouse(tmp_path)
        config_for(w, tmp_path, [dict(TABLE)], suites={"orders": SUITE})  # no table created
        code = main(["--config", str(tmp_path / "monitor.yaml"), "gate", "--table", "orders"])
        assert code == 2
        assert "does not exist" in capsys.readouterr().err
