"""Tables read from files: a path and a format instead of a table name.

``table: {path: "data/orders/", format: parquet}`` in a table's config. The
warehouse that reads it registers a view over the files (Spark: a temporary
view; DuckDB: a view over ``read_parquet``) and profiles that view.

>>> TableSource(path="data/orders/").format
'parquet'
>>> str(TableSource(path="landing/*.csv", format="csv"))
'csv:landing/*.csv'
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SourceFormat = Literal["parquet", "csv", "json", "delta"]


class TableSource(BaseModel):
    """Files read as one table: a file, a folder or a glob, in one format."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1)
    format: SourceFormat = "parquet"
    #: Folders named ``key=value`` become columns (``year=2026/month=11/``).
    hive_partitioning: bool = False
    #: Reader options of the engine (``header: "true"`` for CSV on Spark).
    options: dict[str, str] = Field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.format}:{self.path}"
