"""File tables in the config: ``table: {path: ..., format: ...}``."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.models import MonitorConfig, parse_config
from monitor.config.sources import TableSource, is_url
from monitor.errors import ConfigError


def config_with(table: object, tmp_path: Path, **extra: object) -> MonitorConfig:
    return parse_config({"store": "sqlite:///:memory:",
                         "warehouses": {"lake": "duckdb:///:memory:"},
                         "tables": [{"name": "orders", "warehouse": "lake", "table": table,
                                     **extra}]},
                        source="monitor.yaml", base_dir=tmp_path)


class TestTableSource:
    def test_relative_path_is_resolved_against_the_config_folder(self, tmp_path: Path) -> None:
        # Arrange / Act
        table = config_with({"path": "landing/orders/", "format": "csv"}, tmp_path).tables[0]

        # Assert
        assert isinstance(table.table, TableSource)
        assert table.table.path == f"{tmp_path.resolve()}/landing/orders/"
        assert (table.relation, table.qualified) == ("orders", table.table.path)

    def test_urls_and_absolute_paths_are_kept(self, tmp_path: Path) -> None:
        # Arrange / Act
        s3 = config_with({"path": "s3://bucket/orders/*.parquet"}, tmp_path).tables[0]
        absolute = config_with({"path": "/data/x.parquet"}, tmp_path).tables[0]

        # Assert
        assert s3.table.path == "s3://bucket/orders/*.parquet"  # type: ignore[union-attr]
        assert absolute.table.path == "/data/x.parquet"  # type: ignore[union-attr]

    def test_a_name_stays_a_name(self, tmp_path: Path) -> None:
        # Arrange / Act
        table = config_with("orders_v2", tmp_path).tables[0]

        # Assert
        assert (table.table, table.relation) == ("orders_v2", "orders_v2")

    def test_problems_name_the_key(self, tmp_path: Path) -> None:
        # Arrange / Act / Assert
        with pytest.raises(ConfigError) as caught:
            config_with({"path": "x", "format": "avro", "compression": "zstd"}, tmp_path,
                        schema="raw")
        text = str(caught.value)
        assert "tables[0].table" in text
        assert "format" in text
        assert "compression" in text

    def test_schema_does_not_apply_to_files(self, tmp_path: Path) -> None:
        # Arrange / Act / Assert
        with pytest.raises(ConfigError, match="'schema' does not apply"):
            config_with({"path": "x.parquet"}, tmp_path, schema="raw")


class TestIsUrl:
    def test_schemes(self) -> None:
        # Arrange / Act / Assert
        assert [is_url(p) for p in ("gs://b/x", "https://h/x.csv", "C:/x", "x/y")] == [
            True, True, False, False]
