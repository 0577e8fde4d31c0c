"""Staging tables, the ledger, and the publish transaction."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.ingest_publish import (
    RowFailure,
    create_staging,
    drop_staging,
    ledger_entry,
    load_staging,
    publish,
    staging_name,
)
from monitor.quarantine import read_quarantine

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
