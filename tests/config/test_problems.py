"""Config problems with key paths: ${VAR} resolution and cross-references."""

from __future__ import annotations

from monitor.config.problems import MAX_DEPTH, Interpolation, raw_references, reference_problems
from monitor.config.secrets import Secrets


class TestReferenceProblems:
    def test_unknown_warehouses_and_duplicates_each_with_its_index(self) -> None:
        problems = reference_problems([("a", "w"), ("b", "x"), ("a", "w")], ["w", "v"])

        assert problems == [("tables[1].warehouse", "unknown warehouse 'x' (defined: v, w)"),
                            ("tables[2].name", "duplicate table name 'a'")]

    def test_values_of_the_wrong_type_are_left_to_the_type_check(self) -> None:
        assert reference_problems([(["a"], 5), (["a"], None)], []) == []


class TestRawReferences:
    def test_reads_the_data_as_written(self) -> None:
        data = {"warehouses": {"w": "x"}, "tables": [{"name": "a", "warehouse": "q"}, "junk"]}

        assert raw_references(data) == [("tables[0].warehouse",
                                         "unknown warehouse 'q' (defined: w)")]

    def test_nothing_to_check_when_the_sections_are_broken(self) -> None:
        assert raw_references({"warehouses": [], "tables": {}}) == []


class TestInterpolation:
    def test_unset_optional_variables_are_named_below_a_path(self) -> None:
        env = Interpolation({}, Secrets())

        data = env.resolve({"a": {"token": "${TOKEN}", "url": "x://u:${PW}@h"}})

        assert data == {"a": {"token": None, "url": "x://u:${PW}@h"}}
        assert env.problems == [("a.url", "environment variable PW is not set")]
        assert env.unset_below("a") == "; not set in the environment: ${TOKEN} (a.token)"
        assert env.unset_below("b") == ""

    def test_nesting_is_bounded(self) -> None:
        deep: object = 1
        for _ in range(MAX_DEPTH + 5):
            deep = {"k": deep}
        env = Interpolation({}, Secrets())

        env.resolve(deep)

        assert env.problems == [("k" + ".k" * MAX_DEPTH, f"nested more than {MAX_DEPTH} "
                                                         "levels deep")]
