"""Reading batch files strictly: every malformed input is a clear InputError."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import InputError
from monitor.ingest.files import detect_format, read_batch_file


def _write(tmp: Path, name: str, data: bytes | str) -> Path:
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


class TestReadCsv:
    def test_values_are_text_and_empty_fields_null(self, tmp_path: Path) -> None:
        batch = read_batch_file(_write(tmp_path, "b.csv", 'id,note\n1,"a, b"\n2,\n'))
        assert batch.columns == ("id", "note")
        assert batch.frame.to_dict("records") == [{"id": "1", "note": "a, b"},
                                                  {"id": "2", "note": None}]
        assert batch.format == "csv"
        assert batch.rows == 2
        assert len(batch.content_hash) == 64

    def test_each_row_knows_its_line_past_blank_lines_and_quoted_newlines(
            self, tmp_path: Path) -> None:
        batch = read_batch_file(_write(tmp_path, "b.csv",
                                       'id,note\n1,"two\nlines"\n\n2,x\n3,y\n'))
        assert batch.frame["note"].tolist() == ["two\nlines", "x", "y"]
        assert batch.lines == (2, 5, 6)

    def test_a_byte_order_mark_is_removed(self, tmp_path: Path) -> None:
        batch = read_batch_file(_write(tmp_path, "b.csv", b"\xef\xbb\xbfid,x\n1,2\n"))
        assert batch.columns == ("id", "x")

    @pytest.mark.parametrize(("content", "words"), [
        (b"", "the file is empty (0 bytes)"),
        (b"\n  \n", "only whitespace"),
        (b"id,x\n", "a header but no rows"),
        (b"id,x\n1,2\n3", "line 3 has 1 field(s), the header has 2"),
        (b'id,x\n1,"unterminated\n', "truncated"),
        (b"id;x;y\n1;2;3\n", "looks ';'-separated"),
        (b"id,id\n1,2\n", "names column 'id' twice"),
        (b"id,\n1,2\n", "an empty column name"),
        (b"id,x\n1,\xff\xfe\n", "not UTF-8"),
    ])
    def test_malformed_files_name_the_problem(self, tmp_path: Path, content: bytes,
                                              words: str) -> None:
        path = _write(tmp_path, "bad.csv", content)
        with pytest.raises(InputError) as error:
            read_batch_file(path)
        assert str(error.value).startswith(str(path))
        assert words in str(error.value)

    def test_another_delimiter_when_asked(self, tmp_path: Path) -> None:
        batch = read_batch_file(_write(tmp_path, "b.csv", "id;x\n1;2\n"), delimiter=";")
        assert batch.frame.to_dict("records") == [{"id": "1", "x": "2"}]

    @settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.binary(max_size=200))
    def test_any_bytes_give_rows_or_an_input_error(self, tmp_path: Path, data: bytes) -> None:
        path = _write(tmp_path, "any.csv", data)
        try:
            batch = read_batch_file(path)
        except InputError as error:
            assert str(error).startswith(str(path))
        else:
            assert batch.rows > 0


class TestReadJsonLines:
    def test_objects_per_line_and_blank_lines(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "b.jsonl", '{"id": 1, "x": null}\n\n{"id": 2, "y": [1]}\n')
        batch = read_batch_file(path)
        assert batch.columns == ("id", "x", "y")
        assert batch.frame.to_dict("records") == [{"id": 1, "x": None, "y": None},
                                                  {"id": 2, "x": None, "y": [1]}]

    def test_numbers_are_read_exactly(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "b.jsonl", '{"big": 9007199254740993, "d": 12345678901234567.89}'
                                           '\n\n{"big": null, "d": 1e400}\n')
        batch = read_batch_file(path)
        assert batch.frame["big"].tolist() == [9007199254740993, None]  # no float64 with NaN
        assert batch.frame["d"].tolist() == [Decimal("12345678901234567.89"), Decimal("1e400")]
        assert batch.lines == (1, 3)

    @pytest.mark.parametrize(("content", "words"), [
        ('{"id": 1}\n{"id": 2', "line 2 is not valid JSON"),
        ('[1, 2]\n', "line 1 is a JSON list"),
    ])
    def test_malformed_lines(self, tmp_path: Path, content: str, words: str) -> None:
        with pytest.raises(InputError, match=words):
            read_batch_file(_write(tmp_path, "b.jsonl", content))


class TestReadParquet:
    def test_values_and_arrow_types(self, tmp_path: Path) -> None:
        path = tmp_path / "b.parquet"
        pd.DataFrame({"id": [1, 2], "at": pd.to_datetime(["2026-01-01", "2026-01-02"])}
                     ).to_parquet(path)
        batch = read_batch_file(path)
        assert batch.frame["id"].tolist() == [1, 2]
        assert batch.source_types["id"] == "int64"
        assert batch.source_types["at"].startswith("timestamp")

    def test_int64_and_decimals_are_read_exactly(self, tmp_path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "b.parquet"
        pq.write_table(pa.table({
            "big": pa.array([2 ** 63 - 1, None], pa.int64()),
            "d": pa.array([Decimal("12345678901234567.89"), None], pa.decimal128(20, 2))}), path)
        batch = read_batch_file(path)
        assert batch.frame["big"].tolist() == [2 ** 63 - 1, None]
        assert batch.frame["d"].tolist() == [Decimal("12345678901234567.89"), None]
        assert batch.lines == ()

    def test_not_parquet(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="not a readable Parquet file"):
            read_batch_file(_write(tmp_path, "b.parquet", "id,x\n1,2\n"))


class TestDetectFormat:
    def test_from_the_suffix_or_the_option(self) -> None:
        assert detect_format(Path("a.NDJSON")) == "jsonl"
        assert detect_format(Path("a.dat"), "csv") == "csv"

    def test_unknown_suffix(self) -> None:
        with pytest.raises(InputError, match="pass --format"):
            detect_format(Path("a.xlsx"))

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="file not found"):
            read_batch_file(tmp_path / "none.csv")


def test_json_written_by_pandas_reads_back(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": [1, 2], "amount": [1.5, None]})
    path = tmp_path / "b.jsonl"
    frame.to_json(path, orient="records", lines=True)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert read_batch_file(path).frame.to_dict("records") == records
