"""Drift and conversion of a batch file against its target table, before loading."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.dialects import capabilities_for
from monitor.errors import InputError
from monitor.ingest import schema as ingest_schema
from monitor.ingest.files import read_batch_file
from monitor.ingest.schema import convert_column, prepare_batch
from monitor.warehouse import ColumnInfo, TableShape


def _target(*columns: tuple[str, str, bool]) -> TableShape:
    types = {"integer": sa.BigInteger(), "float": sa.Float(), "string": sa.String(),
             "timestamp": sa.DateTime(), "date": sa.Date(), "boolean": sa.Boolean()}
    table = sa.Table("t", sa.MetaData(), *(sa.Column(n, types[k]) for n, k, _ in columns))
    return TableShape(None, "t", table, tuple(ColumnInfo(n, k, k, nullable)
                                              for n, k, nullable in columns))


TARGET = _target(("id", "integer", False), ("amount", "float", True),
                 ("note", "string", True), ("at", "timestamp", True))


def _csv(tmp: Path, text: str):
    path = tmp / "b.csv"
    path.write_text(text)
    return read_batch_file(path)


class TestConvertColumn:
    @pytest.mark.parametrize(("kind", "values", "expected", "errors"), [
        ("integer", ["1", " 2 ", "3.0", "3.5", "x", None], [1, 2, 3, None, None, None],
         {3: "'3.5' is not a whole number", 4: "'x' is not a number"}),
        ("float", ["1.5", "-2e3", "nan", "abc", True], [1.5, -2000.0, None, None, None],
         {3: "'abc' is not a number", 4: "True is not a number"}),
        ("boolean", ["true", "F", "1", "maybe"], [True, False, True, None],
         {3: "'maybe' is not true or false"}),
        ("timestamp", ["2026-01-02 03:04:05", "2026-01-02T03:04:05+01:00", "2026-01-02Z",
                       "soon"],
         [dt.datetime(2026, 1, 2, 3, 4, 5), dt.datetime(2026, 1, 2, 2, 4, 5),
          dt.datetime(2026, 1, 2), None], {3: "'soon' is not a date or time"}),
        ("date", ["2026-01-02"], [dt.date(2026, 1, 2)], {}),
        ("string", [1, {"a": 1}, "x"], ["1", '{"a": 1}', "x"], {}),
    ])
    def test_values_and_reasons(self, kind, values, expected, errors) -> None:
        out, found = convert_column(pd.Series(values, dtype=object), kind)
        if kind == "float":
            assert out[2] != out[2]  # 'nan' spelled out stays NaN
            out[2] = None
        assert out == expected
        assert found == errors

    @pytest.mark.parametrize(("kind", "values", "expected"), [
        ("integer", ["9007199254740993", "9223372036854775808", " -12 ", "1e3", "1.0",
                     Decimal("5"), 7.0], [9007199254740993, 2 ** 63, -12, 1000, 1, 5, 7]),
        ("decimal", ["12345678901234567.89", 1, 0.1, Decimal("1.50"), " 2E+3 "],
         [Decimal("12345678901234567.89"), Decimal(1), Decimal("0.1"), Decimal("1.50"),
          Decimal("2E+3")]),
        ("string", [Decimal("1.50"), 2 ** 70], ["1.50", str(2 ** 70)]),
    ])
    def test_numbers_convert_exactly(self, kind, values, expected) -> None:
        out, errors = convert_column(pd.Series(values, dtype=object), kind)
        assert [str(v) for v in out] == [str(v) for v in expected]  # same digits, same type
        assert [type(v) for v in out] == [type(v) for v in expected]
        assert errors == {}

    @pytest.mark.parametrize(("kind", "value", "reason"), [
        ("float", "1e400", "'1e400' is out of range for a float column"),
        ("float", 10 ** 400, "1" + "0" * 36 + "...' is out of range for a float column"),
        ("integer", "1e100", "'1e100' is too large for any integer column"),
        ("integer", "nan", "'nan' is not a whole number"),
        ("decimal", "12,5", "'12,5' is not a number"),
    ])
    def test_numbers_that_would_change_are_refused(self, kind, value, reason) -> None:
        _, errors = convert_column(pd.Series([value], dtype=object), kind)
        assert errors == {0: reason}

    @settings(max_examples=100, deadline=None)
    @given(st.integers(-(2 ** 130), 2 ** 130))
    def test_any_integer_text_is_kept_exactly(self, value) -> None:
        out, _ = convert_column(pd.Series([str(value), f" {value}.000"], dtype=object),
                                "integer")
        assert out == [value, value]

    @settings(max_examples=100, deadline=None)
    @given(st.decimals(allow_nan=False, allow_infinity=False))
    def test_any_decimal_text_is_kept_exactly(self, value) -> None:
        [out], _ = convert_column(pd.Series([str(value)], dtype=object), "decimal")
        assert out.as_tuple() == value.as_tuple()

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.one_of(st.none(), st.integers(-10**6, 10**6), st.booleans(),
                              st.floats(allow_nan=False, allow_infinity=False),
                              st.text(max_size=6),
                              st.datetimes().map(lambda d: d.isoformat(sep=" ")),
                              st.dates().map(str)), min_size=3, max_size=30),
           st.sampled_from(["float", "integer", "timestamp", "date", "string"]))
    def test_long_columns_take_the_fast_path_with_the_same_answer(self, values, kind) -> None:
        series = pd.Series(values, dtype=object)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ingest_schema, "FAST_PATH_ROWS", 2)
            fast = convert_column(series, kind)
        slow = ([], {})
        for i, value in enumerate(values):
            single, errors = convert_column(pd.Series([value], dtype=object), kind)
            slow[0].append(single[0])
            if errors:
                slow[1][i] = errors[0]
        same = [a == b or (a != a and b != b) for a, b in zip(fast[0], slow[0], strict=True)]
        assert all(same)
        assert fast[1] == slow[1]


class TestPrepareBatch:
    def test_matching_columns_convert(self, tmp_path: Path) -> None:
        prepared = prepare_batch(_csv(tmp_path, "ID,amount,note,at\n1,2.5,x,2026-01-01\n"),
                                 TARGET)
        assert prepared.mapping["id"] == "ID"
        assert prepared.frame.to_dict("records") == [
            {"id": 1, "amount": 2.5, "note": "x", "at": dt.datetime(2026, 1, 1)}]
        assert prepared.drift.checks()[0].passed

    def test_a_file_sharing_no_column_with_the_target_is_refused(self, tmp_path: Path
                                                                 ) -> None:
        batch = _csv(tmp_path, "zzz\n1\n")

        with pytest.raises(InputError, match=r"b.csv: none of its columns \('zzz'\) is a "
                                             r"column of t \(id, amount, note, at\)"):
            prepare_batch(batch, TARGET)

    def test_missing_and_extra_columns_warn(self, tmp_path: Path) -> None:
        prepared = prepare_batch(_csv(tmp_path, "id,amount,colour\n1,2,red\n"), TARGET)
        checks = {c.check: c for c in prepared.drift.checks()}
        assert prepared.drift.missing == ("note", "at")
        assert prepared.drift.extra == ("colour",)
        assert {c.severity for c in checks.values()} == {"warning"}

    def test_a_missing_not_null_column_blocks_and_a_filled_one_is_fine(self, tmp_path) -> None:
        batch = _csv(tmp_path, "amount\n2\n")
        blocked = prepare_batch(batch, TARGET)
        filled = prepare_batch(batch, TARGET, fill={"id": 7})
        assert blocked.drift.not_null_missing == ("id",)
        assert [c.blocking for c in blocked.drift.checks() if c.check == "schema:id"] == [True]
        assert filled.frame["id"].tolist() == [7]
        assert "schema:id" not in {c.check for c in filled.drift.checks()}

    def test_text_where_numbers_are_expected_is_a_retyped_column(self, tmp_path) -> None:
        prepared = prepare_batch(_csv(tmp_path, "id,amount\n1,twelve\n2,three\n"), TARGET)
        assert set(prepared.drift.retyped) == {"amount"}
        [check] = [c for c in prepared.drift.checks() if c.check == "schema:amount"]
        assert check.blocking
        assert "'twelve'" in check.reason

    def test_single_bad_values_and_nulls_in_not_null_columns_are_row_errors(
            self, tmp_path) -> None:
        prepared = prepare_batch(_csv(tmp_path, "id,amount\n1,2\n,3\n3,x\n"), TARGET)
        assert prepared.drift.retyped == {}
        assert prepared.row_errors == {1: ["id: NULL, but the target column is NOT NULL"],
                                       2: ["amount: 'x' is not a number"]}

    def test_values_that_do_not_fit_the_type_are_row_errors_with_their_line(
            self, tmp_path) -> None:
        table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.SmallInteger()),
                         sa.Column("code", sa.String(5)))
        target = TableShape(None, "t", table, (ColumnInfo("id", "SMALLINT", "integer"),
                                               ColumnInfo("code", "VARCHAR(5)", "string")))
        batch = _csv(tmp_path, "id,code\n1,abc\n\n40000,abcdefg\n")

        prepared = prepare_batch(batch, target, capabilities=capabilities_for("postgresql"))

        assert prepared.frame.to_dict("records") == [{"id": 1, "code": "abc"},
                                                     {"id": None, "code": None}]
        assert prepared.reason(1) == (
            f"{batch.path} line 4: id: 40000 is out of range for SMALLINT (-32768 to 32767); "
            f"code: 'abcdefg' is 7 characters; VARCHAR(5) holds 5")
        assert prepared.where(0) == f"{batch.path} line 2"

    def test_parquet_types_that_cannot_hold_the_target_are_retyped(self, tmp_path) -> None:
        path = tmp_path / "b.parquet"
        pd.DataFrame({"id": ["1", "2"], "at": ["2026-01-01", "2026-01-02"],
                      "amount": [1, 2]}).to_parquet(path)
        prepared = prepare_batch(read_batch_file(path), TARGET)
        assert list(prepared.drift.retyped) == ["id"]  # text for times is parsed, like CSV
        assert "the file has" in prepared.drift.retyped["id"]
