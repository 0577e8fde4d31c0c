"""Check names people read instead of stored keys."""

from __future__ import annotations

import pytest

from monitor.alerts.check_names import check_name, incident_check_name


class TestCheckName:
    @pytest.mark.parametrize(("check", "fields", "name"), [
        ("volume:row_count", {"kind": "anomaly", "metric": "row_count"}, "rows"),
        ("segments:volume", {"kind": "anomaly", "metric": "row_count"}, "rows per segment"),
        ("segments:null_rate:email", {"kind": "anomaly", "metric": "null_rate",
                                      "column": "email"}, "null rate of email per segment"),
        ("null_rate:email", {"kind": "anomaly", "metric": "null_rate", "column": "email"},
         "null rate of email"),
        ("freshness", {"kind": "anomaly", "metric": "freshness_seconds"}, "data age"),
        ("distinct_count:sku", {"kind": "anomaly", "metric": "distinct_count",
                                "column": "sku"}, "distinct count of sku"),
        ("suite:orders:e4339a0c5d1f9b2a", {"kind": "expectation",
                                           "metric": "expect_table_row_count_to_be_between"},
         "expectation: table row count to be between"),
        ("schema", {"kind": "schema"}, "schema"),
        ("rule:min_row_count", {"kind": "rule", "metric": "row_count"}, "min row count"),
        ("suite:orders", {"kind": "run"}, "suite orders"),
        ("metadata:row_count_estimate", {"kind": "anomaly", "metric": "row_count_estimate"},
         "rows (catalog estimate)"),
    ])
    def test_names(self, check: str, fields: dict, name: str) -> None:
        assert check_name(check, **fields) == name

    def test_an_unknown_key_is_shown_with_its_hash_cut(self) -> None:
        assert check_name("gate:orders:0123456789abcdef0123") == "gate:orders:01234567"

    @pytest.mark.parametrize(("check", "name"), [
        ("volume:row_count", "rows"), ("null_rate:amount", "null rate of amount"),
        ("distinct_count:sku", "distinct count of sku"), ("freshness", "data age"),
        ("suite:orders:e4339a0c5d1f9b2a", "expectation e4339a0c of suite orders"),
        ("suite:orders", "suite orders"), ("run", "run"),
        ("metadata:modified_age_estimate_seconds",
         "time since last change (catalog estimate)")])
    def test_without_a_finding_the_key_is_read(self, check: str, name: str) -> None:
        assert check_name(check) == name


class TestIncidentCheckName:
    def test_from_the_stored_finding(self) -> None:
        details = {"finding": {"kind": "anomaly", "metric": "null_rate", "column": "email"}}

        assert incident_check_name("null_rate:email", details) == "null rate of email"
        assert incident_check_name("volume:row_count", {}) == "rows"
