"""Tables read from files: ``table: {path: ..., format: ...}`` instead of a table name.

A relative ``path`` is resolved against the config file's folder when the file is
loaded (the validation context's ``base_dir``); URLs (``s3://``, ``gs://``,
``https://``, ...) and absolute paths are kept as written. Globs (``*``, ``**``)
stay in the path: the engine expands them at every query.

>>> TableSource.model_validate({"path": "landing/*.parquet"}, context={"base_dir": "/cfg"}).path
'/cfg/landing/*.parquet'
>>> TableSource(path="s3://bucket/orders/", format="delta").path
's3://bucket/orders/'
>>> str(TableSource(path="/data/*.csv", format="csv"))
'csv:/data/*.csv'
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

SourceFormat = Literal["parquet", "csv", "json", "delta"]
#: ``scheme://``: a URL the engine reads itself (object stores, HTTP).
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
#: Reader options are keyword names: nothing else is written into SQL unquoted.
_OPTION_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class TableSource(BaseModel):
    """Files (or a Delta table) read as one table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1)
    format: SourceFormat = "parquet"
    #: ``year=2026/month=11/`` folders become columns, and filters on them skip files.
    hive_partitioning: bool = False
    #: Extra keyword options of the reader (``read_csv(..., delim='|')``), as strings.
    options: dict[str, str] = Field(default_factory=dict)

    @field_validator("path")
    @classmethod
    def _resolve(cls, value: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("base_dir")
        if base is None or is_url(value) or Path(value).is_absolute():
            return value
        resolved = str(Path(base).resolve() / value)
        # Path() drops a trailing slash, which says "a folder" to readers.
        return resolved + "/" if value.endswith("/") and not resolved.endswith("/") else resolved

    @field_validator("options")
    @classmethod
    def _option_names(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted(k for k in value if not _OPTION_NAME.match(k))
        if bad:
            raise ValueError(f"option names are lower-case words such as 'delim', "
                             f"got {', '.join(map(repr, bad))}")
        return value

    def __str__(self) -> str:
        return f"{self.format}:{self.path}"


def is_url(path: str) -> bool:
    """``s3://b/k`` and ``https://h/f`` are URLs; ``/data/x`` and ``x/*.csv`` are not.

    >>> is_url("gs://bucket/x.parquet"), is_url("landing/x.parquet")
    (True, False)
    """
    return bool(_URL.match(path))
