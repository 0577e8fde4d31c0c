"""Two real warehouses holding a source and a target copy of ``orders``, and their oracle.

Pairs: SQLite/SQLite, DuckDB/DuckDB, PostgreSQL/PostgreSQL, MariaDB/MariaDB, and the
cross-warehouse PostgreSQL staging vs DuckDB mart; the oracle tests of counts, sums,
key hashes and key diffs also run PostgreSQL staging vs a Spark lake (``WITH_SPARK``).
The target lacks some keys, has extra ones and other amounts for some; pandas
computes what the reconciliation must find.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.run.context import MonitorContext
from tests.helpers.contexts import make_config
from tests.helpers.postgres import require_postgres
from tests.helpers.warehouses import WarehouseUnderTest, warehouse_of

PAIRS = (("sqlite", "sqlite"), ("duckdb", "duckdb"), ("postgresql", "postgresql"),
         ("mariadb", "mariadb"), ("postgresql", "duckdb"))
#: PAIRS and a Spark side, for a test to ``parametrize("pair", WITH_SPARK, indirect=True)``
#: (the tests' shared Spark session, tests/helpers/spark.py).
WITH_SPARK = (*PAIRS, ("postgresql", "spark"))
SPARK_IDS = ["-".join(p) for p in WITH_SPARK]
COLUMNS = {"order_id": sa.Integer(), "amount": sa.Double(), "created_at": sa.DateTime()}
START = dt.datetime(2026, 3, 1)


@dataclass
class Pair:
    """The source and target warehouses, their frames, and a context to reconcile in."""

    source: WarehouseUnderTest
    target: WarehouseUnderTest
    tmp: Path
    source_frame: pd.DataFrame | None = None
    target_frame: pd.DataFrame | None = None

    def load(self, source: pd.DataFrame, target: pd.DataFrame) -> None:
        for wh, frame in ((self.source, source), (self.target, target)):
            wh.create_table("orders", COLUMNS, frame.to_dict("records"))
        self.source_frame, self.target_frame = source, target

    def entry(self, **overrides: Any) -> dict[str, Any]:
        side = {"table": "orders"}
        return {"name": "orders_mart",
                "source": {**side, "warehouse": "src",
                           **({"schema": self.source.schema} if self.source.schema else {})},
                "target": {**side, "warehouse": "tgt",
                           **({"schema": self.target.schema} if self.target.schema else {})},
                "timestamp_column": "created_at", "bucket": "day", "sums": ["amount"],
                "key": ["order_id"], **overrides}

    def context(self, **overrides: Any) -> MonitorContext:
        config = make_config(self.tmp, warehouses={"src": self.source.url,
                                                   "tgt": self.target.url},
                             tables=[], reconcile=[self.entry(**overrides)])
        return MonitorContext(config, clock=lambda: dt.datetime(2026, 3, 9, 6, tzinfo=dt.UTC))


def orders_frame(rows: int, seed: int = 7) -> pd.DataFrame:
    """``rows`` orders over 5 days, ids with gaps, amounts with 2 decimals."""
    rng = np.random.default_rng(seed)
    ids = np.sort(rng.choice(np.arange(1, rows * 3), size=rows, replace=False))
    return pd.DataFrame({
        "order_id": ids.astype(int),
        "amount": np.round(rng.uniform(1, 500, rows), 2),
        "created_at": [START + dt.timedelta(minutes=int(m))
                       for m in rng.integers(0, 5 * 24 * 60, rows)]})


def drifted(frame: pd.DataFrame, *, missing: int = 3, extra: int = 2, changed: int = 2,
            seed: int = 11) -> pd.DataFrame:
    """The target: ``missing`` keys dropped, ``extra`` new keys, ``changed`` amounts."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    dropped = rng.choice(out.index, size=missing, replace=False)
    rest = out.drop(index=dropped)
    pick = rng.choice(rest.index, size=changed, replace=False)
    rest.loc[pick, "amount"] = rest.loc[pick, "amount"] + 1.25
    if not extra:
        return rest.reset_index(drop=True)
    top = int(frame["order_id"].max())
    new = pd.DataFrame({"order_id": [top + 10 + i for i in range(extra)],
                        "amount": [9.99] * extra, "created_at": [START] * extra})
    return pd.concat([rest, new], ignore_index=True)


def _warehouse(kind: str, tmp: Path, name: str, stack: ExitStack) -> WarehouseUnderTest:
    if kind == "sqlite":
        wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp / (name + '.db')}", name=name)
    elif kind == "duckdb":
        wh = WarehouseUnderTest("duckdb", f"duckdb:///{tmp / (name + '.duckdb')}", name=name)
    else:
        if kind == "postgresql":
            require_postgres()
        wh = stack.enter_context(warehouse_of(kind, tmp))
        wh.name = name
    stack.callback(wh.dispose)
    return wh


@pytest.fixture(params=PAIRS, ids=["-".join(p) for p in PAIRS])
def pair(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pair]:
    """A source and a target warehouse (empty); ``pair.load`` fills them."""
    with ExitStack() as stack:
        source_kind, target_kind = request.param
        yield Pair(_warehouse(source_kind, tmp_path, "src", stack),
                   _warehouse(target_kind, tmp_path, "tgt", stack), tmp_path)


def oracle_buckets(frame: pd.DataFrame) -> dict[dt.datetime, tuple[int, float]]:
    """pandas: rows and sum of amount per day."""
    days = frame["created_at"].dt.floor("D")
    grouped = frame.groupby(days)["amount"].agg(["count", "sum"])
    return {ts.to_pydatetime(): (int(r["count"]), float(r["sum"]))
            for ts, r in grouped.iterrows()}


def oracle_keys(source: pd.DataFrame, target: pd.DataFrame
                ) -> tuple[set[int], set[int], set[int]]:
    """pandas: keys missing in the target, extra in it, and with another amount."""
    merged = source.merge(target, on="order_id", how="outer", suffixes=("_s", "_t"),
                          indicator=True)
    missing = set(merged.loc[merged["_merge"] == "left_only", "order_id"])
    extra = set(merged.loc[merged["_merge"] == "right_only", "order_id"])
    both = merged[merged["_merge"] == "both"]
    changed = set(both.loc[(both["amount_s"] - both["amount_t"]).abs() > 0.005, "order_id"])
    return missing, extra, changed
