"""Read a batch file (CSV, JSON lines, Parquet) strictly, or say clearly why not.

Nothing is guessed silently: a 0-byte or empty file, a header without rows,
a row with a different number of fields than the header (a truncated file or
another delimiter), invalid UTF-8 or JSON are ``InputError``s naming the file
and the line. A UTF-8 byte order mark is accepted and removed.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "b.csv"
>>> _ = path.write_bytes(b"\\xef\\xbb\\xbfid,name\\n1,Ana\\n2,\\n")
>>> batch = read_batch_file(path)
>>> batch.columns, batch.frame.to_dict("records")
(('id', 'name'), [{'id': '1', 'name': 'Ana'}, {'id': '2', 'name': None}])
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from monitor.errors import InputError

FileFormat = Literal["csv", "jsonl", "parquet"]
SUFFIXES: dict[str, FileFormat] = {".csv": "csv", ".txt": "csv", ".jsonl": "jsonl",
                                   ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet",
                                   ".pq": "parquet"}
_OTHER_DELIMITERS = (";", "\t", "|")


@dataclass(frozen=True)
class BatchFile:
    """A file read into memory: its columns, rows and content hash."""

    path: Path
    format: FileFormat
    content_hash: str
    size: int
    frame: pd.DataFrame = field(repr=False)  # object columns; None for missing values
    source_types: Mapping[str, str] = field(default_factory=dict)  # Parquet: Arrow types
    lines: tuple[int, ...] = ()  # CSV / JSON lines: the line each row starts on (from 1)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.frame.columns)

    @property
    def rows(self) -> int:
        return len(self.frame)


def detect_format(path: Path, fmt: str | None = None) -> FileFormat:
    if fmt:
        if fmt not in ("csv", "jsonl", "parquet"):
            raise InputError(f"{path}: unknown format {fmt!r} (csv, jsonl or parquet)")
        return fmt  # type: ignore[return-value]
    found = SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InputError(f"{path}: cannot tell the format from the suffix "
                         f"{path.suffix or '(none)'!r}; pass --format csv|jsonl|parquet")
    return found


def _text(path: Path, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start}: "
                         f"{data[error.start:error.start + 1]!r})") from None
    if not text.strip():
        raise InputError(f"{path}: the file holds only whitespace, no header and no rows")
    return text


def _check_header(path: Path, header: list[str]) -> list[str]:
    names = [h.strip() for h in header]
    if any(not n for n in names):
        raise InputError(f"{path}: the header has an empty column name (columns: "
                         f"{', '.join(repr(n) for n in names)})")
    seen = set()
    for name in names:
        if name in seen:
            raise InputError(f"{path}: the header names column {name!r} twice")
        seen.add(name)
    return names


def _read_csv(path: Path, data: bytes, delimiter: str) -> tuple[pd.DataFrame, list[int]]:
    text = _text(path, data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
        if len(header) == 1:
            for other in _OTHER_DELIMITERS:
                if other != delimiter and other in header[0]:
                    raise InputError(
                        f"{path}: the header is one column {header[0][:60]!r}; the file looks "
                        f"{other!r}-separated, not {delimiter!r}-separated "
                        f"(pass --delimiter {other!r})")
        names = _check_header(path, header)
        rows, lines = [], []
        while True:
            start = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if not record:
                continue  # a blank line
            if len(record) != len(names):
                raise InputError(
                    f"{path}: line {reader.line_num} has {len(record)} field(s), the header "
                    f"has {len(names)} (a truncated file, or a delimiter other than "
                    f"{delimiter!r}?)")
            rows.append([None if v == "" else v for v in record])
            lines.append(start)
    except csv.Error as error:
        raise InputError(f"{path}: line {reader.line_num}: {error} (a truncated file?)"
                         ) from None
    if not rows:
        raise InputError(f"{path}: the file has a header but no rows")
    return pd.DataFrame(rows, columns=names, dtype=object), lines


def _read_jsonl(path: Path, data: bytes) -> tuple[pd.DataFrame, list[int]]:
    """JSON objects, one a line; numbers with a fraction or exponent read as Decimal."""
    text = _text(path, data)
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: line {number} is not valid JSON ({error.msg} at "
                             f"column {error.colno}; a truncated file?)") from None
        if not isinstance(value, dict):
            raise InputError(f"{path}: line {number} is a JSON {type(value).__name__}; "
                             f"each line must be one object")
        records.append(value)
        lines.append(number)
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    # Object columns built directly: an int column with a gap never passes through float64.
    frame = pd.DataFrame({name: pd.Series([r.get(name) for r in records], dtype=object)
                          for name in columns}, columns=list(columns))
    return frame, lines


def _read_parquet(path: Path) -> tuple[pd.DataFrame, dict[str, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise InputError(f"{path}: not a readable Parquet file ({error})") from None
    _check_header(path, list(table.column_names))
    frame = pd.DataFrame({name: pd.Series(table.column(name).to_pylist(), dtype=object)
                          for name in table.column_names})
    return frame, {f.name: str(f.type) for f in table.schema}


def read_batch_file(path: str | Path, *, fmt: str | None = None,
                    delimiter: str = ",") -> BatchFile:
    """Read a whole batch file; InputError says what is wrong and where."""
    path = Path(path)
    kind = detect_format(path, fmt)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the file ({error})") from None
    if not data:
        raise InputError(f"{path}: the file is empty (0 bytes)")
    types: dict[str, str] = {}
    lines: list[int] = []
    if kind == "csv":
        frame, lines = _read_csv(path, data, delimiter)
    elif kind == "jsonl":
        frame, lines = _read_jsonl(path, data)
    else:
        frame, types = _read_parquet(path)
    if frame.empty:
        raise InputError(f"{path}: the file has no rows")
    frame = frame.reset_index(drop=True)
    return BatchFile(path=path, format=kind, content_hash=hashlib.sha256(data).hexdigest(),
                     size=len(data), frame=frame, source_types=types, lines=tuple(lines))
