"""The portable fingerprint expressions: every engine computes what Python computes."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.errors import ConfigError
from monitor.reconcile.plan import key_hash_python, run_query, scaled_python, side_plan
from tests.reconcile.conftest import SPARK_IDS, WITH_SPARK, Pair, orders_frame
from tests.reconcile.test_compare import _plans


class TestKeyHash:
    @pytest.mark.parametrize("pair", WITH_SPARK, ids=SPARK_IDS, indirect=True)
    def test_each_engine_hashes_keys_as_python_does(self, pair: Pair) -> None:
        frame = orders_frame(50)
        frame.loc[0, "order_id"] = -123_456_789  # negative keys keep the dividend's sign
        frame.loc[1, "order_id"] = 2_000_000_000
        pair.load(frame, frame)
        source, target = _plans(pair)

        for plan in (source, target):
            rows = run_query(plan, sa.select(plan.first_key(), plan.key_hash()), "hashes")

            assert {int(k): int(h) for k, h in rows} == {
                int(k): key_hash_python((int(k),)) for k in frame["order_id"]}


class TestScaled:
    def test_each_engine_scales_values_as_python_does(self, pair: Pair) -> None:
        frame = orders_frame(50)
        pair.load(frame, frame)

        for plan in _plans(pair):
            rows = run_query(plan, sa.select(plan.first_key(), plan.scaled("amount")), "v")

            want = dict(zip(frame["order_id"], (scaled_python(a, 2) for a in frame["amount"]),
                            strict=True))
            assert {int(k): int(v) for k, v in rows} == want


class TestSidePlan:
    def test_a_text_key_is_refused_with_the_entry_and_side(self, pair: Pair) -> None:
        frame = pd.DataFrame({"order_id": [1], "amount": [1.0],
                              "created_at": pd.to_datetime(["2026-03-01"])})
        pair.load(frame, frame)
        ctx = pair.context(key=["created_at"])
        entry = ctx.config.reconciliation("orders_mart")

        with pytest.raises(ConfigError, match="reconcile 'orders_mart', source .*integer"):
            side_plan("source", entry.source, entry, ctx.warehouse("src"))
