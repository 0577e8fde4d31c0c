"""The quarantine table: created beside the target, rows per batch replaced, read back."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from monitor.errors import ConfigError
from monitor.ingest.quarantine import (
    ensure_quarantine,
    quarantine_name,
    read_quarantine,
    write_rows,
)

AT = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def target(warehouse):
    warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Float()})
    wh = warehouse.warehouse()
    return wh, wh.describe("orders", warehouse.schema)


class TestWriteRows:
    def test_rows_of_a_batch_are_replaced_and_read_back_in_file_order(self, target) -> None:
        wh, shape = target
        rows = [{"id": 2, "amount": -1.0, "dq_row_number": 5, "dq_reason": "negative"},
                {"id": 1, "amount": None, "dq_row_number": 2, "dq_reason": "null",
                 "dq_raw": '{"amount": "x"}'}]
        with wh.engine.begin() as conn:
            table = ensure_quarantine(conn, shape)
            write_rows(conn, table, "b1", rows, AT)
            write_rows(conn, table, "b2", rows[:1], AT)
        with wh.engine.begin() as conn:
            write_rows(conn, ensure_quarantine(conn, shape), "b1", rows, AT)  # a retry

        frame = read_quarantine(wh, shape)
        only_b1 = read_quarantine(wh, shape, "b1")

        assert len(frame) == 3
        assert only_b1["dq_row_number"].tolist() == [2, 5]
        assert only_b1["dq_reason"].tolist() == ["null", "negative"]
        assert only_b1["dq_raw"].tolist()[0] == '{"amount": "x"}'
        assert {str(v)[:19] for v in only_b1["dq_quarantined_at"]} == {"2026-01-01 12:00:00"}

    def test_no_quarantine_yet_reads_empty(self, target) -> None:
        wh, shape = target
        assert read_quarantine(wh, shape).empty


class TestEnsureQuarantine:
    def test_columns_that_clash_are_a_config_error(self, warehouse) -> None:
        warehouse.create_table("odd", {"dq_reason": sa.String(20)})
        wh = warehouse.warehouse()
        with pytest.raises(ConfigError, match="clash"), wh.engine.begin() as conn:
            ensure_quarantine(conn, wh.describe("odd", warehouse.schema))

    def test_a_foreign_table_of_that_name_is_refused(self, target, warehouse) -> None:
        wh, shape = target
        warehouse.create_table(quarantine_name("orders"), {"id": sa.Integer()})
        with pytest.raises(ConfigError, match="not a dq-monitor quarantine"), \
                wh.engine.begin() as conn:
            ensure_quarantine(conn, shape)
