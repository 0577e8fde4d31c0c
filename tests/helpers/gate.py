"""Helpers for the suite, gate and ingestion tests: data, suites, checksums, configs."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from monitor.config.models import MonitorConfig, parse_config
from monitor.validation.suites import ExpectationSpec, Suite
from tests.helpers.warehouses import WarehouseUnderTest, postgres_warehouse

FACT_TYPES = {"id": sa.BigInteger(), "grp": sa.BigInteger(), "amount": sa.Double(),
              "qty": sa.Integer(), "code": sa.String(20), "status": sa.String(20)}


def fact_rows(n: int = 200, seed: int = 3) -> list[dict[str, Any]]:
    """Rows with nulls, duplicates, out-of-range values and odd strings, reproducibly."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        amount = None if rng.random() < 0.1 else float(np.round(rng.normal(50, 30), 2))
        code = None if rng.random() < 0.15 else rng.choice(
            ["A1", "A12", "A123", "B7", "A1Z", "AAAA", "A99"])
        rows.append({"id": i + 1, "grp": int(rng.integers(0, 40)), "amount": amount,
                     "qty": int(rng.integers(0, 12)), "code": None if code is None else str(code),
                     "status": str(rng.choice(["a", "b", "c", "c", "d"]))})
    return rows


def spec(kind: str, suite: str = "s", severity: str = "critical", index: int = 0,
         **kwargs: Any) -> ExpectationSpec:
    return ExpectationSpec(suite=suite, type=f"expect_{kind}", kwargs=kwargs,
                           severity=severity, index=index)  # type: ignore[arg-type]


def suite_of(name: str, specs: Sequence[ExpectationSpec]) -> Suite:
    from dataclasses import replace

    return Suite(name=name, expectations=tuple(replace(s, suite=name, index=i)
                                               for i, s in enumerate(specs)))


def table_frame(engine: sa.Engine, table: str, schema: str | None = None) -> pd.DataFrame:
    query = sa.select(sa.text("*")).select_from(sa.table(table, schema=schema))
    with engine.connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def checksum(engine: sa.Engine, table: str, schema: str | None = None) -> tuple[int, str]:
    """(row count, hash of the rows sorted) of a table, computed in pandas."""
    frame = table_frame(engine, table, schema)
    text = frame.astype(str).sort_values(list(frame.columns)).to_csv(index=False)
    return len(frame), hashlib.sha256(text.encode()).hexdigest()


#: The shared PostgreSQL warehouse helper, under the name these tests use.
pg_warehouse_under_test = postgres_warehouse


def config_for(wh: WarehouseUnderTest, tmp: Path, tables: list[dict[str, Any]], *,
               suites: dict[str, Suite] | None = None, store: str | None = None,
               **top: Any) -> MonitorConfig:
    """A config with one warehouse ``wh`` and suite files written into ``tmp/expectations``."""
    folder = tmp / "expectations"
    folder.mkdir(parents=True, exist_ok=True)
    import json

    for name, suite in (suites or {}).items():
        (folder / f"{name}.json").write_text(json.dumps(
            {"name": name, "expectations": [s.to_gx() for s in suite.expectations],
             "meta": {}, "notes": None}))
    for table in tables:
        table.setdefault("warehouse", wh.name)
        if wh.schema:
            table.setdefault("schema", wh.schema)
    raw = {"store": store or f"sqlite:///{tmp / 'metrics.db'}",
           "warehouses": {wh.name: wh.url}, "tables": tables, **top}
    (tmp / "monitor.yaml").write_text(json.dumps(raw))  # JSON is YAML: for CLI tests
    return parse_config(raw, base_dir=tmp, source=str(tmp / "monitor.yaml"))


ORDER_TYPES = {"order_id": sa.Integer(), "customer_id": sa.Integer(), "amount": sa.Double(),
               "status": sa.String(20), "created_at": sa.DateTime()}


def daily_orders(end: Any, days: int, per_day: Any = 40, *, null_share_last: float = 0.0,
                 seed: int = 1) -> list[dict[str, Any]]:
    """Orders over ``days`` days ending on the date ``end``; ``per_day(date)`` or a number."""
    import datetime as dt

    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for d in range(days):
        day = end - dt.timedelta(days=days - 1 - d)
        n = per_day(day) if callable(per_day) else per_day
        for j in range(n):
            last = d == days - 1
            rows.append({"order_id": len(rows) + 1,
                         "customer_id": None if last and j < n * null_share_last
                         else int(rng.integers(1, 500)),
                         "amount": float(np.round(rng.uniform(1, 200), 2)),
                         "status": str(rng.choice(["paid", "shipped"])),
                         "created_at": dt.datetime(day.year, day.month, day.day, 8)
                         + dt.timedelta(minutes=int(j * 600 / max(n, 1)))})
    return rows
