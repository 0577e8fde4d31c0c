"""Which expectations run as SQL, and the predicates of unexpected rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from monitor.dialects import capabilities_for
from monitor.validation.pushdown_rules import supports, unexpected_condition
from monitor.validation.suites import ExpectationSpec
from tests.helpers.gate import spec


class TestSupports:
    @pytest.mark.parametrize(("kind", "kwargs", "expected"), [
        ("float", {"column": "a", "min_value": 0}, True),
        ("timestamp", {"column": "a", "min_value": "2026-01-01"}, False),
        ("float", {"column": "a", "min_value": 0, "row_condition": "a>1"}, False),
        ("float", {"column": "a"}, False),
        ("float", {"column": "a", "min_value": True}, False),
        ("float", {"column": "a", "min_value": 0, "mostly": 2}, False),
    ])
    def test_between_needs_numbers_and_known_arguments(self, kind, kwargs, expected) -> None:
        case = ExpectationSpec("s", "expect_column_values_to_be_between", kwargs)
        assert supports(case, kind, capabilities_for("postgresql")) is expected

    def test_regex_only_where_the_dialect_has_one(self) -> None:
        case = spec("column_values_to_match_regex", column="c", regex="^a")
        assert supports(case, "string", capabilities_for("sqlite"))  # Python REGEXP function
        assert supports(case, "string", capabilities_for("postgresql"))
        assert not supports(case, "string", capabilities_for("mssql"))
        assert not supports(case, "integer", capabilities_for("postgresql"))

    def test_sets_must_match_the_column_kind(self) -> None:
        case = spec("column_values_to_be_in_set", column="c", value_set=["1", 2])
        assert not supports(case, "integer", capabilities_for("postgresql"))
        assert not supports(spec("column_values_to_be_in_set", column="c", value_set=[]),
                            "string", capabilities_for("postgresql"))

    def test_aggregate_types_have_no_row_condition(self) -> None:
        column = sa.column("amount")
        case = spec("column_mean_to_be_between", column="amount", min_value=0)
        assert unexpected_condition(case, column, capabilities_for("postgresql")) is None


class TestUnexpectedCondition:
    @pytest.mark.parametrize(("kind", "kwargs", "sql"), [
        ("values_to_not_be_null", {}, "a IS NULL"),
        ("values_to_be_between", {"min_value": 1, "strict_max": True, "max_value": 2},
         "a IS NOT NULL AND NOT (a >= 1 AND a < 2)"),
        ("values_to_be_in_set", {"value_set": ["x"]}, "a IS NOT NULL AND (a NOT IN ('x'))"),
        ("value_lengths_to_equal", {"value": 3}, "a IS NOT NULL AND char_length(a) != 3"),
    ])
    def test_the_predicate_of_unexpected_rows(self, kind, kwargs, sql) -> None:
        case = spec(f"column_{kind}", column="a", **kwargs)
        condition = unexpected_condition(case, sa.column("a"), capabilities_for("postgresql"))
        rendered = str(condition.compile(dialect=postgresql.dialect(),
                                         compile_kwargs={"literal_binds": True}))
        assert rendered == sql
