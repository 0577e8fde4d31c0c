"""Suite files: parsing, lookup beside the config, and checks without running them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.config.models import parse_config
from monitor.errors import ConfigError, InputError
from monitor.validation.suites import (
    ExpectationSpec,
    check_suite,
    load_suite,
    load_suites,
    parse_suite,
    read_suite,
    suite_files,
    suite_path,
)

REPO = Path(__file__).resolve().parents[2]


def _suite(*expectations: dict[str, Any], name: str = "s") -> dict[str, Any]:
    return {"name": name, "expectations": list(expectations)}


def _config(tmp: Path, **top: Any):
    return parse_config({"store": "sqlite:///:memory:",
                         "warehouses": {"w": "sqlite:///:memory:"},
                         "tables": [{"name": "orders", "warehouse": "w", "table": "orders",
                                     "suites": ["orders"]}], **top},
                        base_dir=tmp, source=str(tmp / "monitor.yaml"))


class TestParseSuite:
    def test_reads_gx_fields_and_defaults_severity_to_critical(self) -> None:
        suite = parse_suite(_suite(
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"},
             "id": "x", "meta": {"owner": "me"}},
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"},
             "severity": "warning"}), source="f.json")

        first, second = suite.expectations
        assert (first.severity, first.id, dict(first.meta)) == ("critical", "x", {"owner": "me"})
        assert second.severity == "warning"
        assert second.index == 1
        assert suite.severities() == {"critical": 1, "warning": 1, "info": 0}

    @pytest.mark.parametrize(("data", "words"), [
        ([], "one JSON object"),
        ({"expectations": []}, "no 'name'"),
        (_suite({"kwargs": {}}), "expectation #1: has no 'type'"),
        (_suite({"type": "t", "kwargs": []}), "'kwargs' must be an object"),
        (_suite({"type": "t", "severity": "fatal"}), "severity 'fatal'"),
        (_suite({"type": "t", "colour": "red"}), "unknown key(s) colour"),
        ({"name": "s", "expectations": {}}, "must be a list"),
    ])
    def test_structural_problems_name_the_file_and_expectation(self, data, words) -> None:
        with pytest.raises(InputError, match=r"f\.json") as error:
            parse_suite(data, source="f.json")
        assert words in str(error.value)

    @settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
    @given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                        lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(
                            ["name", "expectations", "type", "kwargs", "severity", "meta"]),
                            inner, max_size=4), max_leaves=12))
    def test_any_json_gives_a_suite_or_an_input_error(self, data: Any) -> None:
        problem = None
        try:
            suite = parse_suite(data, source="f.json")
        except InputError as error:
            problem = str(error)
        if problem is not None:
            assert problem.startswith("f.json: ")
        else:
            assert all(s.suite == suite.name for s in suite.expectations)


class TestReadSuite:
    def test_every_problem_of_every_expectation_at_once(self) -> None:
        suite, problems = read_suite(_suite(
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"},
             "severity": "fatal", "meta": "x", "colour": 1},
            "not an object",
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "a"}}),
            source="f.json")

        assert [str(p) for p in problems] == [
            "f.json: expectation #1 (expect_column_values_to_not_be_null): unknown key(s) "
            "colour",
            "f.json: expectation #1 (expect_column_values_to_not_be_null): 'meta' must be an "
            "object",
            "f.json: expectation #1 (expect_column_values_to_not_be_null): severity 'fatal' "
            "is not one of critical, warning, info",
            "f.json: expectation #2: must be a JSON object"]
        # Kept for the argument checks: every expectation with a type and arguments.
        assert [s.index for s in suite.expectations] == [0, 2]

    @settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
    @given(st.dictionaries(st.sampled_from(["name", "expectations", "meta"]), st.one_of(
        st.text(max_size=3), st.lists(st.dictionaries(st.sampled_from(
            ["type", "kwargs", "severity", "meta", "x"]), st.one_of(
                st.none(), st.text(max_size=3), st.sampled_from(["warning", "info"]),
                st.dictionaries(st.text(max_size=2), st.integers())), max_size=4),
            max_size=4)), max_size=3))
    def test_never_raises_and_parse_suite_fails_exactly_when_it_finds_problems(
            self, data: dict[str, Any]) -> None:
        suite, problems = read_suite(data, source="f.json")

        try:
            parse_suite(data, source="f.json")
        except InputError as error:
            assert problems
            assert all(str(p) in str(error) for p in problems)
        else:
            assert not problems
            assert suite is not None


class TestExpectationSpec:
    def test_key_depends_on_type_and_arguments_only(self) -> None:
        a = ExpectationSpec("s", "expect_x", {"column": "a", "mostly": 0.9}, severity="info")
        b = ExpectationSpec("t", "expect_x", {"mostly": 0.9, "column": "a"}, index=4)
        c = ExpectationSpec("s", "expect_x", {"column": "a", "mostly": 0.8})
        assert a.key == b.key != c.key
        assert len(a.key) == 32

    def test_columns_of_every_column_argument(self) -> None:
        pair = ExpectationSpec("s", "expect_column_pair_values_to_be_equal",
                               {"column_A": "a", "column_B": "b"})
        many = ExpectationSpec("s", "expect_compound_columns_to_be_unique",
                               {"column_list": ["a", "c"]})
        assert pair.columns() == ("a", "b")
        assert many.columns() == ("a", "c")
        assert many.label == "compound_columns_to_be_unique(a, c)"


class TestLoadSuite:
    def test_bad_json_names_line_and_column(self, tmp_path: Path) -> None:
        path = tmp_path / "s.json"
        path.write_text('{"name": "s",\n "expectations": [}')
        with pytest.raises(InputError, match=r"s.json: not valid JSON at line 2"):
            load_suite(path)

    def test_a_byte_order_mark_is_fine(self, tmp_path: Path) -> None:
        path = tmp_path / "s.json"
        path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_suite()).encode())
        assert load_suite(path).name == "s"

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(InputError, match="suite file not found"):
            load_suite(tmp_path / "nope.json")


class TestSuiteLookup:
    def test_expectations_folder_beside_the_config_by_default(self, tmp_path: Path) -> None:
        (tmp_path / "expectations").mkdir()
        (tmp_path / "expectations" / "orders.json").write_text(json.dumps(_suite(
            name="orders")))
        config = _config(tmp_path)

        [suite] = load_suites(config, config.table("orders"))

        assert suite.name == "orders"
        assert [p.name for p in suite_files(config)] == ["orders.json"]

    def test_expectations_dir_relative_to_the_config(self, tmp_path: Path) -> None:
        (tmp_path / "suites").mkdir()
        (tmp_path / "suites" / "orders.json").write_text(json.dumps(_suite(name="orders")))
        config = _config(tmp_path, expectations_dir="suites")

        assert suite_path(config, "orders") == (tmp_path / "suites" / "orders.json").resolve()

    def test_an_unknown_suite_names_the_table_and_what_exists(self, tmp_path: Path) -> None:
        (tmp_path / "expectations").mkdir()
        (tmp_path / "expectations" / "events.json").write_text(json.dumps(_suite()))
        config = _config(tmp_path)

        with pytest.raises(ConfigError, match=r"table 'orders'.*no suite named 'orders'.*"
                                              r"suites there: events"):
            load_suites(config, config.table("orders"))

    def test_the_shipped_config_finds_the_shipped_suites(self) -> None:
        from monitor.config.models import load_config

        config = load_config(REPO / "config" / "monitor.yaml")
        for table in config.tables:
            assert [s.name for s in load_suites(config, table)] == table.suites


class TestCheckSuite:
    def _check(self, *expectations: dict[str, Any], columns=None) -> list[str]:
        return [str(p) for p in check_suite(parse_suite(_suite(*expectations),
                                                        source="f.json"), columns)]

    def test_unknown_type_with_a_suggestion(self) -> None:
        [problem] = self._check({"type": "expect_column_values_to_be_nul",
                                 "kwargs": {"column": "a"}})
        assert problem.startswith("f.json: expectation #1")
        assert "did you mean 'expect_column_values_to_be_null'" in problem

    def test_missing_and_unknown_arguments(self) -> None:
        problems = self._check({"type": "expect_column_values_to_be_in_set",
                                "kwargs": {"column": "a", "value_sett": [1]}})
        assert any("missing argument(s) value_set" in p for p in problems)
        assert any("unknown argument 'value_sett' (did you mean 'value_set'?)" in p
                   for p in problems)

    def test_unknown_columns_when_the_table_is_known(self) -> None:
        problems = self._check(
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "amount"}},
            {"type": "expect_column_to_exist", "kwargs": {"column": "gone"}},
            columns=["id", "price"])
        assert problems == ["f.json: expectation #1 values_to_not_be_null(amount): column "
                            "'amount' does not exist (columns: id, price)"]

    def test_duplicates(self) -> None:
        same = {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}
        [problem] = self._check(same, same)
        assert "expectation #2" in problem
        assert "same type and arguments as expectation #1" in (
            problem)

    def test_the_shipped_suites_have_no_problems(self) -> None:
        for path in sorted((REPO / "expectations").glob("*.json")):
            assert check_suite(load_suite(path)) == []


class TestCheckSuiteArguments:
    def test_arguments_gx_rejects_are_problems_without_gx(self) -> None:
        suite = parse_suite(_suite(
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "a", "min_value": 10, "max_value": 0}},
            {"type": "expect_table_column_count_to_be_between",
             "kwargs": {"min_value": "three"}},
            {"type": "expect_column_values_to_be_between",
             "kwargs": {"column": "a", "min_value": "10"}}), source="f.json")

        problems = [str(p) for p in check_suite(suite)]

        assert problems == [
            "f.json: expectation #1 values_to_be_between(a): invalid arguments (Great "
            "Expectations rejects them): min_value cannot be greater than max_value",
            "f.json: expectation #2 table_column_count_to_be_between: invalid arguments "
            "(Great Expectations rejects them): min_value: value is not a valid float, value "
            "is not a valid dict, invalid date format, invalid datetime format"]
