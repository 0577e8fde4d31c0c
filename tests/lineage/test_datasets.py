"""Datasets named as OpenLineage names them, and the facts a run found on them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.gate.checks import GateCheck
from monitor.lineage.datasets import (
    Assertion,
    assertions_from,
    assertions_from_checks,
    describe_frame,
    file_dataset,
    table_dataset,
)
from monitor.run.findings import Finding

AT = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


class TestTableDataset:
    def test_a_server_table_is_named_by_host_port_and_database_without_credentials(self):
        # Arrange
        url = "postgresql+psycopg://etl:S3cr3t@db.internal:6432/shop"

        # Act
        dataset = table_dataset(url, "sales", "orders")

        # Assert
        assert (dataset.namespace, dataset.name) == ("postgres://db.internal:6432",
                                                     "shop.sales.orders")
        assert "S3cr3t" not in dataset.namespace + dataset.name

    def test_a_file_database_is_named_by_its_path(self, tmp_path: Path):
        dataset = table_dataset(f"sqlite:///{tmp_path / 'wh.db'}", None, "orders")

        assert (dataset.namespace, dataset.name) == (f"sqlite://{tmp_path / 'wh.db'}",
                                                     "orders")

    def test_mariadb_is_in_the_mysql_namespace(self):
        dataset = table_dataset("mariadb+pymysql://root@127.0.0.1:3306/test", None, "t")

        assert dataset.namespace == "mysql://127.0.0.1:3306"


class TestFileDataset:
    def test_a_file_is_in_the_file_namespace_by_absolute_path(self, tmp_path: Path,
                                                              monkeypatch):
        monkeypatch.chdir(tmp_path)

        dataset = file_dataset("in/orders.csv")

        assert (dataset.namespace, dataset.name) == ("file", str(tmp_path / "in/orders.csv"))


class TestDescribeFrame:
    def test_metrics_match_pandas(self):
        # Arrange
        rng = np.random.default_rng(4)
        frame = pd.DataFrame({"id": np.arange(30), "amount": rng.uniform(0, 9, 30),
                              "status": rng.choice(["a", "b", None], 30)})
        frame.loc[[3, 7], "amount"] = np.nan
        dataset = file_dataset("x.csv")

        # Act
        describe_frame(dataset, frame)

        # Assert: the oracle is pandas on the same frame
        assert dataset.row_count == 30
        amount = dataset.columns["amount"]
        assert amount["nullCount"] == 2
        assert amount["distinctCount"] == frame["amount"].nunique()
        assert amount["min"] == frame["amount"].min()
        assert amount["max"] == frame["amount"].max()
        status = dataset.columns["status"]
        assert status == {"nullCount": int(frame["status"].isna().sum()),
                          "distinctCount": frame["status"].nunique()}  # no min/max of text
        assert dataset.fields[0] == ("id", str(frame["id"].dtype))


class TestAssertionsFrom:
    def test_expectations_by_type_checks_by_key_and_run_findings_left_out(self):
        # Arrange
        findings = [
            Finding("orders", "suite:s:k1", "expectation", "critical", True, AT, "nulls",
                    metric="expect_column_values_to_not_be_null", column="customer_id"),
            Finding("orders", "volume:row_count", "anomaly", "warning", False, AT, "ok",
                    metric="row_count"),
            Finding("orders", "suite:s", "run", "info", False, AT, "loads"),
        ]

        # Act
        assertions = assertions_from(findings)

        # Assert
        assert assertions == [
            Assertion("expect_column_values_to_not_be_null", False, "customer_id"),
            Assertion("volume:row_count", True, None)]


class TestAssertionsFromChecks:
    def test_gate_checks_split_into_name_and_column_unjudged_left_out(self):
        checks = [GateCheck("suite:orders:values_to_not_be_null(customer_id)", False,
                            "critical", "2 nulls"),
                  GateCheck("volume", True, "critical", "ok"),
                  GateCheck("freshness", True, "critical", "no SLA", judged=False)]

        assertions = assertions_from_checks(checks)

        assert assertions == [Assertion("values_to_not_be_null", False, "customer_id"),
                              Assertion("volume", True, None)]
