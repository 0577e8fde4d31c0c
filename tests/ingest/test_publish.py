"""Staging tables, the ledger, and the publish transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.ingest.publish import (
    RowFailure,
    create_staging,
    drop_staging,
    ledger_entry,
    load_staging,
    publish,
    staging_name,
)
from monitor.ingest.quarantine import read_quarantine

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def setup(warehouse):
    warehouse.create_table("orders", {"id": sa.Integer(), "amount": sa.Float(),
                                      "note": sa.String(20)}, [{"id": 0, "amount": 1.0}])
    wh = warehouse.warehouse()
    target = wh.describe("orders", warehouse.schema)
    staging = create_staging(wh, target, staging_name("orders", "b" * 32), ["id", "amount"])
    frame = pd.DataFrame({"id": [1, 2, 3], "amount": [5.0, -1.0, 7.0]}, dtype=object)
    load_staging(wh, staging, frame, [0, 1, 2])
    yield wh, target, staging
    drop_staging(wh, staging)


def _ids(wh, target) -> list[int]:
    with wh.connect() as conn:
        return sorted(conn.execute(sa.select(target.table.c.id)).scalars())


class TestPublish:
    def test_good_rows_to_the_target_failing_ones_to_quarantine(self, setup) -> None:
        wh, target, staging = setup
        negative = RowFailure("amount >= 0", "amount", staging.table.c.amount < 0)

        done = publish(wh, target=target, staging=staging, batch_id="b1", content_hash="h",
                       source="f.csv", rejected=[], failures=[negative], go=True, at=AT)

        assert (done.rows_published, done.rows_quarantined) == (2, 1)
        assert _ids(wh, target) == [0, 1, 3]
        [row] = read_quarantine(wh, target, "b1").to_dict("records")
        assert (row["id"], row["dq_row_number"], row["dq_reason"]) == (
            2, 2, "amount >= 0 (amount=-1.0)")
        assert ledger_entry(wh, target.schema, "b1")["rows_published"] == 2

    def test_the_same_batch_twice_publishes_once(self, setup) -> None:
        wh, target, staging = setup
        kwargs = dict(target=target, staging=staging, batch_id="b1", content_hash="h",
                      source="f.csv", rejected=[], failures=[], go=True, at=AT)
        publish(wh, **kwargs)

        again = publish(wh, **kwargs)

        assert again.duplicate
        assert _ids(wh, target) == [0, 1, 2, 3]

    def test_held_back_batches_only_fill_the_quarantine(self, setup) -> None:
        wh, target, staging = setup
        rejected = [{"id": 9, "dq_row_number": 4, "dq_reason": "amount: 'x' is not a number",
                     "dq_raw": "{}"}]

        done = publish(wh, target=target, staging=staging, batch_id="b1", content_hash="h",
                       source="f.csv", rejected=rejected, failures=[], go=False, at=AT)

        assert (done.rows_published, done.rows_quarantined) == (0, 1)
        assert _ids(wh, target) == [0]
        assert ledger_entry(wh, target.schema, "b1") is None

    def test_staging_names_fit_identifier_limits(self) -> None:
        assert len(staging_name("x" * 80, "0123456789abcdef")) <= 63


class TestWideValues:
    """Staging and quarantine keep the target's own types, and decimals travel as Decimal
    (DuckDB's reflection says only NUMERIC, which would be DECIMAL(18,3))."""

    WIDE = Decimal("1234567890123456789012345678.0123456789")  # 38 digits

    def test_a_38_digit_decimal_survives_staging_publish_and_quarantine(self, warehouse) -> None:
        if warehouse.kind == "sqlite":
            pytest.skip("SQLite keeps decimals as floats; ingest_fit refuses such values first")
        name = f"{warehouse.schema}.wide" if warehouse.schema else "wide"
        warehouse.execute(f"CREATE TABLE {name} (id INTEGER, d DECIMAL(38,10))")
        wh = warehouse.warehouse()
        target = wh.describe("wide", warehouse.schema)
        staging = create_staging(wh, target, staging_name("wide", "w" * 32), ["id", "d"])
        try:
            load_staging(wh, staging, pd.DataFrame({"id": [1, 2], "d": [self.WIDE, -self.WIDE]},
                                                   dtype=object), [0, 1])
            held = RowFailure("d >= 0", "d", staging.table.c.d < 0)
            publish(wh, target=target, staging=staging, batch_id="w1", content_hash="h",
                    source="f.csv", rejected=[], failures=[held], go=True, at=AT)
        finally:
            drop_staging(wh, staging)

        published = _as_text(warehouse, "wide")
        quarantined = _as_text(warehouse, "wide__quarantine")
        assert [Decimal(v) for (v,) in published] == [self.WIDE]
        assert [Decimal(v) for (v,) in quarantined] == [-self.WIDE]


def _as_text(warehouse: Any, table: str) -> list[tuple[str]]:
    """Column ``d`` as text, cast in the engine's own SQL (``CHAR`` on MariaDB)."""
    t = sa.table(table, sa.column("d"), schema=warehouse.schema)
    with warehouse.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(sa.cast(t.c.d, sa.String)))]
