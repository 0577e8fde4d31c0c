"""Routing expectations to schema checks, SQL pushdown or GX, and what a table's report says."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.config.models import TableConfig
from monitor.validation.suite_runner import (
    evaluate_expectations,
    resolve_column,
    suite_needs,
    validate_table,
)
from tests.helpers.gate import spec, suite_of
from tests.helpers.warehouses import WarehouseUnderTest, sqlite_warehouse

COLUMNS = {"id": sa.BigInteger(), "Email": sa.String(50), "amount": sa.Double()}
ROWS = [{"id": i, "Email": None if i % 5 == 0 else f"u{i}@x.org" if i % 7 else "bad",
         "amount": float(i)} for i in range(1, 51)]


@pytest.fixture
def table(warehouse: WarehouseUnderTest):
    warehouse.create_table("people", COLUMNS, ROWS)
    return warehouse


@pytest.fixture(scope="module")
def sqlite_people(tmp_path_factory: pytest.TempPathFactory):
    """One SQLite table for the checks that need no particular dialect."""
    wh = sqlite_warehouse(tmp_path_factory.mktemp("people"))
    wh.create_table("people", COLUMNS, ROWS)
    yield wh
    wh.dispose()


class TestEvaluateExpectations:
    def test_a_missing_column_is_a_failed_expectation_with_the_reason(self, table) -> None:
        wh = table.warehouse()
        shape = wh.describe("people", table.schema)

        [out] = evaluate_expectations(wh, shape, [spec("column_values_to_not_be_null",
                                                       column="phone")])

        assert not out.success
        assert out.engine == "none"
        assert "column 'phone' does not exist" in out.error
        assert "Email" in out.error

    def test_columns_match_case_insensitively_like_gx(self, table) -> None:
        wh = table.warehouse()
        shape = wh.describe("people", table.schema)

        [out] = evaluate_expectations(wh, shape, [spec("column_values_to_not_be_null",
                                                       column="email")])

        assert out.unexpected_count == sum(r["Email"] is None for r in ROWS)
        assert out.expectation.kwargs["column"] == "email"  # the spec as written

    def test_unknown_types_fail_without_a_query(self, sqlite_people) -> None:
        wh = sqlite_people.warehouse()
        shape = wh.describe("people")
        [out] = evaluate_expectations(wh, shape, [spec("column_values_to_sparkle",
                                                       column="id")])
        assert not out.success
        assert "unknown expectation type" in out.error

    @pytest.mark.parametrize(("case", "success"), [
        (spec("column_to_exist", column="Email"), True),
        (spec("column_to_exist", column="EMAIL"), True),
        (spec("column_to_exist", column='"EMAIL"'), False),
        (spec("column_to_exist", column="phone"), False),
        (spec("column_to_exist", column="id", column_index=0), True),
        (spec("column_to_exist", column="id", column_index=1), False),
        (spec("table_column_count_to_equal", value=3), True),
        (spec("table_column_count_to_be_between", min_value=4), False),
        (spec("table_columns_to_match_set", column_set=["id", "email", "amount"]), True),
        (spec("table_columns_to_match_set", column_set=["id", "email"]), False),
        (spec("table_columns_to_match_set", column_set=["id", "email"], exact_match=False),
         True),
        (spec("table_columns_to_match_ordered_list", column_list=["id", "Email", "amount"]),
         True),
        (spec("table_columns_to_match_ordered_list", column_list=["Email", "id", "amount"]),
         False),
    ])
    def test_schema_expectations_from_the_reflected_table(self, sqlite_people, case,
                                                          success) -> None:
        wh = sqlite_people.warehouse()
        shape = wh.describe("people")

        [out] = evaluate_expectations(wh, shape, [case])

        assert out.success is success
        assert out.engine == "schema"
        assert out.success or out.details or out.observed_value is not None

    def test_gx_engine_gives_the_same_results(self, table) -> None:
        wh = table.warehouse()
        if wh.capabilities.gx_data_source is None:
            pytest.skip(f"GX cannot validate {wh.capabilities.title}")
        shape = wh.describe("people", table.schema)
        cases = [spec("column_values_to_not_be_null", column="Email"),
                 spec("column_values_to_be_between", column="amount", max_value=40, index=1),
                 spec("column_mean_to_be_between", column="amount", min_value=30, index=2)]

        auto = evaluate_expectations(wh, shape, cases, engine="auto")
        gx = evaluate_expectations(wh, shape, cases, engine="gx")

        assert [o.engine for o in auto] == ["sql"] * 3
        assert [o.engine for o in gx] == ["gx"] * 3
        assert [(o.success, o.unexpected_count, o.observed_value) for o in auto] == [
            (o.success, o.unexpected_count, o.observed_value) for o in gx]


class TestArgumentsGxRejects:
    @pytest.mark.parametrize(("case", "reason"), [
        (spec("column_values_to_be_between", column="amount", min_value=None, max_value=None),
         "min_value and max_value cannot both be None"),
        (spec("column_values_to_be_between", column="amount", min_value=10, max_value=0),
         "min_value cannot be greater than max_value"),
        (spec("table_row_count_to_be_between", min_value=10, max_value=0),
         "min_value (10) must be less than or equal to max_value (0)"),
        (spec("table_column_count_to_equal", value="hello"),
         "value: value is not a valid integer, value is not a valid dict"),
        (spec("table_column_count_to_be_between", min_value="three"),
         "min_value: value is not a valid float"),
        (spec("column_values_to_be_in_set", column="Email", value_set=None),
         "value_set: none is not an allowed value"),
    ], ids=lambda c: c.label if hasattr(c, "label") else "")
    def test_are_failed_expectations_with_the_whole_reason(self, table, case,
                                                           reason) -> None:
        wh = table.warehouse()
        shape = wh.describe("people", table.schema)

        [out] = evaluate_expectations(wh, shape, [case])

        assert not out.success
        assert out.engine == "none"
        assert out.error.startswith("invalid arguments (Great Expectations rejects them): ")
        assert reason in out.error
        assert out.expectation == case

    def test_a_date_as_a_column_count_fails_instead_of_crashing(self, sqlite_people) -> None:
        wh = sqlite_people.warehouse()
        case = spec("table_column_count_to_be_between", min_value="2024-01-01")

        [out] = evaluate_expectations(wh, wh.describe("people"), [case])

        assert not out.success
        assert "cannot be evaluated with these arguments" in out.error

    def test_numbers_written_as_text_are_read_as_gx_reads_them(self, table) -> None:
        wh = table.warehouse()
        shape = wh.describe("people", table.schema)
        case = spec("column_values_to_be_between", column="amount", max_value="40",
                    mostly="0.5")

        [out] = evaluate_expectations(wh, shape, [case])

        assert out.engine == "sql"
        assert out.unexpected_count == sum(r["amount"] > 40 for r in ROWS)
        assert out.success
        assert out.expectation.kwargs["max_value"] == "40"  # reported as written


class TestValidateTable:
    def test_reports_passed_when_only_warnings_fail(self, table) -> None:
        wh = table.warehouse()
        suite = suite_of("people", [
            spec("column_values_to_not_be_null", column="id"),
            spec("column_values_to_not_be_null", column="Email", severity="warning"),
            spec("column_values_to_be_between", column="amount", max_value=10,
                 severity="info")])
        config = table.table_config("people")

        report = validate_table(wh, config, [suite])

        assert report.passed
        assert report.counts() == {"evaluated": 3, "passed": 1, "failed": 2, "blocking": 0}
        assert report.to_dict()["results"][1]["severity"] == "warning"

    def test_pii_columns_never_keep_values(self, table) -> None:
        wh = table.warehouse()
        suite = suite_of("people", [
            spec("column_values_to_be_in_set", column="Email", value_set=["u1@x.org"]),
            spec("column_values_to_be_between", column="amount", max_value=10)])
        config = TableConfig(name="people", warehouse="wh", table="people",
                             schema=table.schema, columns={"email": {"tags": ["pii"]}})

        report = validate_table(wh, config, [suite], samples=5)

        pii, other = report.outcomes
        assert not pii.success
        assert pii.unexpected_values == ()
        assert len(other.unexpected_values) == 5


class TestResolveColumn:
    def test_exact_then_unique_case_insensitive(self, sqlite_people) -> None:
        shape = sqlite_people.warehouse().describe("people")
        assert resolve_column(shape, "Email") == "Email"
        assert resolve_column(shape, "EMAIL") == "Email"
        assert resolve_column(shape, "phone") is None


def test_module_imports_no_gx() -> None:
    import subprocess
    import sys

    code = ("import sys, monitor.validation.suite_runner, monitor.gate.verdict, "
            "monitor.ingest.batch, monitor.cli;"
            "print('great_expectations' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True)
    assert out.stdout.strip() == "False"


class TestSuiteNeeds:
    def test_plans_only_what_the_sql_pushdown_evaluates(self, sqlite_people) -> None:
        from monitor.metrics.states import State

        wh = sqlite_people.warehouse()
        shape = wh.describe("people")
        suite = suite_of("people", [
            spec("column_values_to_not_be_null", column="email"),  # SQL, as the table spells it
            spec("column_median_to_be_between", column="amount", min_value=0),  # GX
            spec("table_column_count_to_equal", value=3),  # the schema answers it
            spec("column_values_to_not_be_null", column="phone"),  # no such column
        ])

        needs = suite_needs(wh, shape, [suite])

        assert needs.states == (State("rows"), State("non_null", "Email"))
        assert not suite_needs(wh, shape, [suite], engine="gx")

    def test_validating_from_the_scanned_states_sends_no_scan(self, table) -> None:
        from monitor.metrics.profile import profile_table
        from tests.helpers.statements import record_statements

        wh = table.warehouse()
        config = TableConfig(name="people", warehouse="wh", table="people",
                             schema=table.schema)
        shape = wh.describe("people", table.schema)
        suite = suite_of("people", [
            spec("column_values_to_not_be_null", column="Email"),
            spec("column_values_to_be_unique", column="id"),
            spec("column_mean_to_be_between", column="amount", min_value=25, max_value=26)])
        profile = profile_table(wh, config, shape=shape, needs=suite_needs(wh, shape, [suite]))

        with record_statements(wh.engine) as log:
            report = validate_table(wh, config, [suite], shape=shape, scanned=profile.shared)

        assert log.count("scan") == 0, log.statements
        assert [o.success for o in report.outcomes] == [False, True, True]
        assert report.outcomes[0].unexpected_count == sum(r["Email"] is None for r in ROWS)
        assert report.outcomes[2].observed_value == 25.5
