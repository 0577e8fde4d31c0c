"""Quantiles and top-value shares of distribution columns, against numpy and pandas."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.dialects import capabilities_for
from monitor.metrics.distribution import (
    TOP_K,
    interpolate,
    quantile_metrics,
    share_metric,
    share_values,
)
from monitor.metrics.profile import profile_buckets, profile_table
from monitor.metrics.states import QUANTILES
from tests.helpers.statements import record_statements
from tests.helpers.warehouses import WITH_SPARK, WarehouseUnderTest

BASE = dt.datetime(2026, 4, 1)
STATUSES = ["paid"] * 5 + ["shipped"] * 3 + ["failed"] + [f"rare{i}" for i in range(12)]


def _rows(seed: int = 7, days: int = 3, per_day: int = 101) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for d in range(days):
        amounts = np.round(np.exp(rng.normal(3.6 + 0.3 * d, 0.6, per_day)), 2)
        for i in range(per_day):
            out.append({"id": d * per_day + i, "amount": float(amounts[i]) if i % 17 else None,
                        "qty": int(rng.integers(1, 9)),
                        "status": STATUSES[int(rng.integers(0, len(STATUSES)))],
                        "created": BASE + dt.timedelta(days=d, minutes=7 * i)})
    return out


@pytest.fixture
def shop(warehouse: WarehouseUnderTest) -> tuple[WarehouseUnderTest, pd.DataFrame]:
    rows = _rows()
    warehouse.create_table("shop", {"id": sa.BigInteger(), "amount": sa.Double(),
                                    "qty": sa.Integer(), "status": sa.String(20),
                                    "created": sa.DateTime()}, rows)
    return warehouse, pd.DataFrame(rows)


def _oracle_quantiles(values: pd.Series) -> dict[str, float]:
    present = values.dropna().to_numpy(dtype=float)
    return {name: float(np.quantile(present, q)) for name, q in QUANTILES.items()}


def _oracle_shares(frame: pd.DataFrame) -> dict[str, float]:
    counts = frame["status"].value_counts()
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_K]
    return {value: count / len(frame) for value, count in top}


class TestProfileBuckets:
    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    def test_quantiles_and_shares_per_bucket_match_numpy(
            self, shop: tuple[WarehouseUnderTest, pd.DataFrame]) -> None:
        warehouse, frame = shop
        table = warehouse.table_config("shop", timestamp_column="created", bucket="day",
                                       distribution_columns=["amount", "qty", "status"])

        buckets = profile_buckets(warehouse.warehouse(), table, distinct="exact")

        assert len(buckets) == 3
        for bucket in buckets:
            day = frame[frame["created"].dt.date == bucket.start.date()]
            for column in ("amount", "qty"):
                got = {k: bucket.columns[column][k] for k in QUANTILES}
                assert got == pytest.approx(_oracle_quantiles(day[column]), rel=1e-9)
            assert share_values(bucket.columns["status"]) == pytest.approx(
                _oracle_shares(day), rel=1e-12)
            assert "p50" not in bucket.columns["id"]  # not a distribution column

    def test_a_short_range_gets_them_too(
            self, shop: tuple[WarehouseUnderTest, pd.DataFrame]) -> None:
        warehouse, frame = shop
        table = warehouse.table_config("shop", timestamp_column="created", bucket="day",
                                       distribution_columns=["amount", "status"])

        buckets = profile_buckets(warehouse.warehouse(), table,
                                  start=dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
                                  end=dt.datetime(2026, 4, 3, tzinfo=dt.UTC))

        day = frame[frame["created"].dt.date == dt.date(2026, 4, 2)]
        assert [b.start.day for b in buckets] == [2]
        assert buckets[0].columns["amount"]["p95"] == pytest.approx(
            _oracle_quantiles(day["amount"])["p95"], rel=1e-9)
        assert share_values(buckets[0].columns["status"]) == pytest.approx(_oracle_shares(day))

    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    def test_the_statements_it_costs(
            self, shop: tuple[WarehouseUnderTest, pd.DataFrame]) -> None:
        warehouse, _ = shop
        table = warehouse.table_config("shop", timestamp_column="created", bucket="day",
                                       distribution_columns=["amount", "status"])
        engine = warehouse.warehouse()
        in_plan = engine.capabilities.quantiles_in_plan

        with record_statements(engine.engine) as log:
            profile_buckets(engine, table, distinct="off")

        # The plan's scan and the top values; a ranked read where the plan cannot.
        assert len(log.statements) - log.count("session") - log.count("catalog") == (
            2 if in_plan else 3), log.statements


class TestProfileTable:
    @pytest.mark.parametrize("warehouse", WITH_SPARK, indirect=True)
    def test_quantiles_and_shares_of_the_whole_table(
            self, shop: tuple[WarehouseUnderTest, pd.DataFrame]) -> None:
        warehouse, frame = shop
        table = warehouse.table_config("shop", distribution_columns=["amount", "status"])

        profile = profile_table(warehouse.warehouse(), table, distinct="exact")

        got = {k: profile.columns["amount"].metrics[k] for k in QUANTILES}
        assert got == pytest.approx(_oracle_quantiles(frame["amount"]), rel=1e-9)
        assert share_values(profile.columns["status"].metrics) == pytest.approx(
            _oracle_shares(frame))
        assert profile.to_dict()["columns"]["amount"]["p50"] == got["p50"]


class TestInterpolate:
    @pytest.mark.parametrize("n", [1, 2, 3, 10, 101, 1000])
    def test_matches_numpy_linear(self, n: int) -> None:
        values = np.sort(np.random.default_rng(n).normal(size=n))
        ranked = {i + 1: float(v) for i, v in enumerate(values)}

        got = [interpolate(ranked, n, round(q * 100)) for q in QUANTILES.values()]

        assert got == pytest.approx(np.quantile(values, list(QUANTILES.values())), rel=1e-12)


class TestShareMetric:
    def test_short_values_are_spelled_out(self) -> None:
        assert share_metric(True) == "share:True"

    def test_long_values_are_cut_to_the_store_and_stay_apart(self) -> None:
        first, second = share_metric("x" * 80 + "a"), share_metric("x" * 80 + "b")

        assert len(first) == len(second) == 64
        assert first != second


class TestQuantileMetrics:
    def test_in_the_plan_only_where_the_engine_has_the_aggregate(self) -> None:
        from monitor.config.models import TableConfig

        table = TableConfig(name="t", warehouse="w", table="t",
                            distribution_columns=["amount", "status"])
        kinds = {"amount": "float", "status": "string"}

        duck = quantile_metrics(table, kinds, capabilities_for("duckdb"))
        lite = quantile_metrics(table, kinds, capabilities_for("sqlite"))

        assert [m.name for m in duck] == list(QUANTILES)
        assert {m.column for m in duck} == {"amount"}
        assert lite == []
