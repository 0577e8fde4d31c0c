"""The ingestion scenario of the sample warehouse: good and bad batch files for ``orders``.

Each file holds one day's worth of new orders (fresh ids, stamped in the
last hours) and one problem a pipeline meets, so ``dq-monitor ingest`` can be
seen publishing, blocking and quarantining:

>>> import tempfile
>>> files = write_sample_batches(tempfile.mkdtemp(), first_order_id=1, customers=100)
>>> [(f.path.name, f.expect) for f in files][:2]
[('orders_good.csv', 'published'), ('orders_bom.csv', 'published')]
"""

from __future__ import annotations

import codecs
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.demo.sample import STATUSES
from monitor.demo.segments import SHARES

COLUMNS = ("order_id", "customer_id", "amount", "currency", "status", "discount_code",
           "created_at", "country")


@dataclass(frozen=True)
class SampleBatch:
    """A generated file, what is wrong with it, and what ingesting it should do."""

    path: Path
    description: str
    expect: str  # published | blocked | error


def _orders(rng: np.random.Generator, first_id: int, n: int, customers: int,
            now: dt.datetime, hours: float = 20.0) -> pd.DataFrame:
    seconds = np.sort(rng.uniform(min(3600, hours * 1800), hours * 3600, n))[::-1]
    stamps = [(now - dt.timedelta(seconds=float(s))).strftime("%Y-%m-%d %H:%M:%S")
              for s in seconds]
    codes = [f"SAVE{int(rng.integers(5, 30))}" if rng.random() < 0.1 else None
             for _ in range(n)]
    # A generator of its own: the other columns draw what they drew before countries.
    countries = np.random.default_rng(first_id).choice(list(SHARES), size=n,
                                                       p=list(SHARES.values()))
    return pd.DataFrame({
        "order_id": np.arange(first_id, first_id + n),
        "customer_id": rng.integers(1, customers + 1, n).astype(object),
        "amount": np.round(np.exp(rng.normal(3.6, 0.6, n)), 2),
        "currency": np.where(rng.random(n) < 0.8, "EUR", "USD"),
        "status": [STATUSES[int(i)] for i in rng.integers(0, len(STATUSES), n)],
        "discount_code": codes,
        "created_at": stamps,
        "country": countries,
    }, columns=list(COLUMNS))


def write_sample_batches(folder: str | Path, *, first_order_id: int, customers: int,
                         rows: int = 900, now: dt.datetime | None = None,
                         seed: int = 7, hours: float = 20.0) -> list[SampleBatch]:
    """Write the scenario's files into ``folder`` (order ids from ``first_order_id``).

    Orders are created within the ``hours`` before ``now``.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    now = (now or dt.datetime.now(dt.UTC)).replace(tzinfo=None, microsecond=0)
    rng = np.random.default_rng(seed)
    next_id = first_order_id

    def batch(n: int = rows) -> pd.DataFrame:
        nonlocal next_id
        frame = _orders(rng, next_id, n, customers, now, hours)
        next_id += n
        return frame

    files = []
    good = out / "orders_good.csv"
    batch().to_csv(good, index=False)
    files.append(SampleBatch(good, "a clean day of orders", "published"))

    bom = out / "orders_bom.csv"
    bom.write_bytes(codecs.BOM_UTF8 + batch().to_csv(index=False).encode())
    files.append(SampleBatch(bom, "a clean file that starts with a UTF-8 byte order mark",
                             "published"))

    spike = batch()
    spike.loc[rng.random(len(spike)) < 0.35, "customer_id"] = None
    path = out / "orders_null_spike.csv"
    spike.to_csv(path, index=False)
    files.append(SampleBatch(path, "35% of the orders have no customer_id", "blocked"))

    ranged = batch()
    picks = rng.choice(len(ranged), size=max(1, len(ranged) // 20), replace=False)
    ranged.loc[picks, "amount"] = np.where(rng.random(len(picks)) < 0.5, -25.0, 50_000.0)
    path = out / "orders_out_of_range.jsonl"
    ranged.to_json(path, orient="records", lines=True)
    files.append(SampleBatch(path, "5% of the amounts are negative or 50,000", "blocked"))

    partial = out / "orders_partial.parquet"
    small = batch(max(1, rows // 6))
    small["created_at"] = pd.to_datetime(small["created_at"])
    small.to_parquet(partial, index=False)
    files.append(SampleBatch(partial, "a partial load: a sixth of the usual rows", "blocked"))

    retyped = batch()
    retyped["amount"] = [f"{a:.2f} EUR" for a in retyped["amount"]]
    path = out / "orders_retyped.csv"
    retyped.to_csv(path, index=False)
    files.append(SampleBatch(path, "amount is text ('12.50 EUR'): a retyped column",
                             "blocked"))

    resent = batch()
    resent.loc[:99, "order_id"] = np.arange(first_order_id - 100, first_order_id)
    path = out / "orders_resent.csv"
    resent.to_csv(path, index=False)
    files.append(SampleBatch(path, "100 orders already in the table, sent again", "blocked"))

    text = batch().to_csv(index=False)
    path = out / "orders_truncated.csv"
    path.write_text(text[: int(len(text) * 0.6)].rsplit(",", 2)[0])
    files.append(SampleBatch(path, "the upload stopped in the middle of a row", "error"))
    return files


def sample_batches_for(warehouse_file: str | Path, folder: str | Path, *,
                       now: dt.datetime | None = None, hours: float = 20.0,
                       rows: int = 900) -> list[SampleBatch]:
    """The scenario for a sample warehouse file: ids continue after its newest order."""
    conn = sqlite3.connect(Path(warehouse_file))
    try:
        last_order = conn.execute("SELECT coalesce(max(order_id), 0) FROM orders").fetchone()[0]
        customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    finally:
        conn.close()
    return write_sample_batches(folder, first_order_id=int(last_order) + 1,
                                customers=max(1, int(customers)), now=now, hours=hours,
                                rows=rows)
