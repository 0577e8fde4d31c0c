"""Missing, extra and changed keys by bisection on real engines, against pandas."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest

from monitor.reconcile.bisect import diff_keys, split
from monitor.reconcile.plan import side_plan
from tests.helpers.warehouses import WarehouseUnderTest
from tests.reconcile.conftest import SPARK_IDS, WITH_SPARK, Pair, drifted, oracle_keys, orders_frame
from tests.reconcile.test_compare import _plans


class TestDiffKeys:
    @pytest.mark.parametrize("pair", WITH_SPARK, ids=SPARK_IDS, indirect=True)
    def test_finds_the_keys_pandas_finds(self, pair: Pair) -> None:
        source = orders_frame(3_000)
        target = drifted(source, missing=4, extra=3, changed=2)
        pair.load(source, target)

        found = diff_keys(*_plans(pair))

        missing, extra, changed = oracle_keys(source, target)
        assert set(found.missing) == missing
        assert found.missing_count == len(missing)
        assert set(found.extra) == extra
        assert found.extra_count == len(extra)
        assert set(found.changed) == changed
        assert found.changed_count == len(changed)
        assert found.rows_moved < len(source) / 5

    def test_identical_tables_move_no_rows(self, pair: Pair) -> None:
        source = orders_frame(1_000)
        pair.load(source, source)

        found = diff_keys(*_plans(pair))

        assert found.matched
        assert (found.rows_moved, found.queries) == (0, 4)  # bounds and one fingerprint a side

    def test_a_few_keys_in_100k_rows_move_far_fewer_rows(self, tmp_path: Path) -> None:
        source = orders_frame(100_000, seed=3)
        target = drifted(source, missing=5, extra=0, changed=3, seed=5)
        for name, frame in (("src", source), ("tgt", target)):
            with sqlite3.connect(tmp_path / f"{name}.db") as conn:
                frame.assign(created_at=frame["created_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
                             ).to_sql("orders", conn, index=False)
        pair = Pair(WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'src.db'}", name="src"),
                    WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'tgt.db'}", name="tgt"),
                    tmp_path)
        ctx = pair.context()
        entry = ctx.config.reconciliation("orders_mart")

        found = diff_keys(side_plan("source", entry.source, entry, ctx.warehouse("src")),
                          side_plan("target", entry.target, entry, ctx.warehouse("tgt")))

        missing, _, changed = oracle_keys(source, target)
        assert (set(found.missing), set(found.changed)) == (missing, changed)
        assert found.rows_moved < 2_000  # of 200,000 rows on the two sides
        assert found.table_rows == 100_000


class TestSplit:
    def test_covers_the_span_without_gaps(self) -> None:
        parts = split((10, 1_000), 16)
        assert parts[0][0] == 10
        assert parts[-1][1] == 1_000
        assert all(a[1] == b[0] for a, b in itertools.pairwise(parts))
        assert len(parts) == 16
