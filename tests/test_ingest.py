"""Write-audit-publish ingestion on SQLite and PostgreSQL: publish, block, quarantine, retry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.cli import main
from monitor.context import MonitorContext
from monitor.errors import InputError, MonitorError
from monitor.ingest import ingest_file
from monitor.ingest_publish import ledger_entry
from monitor.quarantine import read_quarantine
from monitor.retry import RetryPolicy
from monitor.store.batches import batch_history, find_batch
from monitor.store.verdicts import verdict_history
from tests.helpers.gate import (
    ORDER_TYPES,
    checksum,
    config_for,
    daily_orders,
    spec,
    suite_of,
    table_frame,
)
from tests.helpers.warehouses import WarehouseUnderTest, sqlite_warehouse

END = dt.date(2026, 3, 9)
NOW = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
HISTORY = daily_orders(END, 35, per_day=40)
SUITE = suite_of("orders", [
    spec("column_values_to_not_be_null", column="customer_id"),
    spec("column_values_to_be_between", column="amount", min_value=0, max_value=1000),
    spec("column_values_to_be_in_set", column="status", value_set=["paid", "shipped"],
         severity="warning"),
    spec("column_values_to_be_unique", column="order_id"),
])
TABLE = {"name": "orders", "table": "orders", "timestamp_column": "created_at",
         "bucket": "day", "suites": ["orders"], "thresholds": {"freshness_sla": "26h"}}
NO_RETRY = RetryPolicy(attempts=1)


@pytest.fixture
def ctx(wh: WarehouseUnderTest, tmp_path: Path) -> MonitorContext:
    wh.create_table("orders", ORDER_TYPES, HISTORY)
    config = config_for(wh, tmp_path, [dict(TABLE)], suites={"orders": SUITE})
    return MonitorContext(config, clock=lambda: NOW)


def batch(n: int = 40, *, first: int = 10_000, seed: int = 5, **broken: Any) -> pd.DataFrame:
    """A batch of new orders stamped in the hours before NOW; ``broken`` injects problems."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "order_id": np.arange(first, first + n),
        "customer_id": rng.integers(1, 500, n).astype(object),
        "amount": np.round(rng.uniform(1, 200, n), 2),
        "status": rng.choice(["paid", "shipped"], n),
        "created_at": [(NOW - dt.timedelta(minutes=30 + 7 * i)).strftime("%Y-%m-%d %H:%M:%S")
                       for i in range(n)]})
    for i in broken.get("null_customer", []):
        frame.loc[i, "customer_id"] = None
    for i in broken.get("bad_amount", []):
        frame.loc[i, "amount"] = -5.0 if i % 2 else 5000.0
    return frame


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    return path


def target(ctx: MonitorContext, wh: WarehouseUnderTest) -> tuple[int, str]:
    return checksum(wh.engine, "orders", wh.schema)


class TestPublish:
    def test_a_clean_batch_is_published_with_its_lineage(self, ctx, wh, tmp_path) -> None:
        frame = batch()
        path = write(frame, tmp_path / "clean.csv")
        before = target(ctx, wh)

        result = ingest_file(path, "orders", context=ctx)

        after = table_frame(wh.engine, "orders", wh.schema)
        assert result.status == "published"
        assert result.exit_code == 0
        assert (result.rows_in, result.rows_published, result.rows_quarantined) == (40, 40, 0)
        assert len(after) == before[0] + 40
        assert set(after["order_id"]) - {r["order_id"] for r in HISTORY} == set(
            frame["order_id"])
        record = find_batch(ctx.store, "orders", result.content_hash)
        assert (record.status, record.rows_published, record.source_file) == (
            "published", 40, str(path))
        assert verdict_history(ctx.store, "orders")[0]["batch_id"] == result.batch_id
        assert ledger_entry(wh.warehouse(), wh.schema, result.batch_id)["rows_published"] == 40

    def test_ingesting_the_same_file_again_is_a_no_op(self, ctx, wh, tmp_path) -> None:
        path = write(batch(), tmp_path / "clean.jsonl")
        ingest_file(path, "orders", context=ctx)
        before = target(ctx, wh)

        again = ingest_file(path, "orders", context=ctx)

        assert again.status == "duplicate"
        assert again.rows_published == 0
        assert target(ctx, wh) == before
        assert len(batch_history(ctx.store, "orders")) == 1

    def test_the_ledger_makes_a_retry_a_no_op_even_without_the_store(self, ctx, wh,
                                                                     tmp_path) -> None:
        path = write(batch(), tmp_path / "clean.csv")
        first = ingest_file(path, "orders", context=ctx)
        other = MonitorContext(ctx.config.model_copy(update={
            "store": f"sqlite:///{tmp_path / 'fresh.db'}"}), clock=lambda: NOW)
        before = target(ctx, wh)

        again = ingest_file(path, "orders", context=other)

        assert again.status == "duplicate"
        assert target(ctx, wh) == before
        assert find_batch(other.store, "orders", first.content_hash).status == "published"


class TestBlock:
    @pytest.mark.parametrize(("name", "broken", "reason"), [
        ("spike.csv", {"null_customer": range(14)}, "values_to_not_be_null(customer_id)"),
        ("range.jsonl", {"bad_amount": [3, 4, 9]}, "values_to_be_between(amount)"),
    ])
    def test_a_bad_batch_is_blocked_and_the_target_unchanged(self, ctx, wh, tmp_path, name,
                                                             broken, reason) -> None:
        path = write(batch(**broken), tmp_path / name)
        before = target(ctx, wh)

        result = ingest_file(path, "orders", context=ctx)

        assert result.status == "blocked"
        assert result.exit_code == 1
        assert target(ctx, wh) == before
        assert [c.check for c in result.gate.blocking] == [f"suite:orders:{reason}"]
        assert find_batch(ctx.store, "orders", result.content_hash).status == "blocked"
        assert ledger_entry(wh.warehouse(), wh.schema, result.batch_id) is None

    def test_a_small_batch_is_blocked_on_volume(self, ctx, wh, tmp_path) -> None:
        path = write(batch(8), tmp_path / "small.parquet")
        before = target(ctx, wh)

        result = ingest_file(path, "orders", context=ctx)

        assert [c.reason for c in result.gate.blocking] == [
            "8 rows, under 50% of the usual 40 (median of 10 days of the target table)"]
        assert target(ctx, wh) == before

    def test_a_stale_batch_is_blocked_on_freshness(self, ctx, wh, tmp_path) -> None:
        frame = batch()
        frame["created_at"] = "2026-03-01 10:00:00"
        result = ingest_file(write(frame, tmp_path / "old.csv"), "orders", context=ctx)
        assert [c.check for c in result.gate.blocking] == ["freshness"]


class TestPublishGood:
    def test_exactly_the_failing_rows_land_in_quarantine_with_reasons(self, ctx, wh,
                                                                      tmp_path) -> None:
        frame = batch(null_customer=[1, 5, 9], bad_amount=[5, 20, 33])
        path = write(frame, tmp_path / "mixed.csv")
        before = table_frame(wh.engine, "orders", wh.schema)

        result = ingest_file(path, "orders", context=ctx, mode="publish_good")

        # The oracle: pandas picks the failing rows of the file.
        failing = frame[frame["customer_id"].isna() | ~frame["amount"].between(0, 1000)]
        quarantined = read_quarantine(wh.warehouse(), wh.warehouse().describe(
            "orders", wh.schema), result.batch_id)
        after = table_frame(wh.engine, "orders", wh.schema)
        assert result.status == "partially_published"
        assert (result.rows_published, result.rows_quarantined) == (35, 5)
        assert sorted(quarantined["order_id"]) == sorted(failing["order_id"])
        assert set(after["order_id"]) - set(before["order_id"]) == set(
            frame["order_id"]) - set(failing["order_id"])
        reasons = dict(zip(quarantined["order_id"], quarantined["dq_reason"], strict=True))
        assert reasons[frame.loc[5, "order_id"]] == (
            "values_to_not_be_null(customer_id) (customer_id=None); "
            "values_to_be_between(amount) (amount=-5.0)")
        assert reasons[frame.loc[1, "order_id"]] == (
            "values_to_not_be_null(customer_id) (customer_id=None)")
        assert quarantined["dq_row_number"].tolist() == sorted(
            int(i) + 1 for i in failing.index)
        assert quarantined["dq_quarantined_at"].notna().all()

    def test_values_that_do_not_convert_are_quarantined_with_the_raw_row(self, ctx, wh,
                                                                         tmp_path) -> None:
        frame = batch().astype({"amount": object})
        frame.loc[2, "amount"] = "n/a"
        path = write(frame, tmp_path / "typo.csv")

        strict = ingest_file(path, "orders", context=ctx)
        lenient = ingest_file(path, "orders", context=ctx, mode="publish_good")

        assert strict.status == "blocked"
        assert f"{path} line 4: amount: 'n/a' is not a number" in strict.gate.blocking[0].reason
        assert (lenient.rows_published, lenient.rows_quarantined) == (39, 1)
        [row] = read_quarantine(wh.warehouse(), wh.warehouse().describe("orders", wh.schema),
                                lenient.batch_id).to_dict("records")
        assert row["dq_reason"] == f"{path} line 4: amount: 'n/a' is not a number"
        assert '"amount": "n/a"' in row["dq_raw"]
        assert row["order_id"] == frame.loc[2, "order_id"]

    def test_a_batch_level_failure_still_blocks(self, ctx, wh, tmp_path) -> None:
        frame = batch(null_customer=[0])
        frame.loc[3, "order_id"] = frame.loc[4, "order_id"]  # duplicates: not row-level
        before = target(ctx, wh)

        result = ingest_file(write(frame, tmp_path / "dups.csv"), "orders", context=ctx,
                             mode="publish_good")

        assert result.status == "blocked"
        assert target(ctx, wh) == before
        assert [c.check for c in result.gate.blocking] == [
            "suite:orders:values_to_be_unique(order_id)"]


def _kill(wh: WarehouseUnderTest):
    """A checkpoint that kills the publishing connection once, before it commits."""
    state = {"killed": 0}

    def checkpoint(stage: str, conn: sa.Connection | None) -> None:
        if stage != "before_commit" or state["killed"]:
            return
        state["killed"] += 1
        driver = conn.connection.driver_connection
        if wh.kind == "postgresql":
            with wh.engine.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                              {"pid": driver.info.backend_pid})
                other.commit()
        else:
            driver.close()

    return checkpoint, state


class TestCrash:
    def test_a_killed_connection_leaves_the_target_unchanged_and_a_retry_completes(
            self, ctx, wh, tmp_path) -> None:
        frame = batch()
        path = write(frame, tmp_path / "clean.csv")
        before = target(ctx, wh)
        checkpoint, state = _kill(wh)

        with pytest.raises(MonitorError):
            ingest_file(path, "orders", context=ctx, checkpoint=checkpoint, retry=NO_RETRY)

        assert state["killed"] == 1
        assert target(ctx, wh) == before
        [failed] = batch_history(ctx.store, "orders")
        assert failed.status == "failed"
        assert failed.error
        retried = ingest_file(path, "orders", context=ctx, checkpoint=checkpoint)
        assert retried.status == "published"
        assert retried.rows_published == 40
        assert target(ctx, wh)[0] == before[0] + 40
        assert not sa.inspect(wh.engine).get_table_names(schema=wh.schema).count(
            "orders__dq_staging_" + retried.batch_id[:12])

    def test_transient_failures_are_retried_inside_one_call(self, ctx, wh, tmp_path) -> None:
        if wh.kind != "postgresql":
            pytest.skip("closing a SQLite connection is not a transient error")
        checkpoint, state = _kill(wh)

        result = ingest_file(write(batch(), tmp_path / "clean.csv"), "orders", context=ctx,
                             checkpoint=checkpoint,
                             retry=RetryPolicy(attempts=3, base_delay=0, max_delay=0))

        assert state["killed"] == 1
        assert result.status == "published"


class TestMalformedInputs:
    @pytest.mark.parametrize(("content", "words"), [
        (b"", "0 bytes"),
        (b"   \n", "only whitespace"),
        (b"order_id,customer_id,amount\n1,2,3\n4,5", "a truncated file"),
        (b"order_id;customer_id;amount\n1;2;3\n", "';'-separated"),
    ])
    def test_unreadable_files_are_clear_errors_and_publish_nothing(
            self, ctx, wh, tmp_path, content, words) -> None:
        path = tmp_path / "bad.csv"
        path.write_bytes(content)
        before = target(ctx, wh)

        with pytest.raises(InputError, match=words):
            ingest_file(path, "orders", context=ctx)

        assert target(ctx, wh) == before

    def test_text_where_numbers_are_expected_blocks_before_loading(self, ctx, wh,
                                                                  tmp_path) -> None:
        frame = batch().astype({"amount": object})
        frame["amount"] = "lots"
        before = target(ctx, wh)

        result = ingest_file(write(frame, tmp_path / "text.csv"), "orders", context=ctx,
                             mode="publish_good")

        assert result.status == "blocked"
        assert target(ctx, wh) == before
        assert [c.check for c in result.gate.blocking] == ["schema:amount"]

    def test_a_byte_order_mark_is_published(self, ctx, wh, tmp_path) -> None:
        path = tmp_path / "bom.csv"
        path.write_bytes(b"\xef\xbb\xbf" + batch().to_csv(index=False).encode())
        assert ingest_file(path, "orders", context=ctx).status == "published"


class TestCli:
    def test_exit_codes(self, tmp_path: Path, capsys) -> None:
        wh = sqlite_warehouse(tmp_path)
        wh.create_table("orders", ORDER_TYPES, HISTORY)
        config_for(wh, tmp_path, [dict(TABLE, thresholds={})], suites={"orders": SUITE})
        args = ["--config", str(tmp_path / "monitor.yaml"), "ingest"]
        good = write(batch(), tmp_path / "good.csv")
        bad = write(batch(first=20_000, null_customer=range(20)), tmp_path / "bad.csv")
        empty = tmp_path / "empty.csv"
        empty.write_bytes(b"")

        assert main([*args, str(good), "--into", "orders"]) == 0
        assert main([*args, str(good), "--into", "orders"]) == 0  # a duplicate
        assert "already ingested" in capsys.readouterr().out
        assert main([*args, str(bad), "--into", "orders", "--format", "json"]) == 1
        assert main([*args, str(empty), "--into", "orders"]) == 2
        assert "0 bytes" in capsys.readouterr().err
        wh.dispose()


class TestDuckDb:
    def test_publish_good_works_on_duckdb_too(self, tmp_path: Path) -> None:
        from tests.helpers.warehouses import duckdb_warehouse

        w = duckdb_warehouse(tmp_path)
        w.create_table("orders", ORDER_TYPES, HISTORY)
        config = config_for(w, tmp_path, [dict(TABLE)], suites={"orders": SUITE})
        ctx = MonitorContext(config, clock=lambda: NOW)
        frame = batch(null_customer=[0, 7])
        before = target(ctx, w)

        result = ingest_file(write(frame, tmp_path / "b.csv"), "orders", context=ctx,
                             mode="publish_good")

        assert (result.status, result.rows_published, result.rows_quarantined) == (
            "partially_published", 38, 2)
        assert target(ctx, w)[0] == before[0] + 38
        w.dispose()
