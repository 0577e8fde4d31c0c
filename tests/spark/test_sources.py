"""Files as tables on Spark: written by pyarrow, profiled through a temporary view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitor.config.models import TableConfig, WarehouseConfig, parse_config
from monitor.config.sources import TableSource
from monitor.errors import ConfigError, ObjectNotFound
from monitor.metrics.profile import profile_table
from monitor.spark.sources import view_name
from monitor.warehouse import SqlWarehouse
from tests.helpers.spark import URL

FRAME = pd.DataFrame({"id": [1, 2, 3, None], "amount": [1.5, None, 4.5, 6.0],
                      "label": ["a", "b b", None, "ü"],
                      "created": pd.to_datetime(["2026-03-01 08:00", "2026-03-01 09:00",
                                                 "2026-03-02 10:00", None])})


def lake() -> SqlWarehouse:
    return SqlWarehouse("lake", WarehouseConfig(url=URL))


def table_of(source: TableSource) -> TableConfig:
    # JSON has no time type: Spark reads ISO text as strings.
    stamp = None if source.format == "json" else "created"
    return TableConfig(name="orders", warehouse="lake", table=source, timestamp_column=stamp)


class TestRegisterSource:
    @pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
    def test_each_format_profiles_like_pandas(self, spark: Any, tmp_path: Path, fmt: str
                                              ) -> None:
        folder = tmp_path / "orders"
        folder.mkdir()
        if fmt == "parquet":
            pq.write_table(pa.Table.from_pandas(FRAME, preserve_index=False),
                           folder / "part-0.parquet")
        elif fmt == "csv":
            FRAME.to_csv(folder / "part-0.csv", index=False)
        else:
            FRAME.to_json(folder / "part-0.json", orient="records", lines=True,
                          date_format="iso")

        profile = profile_table(lake(), table_of(TableSource(path=str(folder), format=fmt)),
                                distinct="exact").to_dict()

        assert profile["row_count"] == len(FRAME)
        assert profile["columns"]["amount"]["mean"] == pytest.approx(FRAME["amount"].mean())
        assert profile["columns"]["label"]["null_count"] == int(FRAME["label"].isna().sum())
        assert profile["columns"]["label"]["distinct_count"] == FRAME["label"].nunique()
        if fmt != "json":
            assert profile["latest_timestamp"] == "2026-03-02T10:00:00+00:00"

    def test_partition_folders_become_columns(self, spark: Any, tmp_path: Path) -> None:
        for day, rows in (("01", FRAME.iloc[:2]), ("02", FRAME.iloc[2:])):
            part = tmp_path / "orders" / "year=2026" / f"day={day}"
            part.mkdir(parents=True)
            pq.write_table(pa.Table.from_pandas(rows, preserve_index=False),
                           part / "data.parquet")
        source = TableSource(path=str(tmp_path / "orders"), hive_partitioning=True)

        shape = lake().describe(source)

        assert [c.name for c in shape.columns][-2:] == ["year", "day"]
        assert shape.name == view_name(source)

    def test_new_files_are_read_on_the_next_run(self, spark: Any, tmp_path: Path) -> None:
        pq.write_table(pa.Table.from_pandas(FRAME, preserve_index=False), tmp_path / "a.parquet")
        table = table_of(TableSource(path=str(tmp_path)))
        first = profile_table(lake(), table).row_count
        pq.write_table(pa.Table.from_pandas(FRAME, preserve_index=False), tmp_path / "b.parquet")

        second = profile_table(lake(), table).row_count

        assert (first, second) == (4, 8)

    def test_a_missing_path_is_object_not_found(self, spark: Any, tmp_path: Path) -> None:
        with pytest.raises(ObjectNotFound, match="does not exist"):
            lake().describe(TableSource(path=str(tmp_path / "nope")))

    def test_an_engine_without_file_tables_says_so(self, tmp_path: Path) -> None:
        sqlite = SqlWarehouse("w", WarehouseConfig(url=f"sqlite:///{tmp_path / 'w.db'}"))

        with pytest.raises(ConfigError, match="SQLite cannot read files as a table"):
            sqlite.describe(TableSource(path="x.parquet"))


class TestPathsInConfig:
    def test_relative_paths_are_relative_to_the_config_file(self, tmp_path: Path) -> None:
        config = parse_config({
            "warehouses": {"lake": {"spark": {"master": "local[2]"}}},
            "tables": [{"name": "o", "warehouse": "lake",
                        "table": {"path": "data/orders/", "format": "csv"}}]},
            base_dir=tmp_path)

        # The trailing slash stays: it says "a folder" to the readers.
        assert config.tables[0].table == TableSource(
            path=str(tmp_path.resolve() / "data" / "orders") + "/", format="csv")

    def test_object_store_urls_are_kept(self, tmp_path: Path) -> None:
        config = parse_config({
            "warehouses": {"lake": {"spark": {}}},
            "tables": [{"name": "o", "warehouse": "lake",
                        "table": {"path": "s3a://bucket/orders/", "format": "delta"}}]},
            base_dir=tmp_path)

        assert config.tables[0].table.path == "s3a://bucket/orders/"  # type: ignore[union-attr]
        assert str(config.tables[0].table) == "delta:s3a://bucket/orders/"


