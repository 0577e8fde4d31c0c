"""``metrics:`` entries of a table: names, one SELECT, the one placeholder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from monitor.config.custom_metrics import CustomMetric, one_select
from monitor.config.models import MonitorConfig, parse_config
from monitor.errors import ConfigError


def config_with(metrics: list[dict[str, Any]], tmp_path: Path, **table: Any) -> MonitorConfig:
    return parse_config({"store": "sqlite:///:memory:",
                         "warehouses": {"w": "sqlite:///:memory:"},
                         "tables": [{"name": "orders", "warehouse": "w", "table": "orders",
                                     "metrics": metrics, **table}]},
                        source="monitor.yaml", base_dir=tmp_path)


class TestCustomMetric:
    def test_stored_under_a_prefix(self) -> None:
        # Arrange / Act
        metric = CustomMetric(name="refund_share",
                              sql="-- share\nWITH r AS (select 1 x) select avg(x) from r;")

        # Assert
        assert (metric.metric, metric.uses_bucket_filter) == ("custom_refund_share", False)

    @pytest.mark.parametrize(("name", "sql", "message"), [
        ("Refund Share", "select 1", "String should match pattern"),
        ("x", "update orders set a = 1", "one SELECT"),
        ("x", "select 1; drop table orders", "one statement"),
        ("x", "select 1 where {table_filter}", "unknown placeholder {table_filter}"),
    ])
    def test_problems(self, name: str, sql: str, message: str) -> None:
        # Arrange / Act / Assert
        with pytest.raises(ValueError, match=message):
            CustomMetric(name=name, sql=sql)


class TestOneSelect:
    def test_a_comment_does_not_hide_a_write(self) -> None:
        # Arrange / Act / Assert
        with pytest.raises(ValueError, match="got 'delete ...'"):
            one_select("/* select */ delete from orders")


class TestTableMetrics:
    def test_names_are_unique_and_the_filter_needs_a_timestamp(self, tmp_path: Path) -> None:
        # Arrange
        metrics = [{"name": "a", "sql": "select 1"}, {"name": "a", "sql": "select 2"},
                   {"name": "b", "sql": "select count(*) from orders where {bucket_filter}"}]

        # Act
        with pytest.raises(ConfigError) as caught:
            config_with(metrics, tmp_path)

        # Assert
        text = str(caught.value)
        assert "metrics[1].name" in text
        assert "'a' is defined twice" in text
        assert "{bucket_filter} needs 'timestamp_column'" in text

    def test_parsed(self, tmp_path: Path) -> None:
        # Arrange / Act
        config = config_with([{"name": "n", "sql": "select count(*) from orders "
                                                   "where {bucket_filter}"}],
                             tmp_path, timestamp_column="ts")

        # Assert
        assert [m.name for m in config.table("orders").metrics] == ["n"]
