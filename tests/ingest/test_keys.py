"""Keys a batch must respect: read from the target's constraints and the suites, then checked."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from monitor.ingest.keys import TargetKey, constraint_keys, key_checks, suite_keys, target_keys
from monitor.ingest.publish import create_staging, drop_staging, load_staging, staging_name
from tests.helpers.gate import spec, suite_of
from tests.helpers.warehouses import WarehouseUnderTest


def _keyed(w: WarehouseUnderTest, *, index: bool = True):
    name = f"{w.schema}.keyed" if w.schema else "keyed"
    w.execute(f"CREATE TABLE {name} (id BIGINT PRIMARY KEY, a INTEGER, b INTEGER, "
              f"code VARCHAR(10), UNIQUE (a, b))")
    if index and w.kind != "duckdb":  # DuckDB's unique indexes are not in information_schema
        w.execute(f"CREATE UNIQUE INDEX ix_code ON {name} (code)")
    w.execute(f"INSERT INTO {name} VALUES (1, 1, 1, 'x'), (2, 1, 2, 'y')")
    wh = w.warehouse()
    return wh, wh.describe("keyed", w.schema)


class TestConstraintKeys:
    def test_primary_key_unique_constraints_and_indexes(self, warehouse) -> None:
        wh, target = _keyed(warehouse)

        keys = constraint_keys(wh, target)

        found = {k.columns: k.origin.split()[0] for k in keys}
        expected = {("id",): "primary", ("a", "b"): "unique"}
        if warehouse.kind != "duckdb":
            expected[("code",)] = "unique"
        assert found == expected
        assert all(k.enforced and k.severity == "critical" for k in keys)

    def test_a_table_without_keys_has_none(self, warehouse) -> None:
        warehouse.create_table("plain", {"id": sa.Integer()})
        wh = warehouse.warehouse()
        assert constraint_keys(wh, wh.describe("plain", warehouse.schema)) == []


class TestSuiteKeys:
    def test_uniqueness_expectations_become_keys(self, warehouse) -> None:
        _, target = _keyed(warehouse, index=False)
        suite = suite_of("s", [
            spec("column_values_to_be_unique", column="CODE", severity="warning"),
            spec("compound_columns_to_be_unique", column_list=["a", "id"]),
            spec("column_values_to_be_unique", column="a", mostly=0.9),  # tolerates repeats
            spec("column_values_to_be_unique", column="missing"),
            spec("column_values_to_not_be_null", column="id"),
        ])

        keys = suite_keys(target, [suite])

        assert [(k.columns, k.severity, k.enforced) for k in keys] == [
            (("code",), "warning", False), (("a", "id"), "critical", False)]
        assert keys[0].origin == "suite s: values_to_be_unique(CODE)"


class TestTargetKeys:
    def test_one_key_per_set_of_columns_constraints_first(self, warehouse) -> None:
        wh, target = _keyed(warehouse, index=False)
        suite = suite_of("s", [spec("column_values_to_be_unique", column="id",
                                    severity="warning"),
                               spec("compound_columns_to_be_unique", column_list=["b", "a"])])

        keys = target_keys(wh, target, [suite])

        assert sorted((k.columns, k.origin.split()[0]) for k in keys) == [
            (("a", "b"), "unique"), (("id",), "primary")]


class TestKeyChecks:
    @pytest.fixture
    def staged(self, warehouse):
        wh, target = _keyed(warehouse, index=False)
        staging = create_staging(wh, target, staging_name("keyed", "k" * 32),
                                 ["id", "a", "b", "code"])
        frame = pd.DataFrame({"id": [2, 3, 4, 4], "a": [1, 1, 5, 6], "b": [1, 9, 5, 6],
                              "code": ["y", "z", None, None]}, dtype=object)
        load_staging(wh, staging, frame, range(4))
        yield wh, target, staging
        drop_staging(wh, staging)

    def test_rows_already_in_the_target_and_repeats_inside_the_batch(self, staged) -> None:
        wh, target, staging = staged
        keys = [TargetKey(("id",), "primary key"), TargetKey(("a", "b"), "unique constraint u"),
                TargetKey(("code",), "suite s: values_to_be_unique(code)", "warning", False)]

        checks, failures = key_checks(wh, target, staging, keys, pii={"b"})

        by_name = {c.check: c for c in checks}
        assert by_name["key:id"].reason == (
            f"1 row(s) have a primary key value already in {target.qualified} (e.g. id=2)")
        assert by_name["key:id"].row_level
        assert by_name["key:id:batch"].blocking
        assert not by_name["key:id:batch"].row_level
        assert by_name["key:a,b"].reason.endswith("(e.g. a=1, b=***)")  # b is pii
        assert "key:a,b:batch" not in by_name
        assert (by_name["key:code"].passed, by_name["key:code"].severity) == (False, "warning")
        assert [f.label for f in failures] == ["already_in_target(id)",
                                               "already_in_target(a, b)"]
        with wh.connect() as conn:
            flagged = [sorted(conn.execute(sa.select(staging.table.c.id).where(f.condition))
                              .scalars()) for f in failures]
        assert flagged == [[2], [2]]

    def test_a_clean_batch_passes_every_key(self, warehouse) -> None:
        wh, target = _keyed(warehouse, index=False)
        staging = create_staging(wh, target, staging_name("keyed", "c" * 32), ["id", "a"])
        load_staging(wh, staging, pd.DataFrame({"id": [7, 8], "a": [3, 3]}, dtype=object),
                     range(2))
        try:
            checks, failures = key_checks(wh, target, staging,
                                          [TargetKey(("id",), "primary key"),
                                           TargetKey(("a", "b"), "unique constraint u")])
        finally:
            drop_staging(wh, staging)
        assert [(c.check, c.passed) for c in checks] == [("key:id", True)]  # b not staged
        assert failures == []
