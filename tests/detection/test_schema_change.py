from __future__ import annotations

import pytest

from monitor.detection.schema_change import ChangeKind, diff_schema, normalize_type
from monitor.errors import InputError


class TestDiffSchema:
    def test_reports_removed_retyped_and_added_columns_in_order(self):
        previous = {"id": "INTEGER", "email": "TEXT", "age": "INTEGER", "city": "TEXT"}
        current = {"id": "integer", "age": "TEXT", "city": "TEXT", "country": "VARCHAR(2)"}

        changes = diff_schema(previous, current)

        assert [(c.column, c.kind) for c in changes] == [
            ("email", ChangeKind.REMOVED),
            ("age", ChangeKind.RETYPED),
            ("country", ChangeKind.ADDED),
        ]
        assert changes[0].reason == "column 'email' was removed (it was TEXT)"
        assert changes[1].previous_type == "INTEGER"
        assert changes[1].current_type == "TEXT"
        assert changes[2].reason == "column 'country' was added (VARCHAR(2))"

    def test_same_schema_has_no_changes(self):
        assert diff_schema({"a": "numeric(10, 2)"}, {"a": "NUMERIC(10,2)"}) == []

    def test_a_type_parameter_change_is_a_retype(self):
        [change] = diff_schema({"name": "VARCHAR(10)"}, {"name": "VARCHAR(20)"})

        assert change.kind is ChangeKind.RETYPED

    def test_column_names_are_case_sensitive(self):
        changes = diff_schema({"ID": "INTEGER"}, {"id": "INTEGER"})

        assert [c.kind for c in changes] == [ChangeKind.REMOVED, ChangeKind.ADDED]

    def test_from_and_to_an_empty_schema(self):
        assert [c.kind for c in diff_schema({}, {"a": "INT"})] == [ChangeKind.ADDED]
        assert [c.kind for c in diff_schema({"a": "INT"}, {})] == [ChangeKind.REMOVED]

    def test_a_non_mapping_is_an_input_error(self):
        with pytest.raises(InputError, match="previous schema must map"):
            diff_schema(["id"], {})  # type: ignore[arg-type]

    def test_to_dict_is_plain(self):
        [change] = diff_schema({}, {"a": "INT"})

        assert change.to_dict() == {
            "column": "a",
            "kind": "added",
            "previous_type": None,
            "current_type": "INT",
            "reason": "column 'a' was added (INT)",
        }


class TestNormalizeType:
    def test_ignores_case_and_spacing(self):
        assert normalize_type("  double   precision ") == "DOUBLE PRECISION"
