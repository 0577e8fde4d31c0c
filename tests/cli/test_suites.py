"""``dq-monitor suites ...`` and ``validate``: readable output, stable JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.cli import main
from tests.helpers.gate import config_for, spec, suite_of
from tests.helpers.warehouses import sqlite_warehouse

SUITE = suite_of("people", [
    spec("column_values_to_not_be_null", column="id"),
    spec("column_values_to_be_between", column="age", min_value=0, max_value=120,
         severity="warning"),
    spec("column_values_to_match_regex", column="name", regex="^[A-Z]", severity="info"),
])


@pytest.fixture
def cli(tmp_path: Path):
    wh = sqlite_warehouse(tmp_path)
    wh.create_table("people", {"id": sa.Integer(), "age": sa.Integer(), "name": sa.String()},
                    [{"id": i, "age": 130 if i == 3 else 20 + i, "name": f"N{i}"}
                     for i in range(10)])
    config_for(wh, tmp_path, [{"name": "people", "table": "people", "suites": ["people"]}],
               suites={"people": SUITE})
    base = ["--config", str(tmp_path / "monitor.yaml")]

    def run(*args: str) -> int:
        return main([*base, *args])

    yield run, wh, tmp_path
    wh.dispose()


class TestSuitesList:
    def test_json_lists_suites_with_severities_and_tables(self, cli, capsys) -> None:
        run, _, _ = cli
        assert run("suites", "list", "--format", "json") == 0
        [row] = json.loads(capsys.readouterr().out)
        assert row["suite"] == "people"
        assert row["tables"] == ["people"]
        assert (row["critical"], row["warning"], row["info"]) == (1, 1, 1)

    def test_table_output(self, cli, capsys) -> None:
        run, _, _ = cli
        assert run("suites", "list") == 0
        assert "people" in capsys.readouterr().out


class TestSuitesShow:
    def test_json_has_keys_and_who_evaluates(self, cli, capsys) -> None:
        run, _, _ = cli
        assert run("suites", "show", "people", "--format", "json") == 0
        shown = json.loads(capsys.readouterr().out)
        # SQLite evaluates regexes through SQLAlchemy's REGEXP function: all in SQL.
        assert [e["evaluated_by"] for e in shown["expectations"]] == ["SQL", "SQL", "SQL"]
        assert shown["expectations"][0]["key"] == SUITE.expectations[0].key

    def test_unknown_suite_is_exit_2(self, cli, capsys) -> None:
        run, _, _ = cli
        assert run("suites", "show", "nope") == 2
        assert "no suite named 'nope'" in capsys.readouterr().err


class TestSuitesCheck:
    def test_a_good_suite_passes(self, cli, capsys) -> None:
        run, _, _ = cli
        assert run("suites", "check", "--no-gx") == 0
        assert "no problems" in capsys.readouterr().out

    def test_problems_name_file_and_expectation_and_exit_2(self, cli, capsys) -> None:
        run, _, tmp = cli
        (tmp / "expectations" / "people.json").write_text(json.dumps({
            "name": "people", "expectations": [
                {"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "id"}},
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "agee"}},
                {"type": "expect_column_values_to_not_be_null",
                 "kwargs": {"column": "id", "mostly": 5}}]}))

        assert run("suites", "check", "--format", "json") == 2

        problems = json.loads(capsys.readouterr().out)["problems"]
        assert len(problems) == 3
        assert "expectation #1" in problems[0]
        assert "unknown expectation type" in problems[0]
        assert "column 'agee' does not exist" in problems[1]
        assert "table 'people'" in problems[1]
        assert "expectation #3" in problems[2]
        assert "Great Expectations rejects them): mostly: ensure this value is less than or " \
               "equal to 1.0" in problems[2]

    def test_a_column_spelt_in_another_case_is_no_problem_as_validation_finds_it(
            self, cli, capsys) -> None:
        run, _, tmp = cli
        (tmp / "expectations" / "people.json").write_text(json.dumps({
            "name": "people", "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ID"}}]}))

        assert run("suites", "check", "--no-gx") == 0
        assert "no problems" in capsys.readouterr().out
        assert run("validate", "people", "--no-store", "--format", "json") == 0
        [result] = json.loads(capsys.readouterr().out)["results"]
        assert result["error"] is None

    def test_unreadable_files_are_problems(self, cli, capsys) -> None:
        run, _, tmp = cli
        (tmp / "expectations" / "broken.json").write_text("{")
        assert run("suites", "check", "--no-gx") == 2
        out = " ".join(capsys.readouterr().out.split())
        assert "broken.json" in out
        assert "checked 2 suite file(s) (1 not a suite: broken.json): 1 problem(s)" in out


class TestValidate:
    def test_exit_0_when_only_warnings_fail_and_results_are_stored(self, cli, capsys) -> None:
        run, _, _ = cli
        assert run("validate", "people", "--format", "json") == 0
        report = json.loads(capsys.readouterr().out)
        assert report["failed"] == 1
        assert report["blocking"] == 0
        assert report["results"][1]["unexpected_values"] == [130]

        assert run("suites", "history", "people", "--expectation", "age",
                   "--format", "json") == 0
        [stored] = json.loads(capsys.readouterr().out)
        assert stored["success"] is False
        assert stored["unexpected_count"] == 1

    def test_exit_1_when_a_critical_expectation_fails(self, cli, capsys) -> None:
        run, wh, _ = cli
        wh.execute("UPDATE people SET id = NULL WHERE id = 1")
        assert run("validate", "people", "--no-store") == 1
        assert "1 blocking" in capsys.readouterr().out
        assert run("suites", "history", "people") == 0
        assert "no stored expectation results" in capsys.readouterr().out

    def test_a_table_without_suites_is_a_usage_error(self, cli, tmp_path, capsys) -> None:
        run, wh, _ = cli
        config_for(wh, tmp_path, [{"name": "people", "table": "people"}])
        assert run("validate", "people") == 2
        assert "has no 'suites'" in capsys.readouterr().err


class TestValidateArguments:
    def test_a_string_bound_is_a_failed_expectation_in_the_report(self, cli, capsys) -> None:
        run, _, tmp = cli
        (tmp / "expectations" / "people.json").write_text(json.dumps({
            "name": "people", "expectations": [
                {"type": "expect_table_column_count_to_be_between",
                 "kwargs": {"min_value": "three"}},
                {"type": "expect_table_column_count_to_be_between",
                 "kwargs": {"min_value": "2024-01-01"}},
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}]}))

        assert run("validate", "people", "--format", "json") == 1

        results = json.loads(capsys.readouterr().out)["results"]
        assert [r["success"] for r in results] == [False, False, True]
        assert "min_value: value is not a valid float" in results[0]["error"]
        assert "cannot be evaluated with these arguments" in results[1]["error"]


class TestSuitesCheckReportsEverything:
    def test_a_table_naming_a_suite_without_a_file_is_a_problem(self, cli, capsys) -> None:
        run, wh, tmp = cli
        config_for(wh, tmp, [{"name": "people", "table": "people",
                              "suites": ["people", "nosuite"]}])

        assert run("suites", "check", "--no-gx", "--format", "json") == 2

        [problem] = json.loads(capsys.readouterr().out)["problems"]
        assert "table 'people'" in problem
        assert "no suite named 'nosuite'" in problem

    def test_one_bad_severity_hides_no_other_problem(self, cli, capsys) -> None:
        run, _, tmp = cli
        (tmp / "expectations" / "people.json").write_text(json.dumps({
            "name": "people", "expectations": [
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"},
                 "severity": "fatal"},
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "agee"}},
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"},
                 "severity": "high", "colour": "red"}]}))
        (tmp / "expectations" / "other.json").write_text(json.dumps({
            "name": "other", "expectations": [
                {"type": "expect_column_values_to_sparkle", "kwargs": {"column": "id"}}]}))

        assert run("suites", "check", "--no-gx", "--format", "json") == 2

        problems = json.loads(capsys.readouterr().out)["problems"]
        assert len(problems) == 6
        assert "expectation #3 values_to_not_be_null(id): same type and arguments as " \
               "expectation #1" in problems[5]
        assert "other.json: expectation #1 values_to_sparkle(id): unknown expectation" in (
            problems[0])
        assert "people.json: expectation #1 (expect_column_values_to_not_be_null): severity " \
               "'fatal'" in problems[1]
        assert "column 'agee' does not exist" in problems[2]
        assert "expectation #3 (expect_column_values_to_not_be_null): unknown key(s) " \
               "colour" in problems[3]
        assert "expectation #3 (expect_column_values_to_not_be_null): severity 'high'" in (
            problems[4])

    def test_a_bad_severity_hides_no_argument_problem(self, cli, capsys) -> None:
        run, _, tmp = cli
        (tmp / "expectations" / "people.json").write_text(json.dumps({
            "name": "people", "expectations": [
                {"type": "expect_column_values_to_not_be_null",
                 "kwargs": {"column": "id", "mostly": 2}, "severity": "urgent"},
                {"type": "expect_column_values_to_be_between",
                 "kwargs": {"column": "age", "min_value": 10, "max_value": 1},
                 "severity": "bogus"},
                {"type": "expect_column_values_to_be_between",
                 "kwargs": {"column": "age", "min_value": 1, "nope": 1},
                 "severity": "bogus"}]}))

        assert run("suites", "check", "--no-gx", "--format", "json") == 2

        problems = json.loads(capsys.readouterr().out)["problems"]
        text = "\n".join(problems)
        assert sum(": severity 'urgent'" in p or ": severity 'bogus'" in p
                   for p in problems) == 3
        assert "#1 values_to_not_be_null(id): invalid arguments" in text
        assert "mostly: ensure this value is less than or equal to 1" in text
        assert "#2 values_to_be_between(age): invalid arguments (Great Expectations rejects " \
               "them): min_value cannot be greater than max_value" in text
        assert "#3 values_to_be_between(age): unknown argument 'nope'" in text
        assert len(problems) == 6

    def test_unknown_names_are_problems_beside_the_others(self, cli, capsys) -> None:
        run, _, _ = cli

        assert run("suites", "check", "--no-gx", "nope", "people", "--format", "json") == 2

        out = json.loads(capsys.readouterr().out)
        assert out["checked"] == ["people"]
        [problem] = out["problems"]
        assert "no suite named 'nope'" in problem


EVENTS = suite_of("events", [
    spec("column_values_to_be_between", column="at", min_value="2024-01-01",
         max_value="2024-12-31"),
    spec("column_median_to_be_between", column="amount", min_value=0),
    spec("column_values_to_be_between", column="label", min_value=0),
    spec("column_values_to_not_be_null", column="amount"),
])


@pytest.fixture(params=["sqlite", "duckdb"])
def events_cli(request: pytest.FixtureRequest, tmp_path: Path):
    import datetime as dt

    from tests.helpers.warehouses import duckdb_warehouse

    wh = (sqlite_warehouse if request.param == "sqlite" else duckdb_warehouse)(tmp_path)
    wh.create_table("events", {"at": sa.DateTime(), "amount": sa.Float(),
                               "label": sa.String(10)},
                    [{"at": dt.datetime(2024, 3, 1) + dt.timedelta(days=i), "amount": float(i),
                      "label": f"l{i}"} for i in range(20)])
    config_for(wh, tmp_path, [{"name": "events", "table": "events", "suites": ["events"]}],
               suites={"events": EVENTS})

    def run(*args: str) -> int:
        return main(["--config", str(tmp_path / "monitor.yaml"), *args])

    yield run, wh.kind
    wh.dispose()


class TestWhatShowSaysIsWhatRuns:
    def test_show_names_the_evaluator_validation_uses(self, events_cli, capsys) -> None:
        run, kind = events_cli

        assert run("suites", "show", "events", "--format", "json") == 0
        shown = [e["evaluated_by"] for e in json.loads(capsys.readouterr().out)["expectations"]]
        assert run("validate", "events", "--no-store", "--format", "json") in (0, 1)
        ran = [r["engine"] for r in json.loads(capsys.readouterr().out)["results"]]

        assert shown[0] == "SQL"  # dates as bounds are pushed down
        assert ran[0] == "sql"
        assert shown[3] == "SQL"
        assert ran[3] == "sql"
        if kind == "sqlite":
            assert shown[1:3] == ["GX", "GX"]
            assert ran[1:3] == ["gx", "gx"]
        else:
            assert shown[1].startswith("not evaluated: Great Expectations cannot validate DuckDB")
            assert ran[1:3] == ["none", "none"]

    def test_check_reports_what_can_never_run_on_the_engine(self, events_cli,
                                                            capsys) -> None:
        run, kind = events_cli

        code = run("suites", "check", "--no-gx", "--format", "json")

        problems = json.loads(capsys.readouterr().out)["problems"]
        if kind == "sqlite":
            assert (code, problems) == (0, [])
            return
        assert code == 2
        assert [p.split(":")[1] for p in problems] == [
            " expectation #2 median_to_be_between(amount)",
            " expectation #3 values_to_be_between(label)"]
        assert all("can never be evaluated on table 'events' (duckdb)" in p for p in problems)

    def test_tables_that_differ_are_named_and_unused_suites_say_it_depends(
            self, tmp_path: Path, capsys) -> None:
        wh = sqlite_warehouse(tmp_path)
        wh.create_table("a", {"v": sa.Float()}, [{"v": 1.0}])
        wh.create_table("b", {"v": sa.String(5)}, [{"v": "x"}])
        between = suite_of("between", [
            spec("column_values_to_be_between", column="v", min_value=0),
            spec("table_row_count_to_be_between", min_value=1),
            spec("column_median_to_be_between", column="v", min_value=0)])
        config_for(wh, tmp_path, [{"name": "a", "table": "a", "suites": ["between"]},
                                  {"name": "b", "table": "b", "suites": ["between"]},
                                  {"name": "gone", "table": "gone", "suites": ["between"]}],
                   suites={"between": between, "unused": between})
        base = ["--config", str(tmp_path / "monitor.yaml")]

        assert main([*base, "suites", "show", "between", "--format", "json"]) == 0
        used = json.loads(capsys.readouterr().out)
        assert main([*base, "suites", "show", "unused", "--format", "json"]) == 0
        unused = json.loads(capsys.readouterr().out)

        assert used["expectations"][0]["evaluated_by"] == "SQL (a); GX (b)"
        [problem] = used["problems"]
        assert "cannot reflect table 'gone'" in problem
        assert [e["evaluated_by"] for e in unused["expectations"]] == [
            "SQL or GX (by the column's type)", "SQL", "GX"]
        wh.dispose()


class TestWhatGxCannotRunOnSql:
    def test_show_check_and_validate_agree(self, wh, tmp_path: Path, capsys) -> None:
        # Arrange: three types GX implements for pandas only, one unparseable row_condition
        wh.create_table("people", {"id": sa.Integer(), "day": sa.String(10)},
                        [{"id": i, "day": f"2026-01-{i + 1:02d}"} for i in range(5)])
        suite = suite_of("p", [
            spec("column_values_to_be_increasing", column="id"),
            spec("column_values_to_match_strftime_format", column="day",
                 strftime_format="%Y-%m-%d"),
            spec("column_values_to_be_dateutil_parseable", column="day"),
            spec("column_median_to_be_between", column="id", min_value=0,
                 row_condition='col("id") >>> 1', condition_parser="great_expectations"),
            spec("column_values_to_not_be_null", column="id")])
        config_for(wh, tmp_path, [{"name": "people", "table": "people", "suites": ["p"]}],
                   suites={"p": suite})
        base = ["--config", str(tmp_path / "monitor.yaml")]

        # Act
        shown_code = main([*base, "suites", "show", "p", "--format", "json"])
        shown = [e["evaluated_by"] for e in json.loads(capsys.readouterr().out)["expectations"]]
        check_code = main([*base, "suites", "check", "--format", "json"])
        problems = json.loads(capsys.readouterr().out)["problems"]
        main([*base, "validate", "people", "--no-store", "--format", "json"])
        results = json.loads(capsys.readouterr().out)["results"]

        # Assert
        assert (shown_code, check_code) == (0, 2)
        assert all(s.startswith("not evaluated: Great Expectations implements") and
                   "for pandas and Spark only" in s for s in shown[:3])
        assert shown[3].startswith("not evaluated: GX rejects it")
        assert shown[4] == "SQL"
        assert [p.split(": ")[1] for p in problems] == [
            "expectation #1 values_to_be_increasing(id)",
            "expectation #2 values_to_match_strftime_format(day)",
            "expectation #3 values_to_be_dateutil_parseable(day)",
            "expectation #4 median_to_be_between(id)"]
        assert all("No provider found" not in (r["error"] or "") for r in results[:3])
        assert [r["engine"] for r in results[:3]] == ["none"] * 3

    def test_a_suite_no_table_uses_says_the_same(self, cli, capsys) -> None:
        run, wh, tmp = cli
        unused = suite_of("unused", [
            spec("column_values_to_be_increasing", column="id"),
            spec("column_median_to_be_between", column="id", min_value=0,
                 row_condition='col("id") >>> 1', condition_parser="great_expectations"),
            spec("column_median_to_be_between", column="id", min_value=0)])
        config_for(wh, tmp, [{"name": "people", "table": "people", "suites": ["people"]}],
                   suites={"people": SUITE, "unused": unused})

        assert run("suites", "show", "unused", "--format", "json") == 0

        shown = json.loads(capsys.readouterr().out)["expectations"]
        assert shown[0]["evaluated_by"].startswith("not evaluated: Great Expectations "
                                                   "implements")
        assert shown[1]["evaluated_by"].startswith("not evaluated: GX rejects it")
        assert (shown[2]["evaluated_by"], shown[1]["evaluated_by_table"]) == ("GX", {})
