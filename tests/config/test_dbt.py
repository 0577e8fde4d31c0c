"""Entries from a dbt manifest (tests/data/dbt/manifest.json, shaped as dbt's v12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config.dbt import from_manifest, manifest_version, read_manifest
from monitor.errors import ConfigError

MANIFEST = Path(__file__).parents[1] / "data" / "dbt" / "manifest.json"
V12 = "https://schemas.getdbt.com/dbt/manifest/v12.json"
#: The keys the reader looks at, so that random documents reach its every branch.
KEYS = ("resource_type", "name", "schema", "alias", "identifier", "config", "meta", "tags",
        "enabled", "materialized", "group", "owner", "owners", "columns", "pii",
        "loaded_at_field", "freshness", "error_after", "warn_after", "count", "period",
        "source_meta", "description", "dq-monitor", "timestamp_column", "bucket", "email",
        "model", "source", "hour")


class TestReadManifest:
    def test_the_committed_manifest_is_v12(self) -> None:
        assert manifest_version(read_manifest(MANIFEST), str(MANIFEST)) == 12

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"manifest.json: dbt manifest not found"):
            read_manifest(tmp_path / "manifest.json")

    def test_invalid_json_says_where(self, tmp_path: Path) -> None:
        path = tmp_path / "manifest.json"
        path.write_text('{"metadata": {\n  "dbt_schema_version": }')

        with pytest.raises(ConfigError, match=r"not a dbt manifest: invalid JSON at line 2"):
            read_manifest(path)

    @pytest.mark.parametrize(("document", "message"), [
        ([], "the top level is list"),
        ({"nodes": {}}, "no metadata.dbt_schema_version"),
        ({"metadata": {"dbt_schema_version":
                       "https://schemas.getdbt.com/dbt/manifest/v5.json"}},
         r"metadata.dbt_schema_version: .*v5.json' is not a supported manifest version "
         r"\(supported: v10, v11, v12"),
        ({"metadata": {"dbt_schema_version":
                       "https://schemas.getdbt.com/dbt/manifest/v12.json"}, "nodes": []},
         "nodes: expected an object"),
    ])
    def test_what_is_not_a_supported_manifest(self, tmp_path: Path, document: object,
                                              message: str) -> None:
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(document))

        with pytest.raises(ConfigError, match=message):
            read_manifest(path)

    def test_a_model_without_a_schema_is_named(self, tmp_path: Path) -> None:
        manifest = json.loads(MANIFEST.read_text())
        del manifest["nodes"]["model.shop.fct_orders"]["schema"]
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(manifest))

        with pytest.raises(ConfigError, match=r"nodes.model.shop.fct_orders: missing schema"):
            from_manifest(path, "wh")


class TestFromManifest:
    def test_models_and_sources_with_owners_tags_and_descriptions(self) -> None:
        proposals, left_out = from_manifest(MANIFEST, "wh")
        found = {p.name: p for p in proposals}

        assert sorted(found) == ["dim_customers", "events", "fct_orders", "orders"]
        assert left_out == ["model.shop.int_paid_orders (ephemeral: no table)"]
        assert found["dim_customers"].entry == {
            "name": "dim_customers", "warehouse": "wh", "table": "dim_customers",
            "schema": "main", "timestamp_column": "signup_at", "bucket": "day",
            "owners": ["@crm"], "tags": ["crm", "pii"],
            "columns": {"email": {"tags": ["pii"]}, "full_name": {"tags": ["pii"]}}}
        assert found["dim_customers"].comment == "One row per customer.\nPersonal data: email."
        # the owner of the model's group
        assert found["fct_orders"].entry["owners"] == ["finance-data@example.com"]

    def test_a_sources_loaded_at_field_and_freshness(self) -> None:
        found = {p.name: p for p in from_manifest(MANIFEST, "wh")[0]}

        orders, events = found["orders"], found["events"]
        assert orders.entry == {
            "name": "orders", "warehouse": "wh", "table": "orders", "schema": "main",
            "timestamp_column": "loaded_at", "bucket": "day", "owners": ["@data-eng"],
            "tags": ["sales", "tier-1"], "thresholds": {"freshness_sla": "26h"}}
        assert "loaded_at: the source's loaded_at_field" in orders.reasons
        assert "freshness_sla 26h: the source's freshness.error_after" in orders.reasons
        # the table's own meta over its source's; warn_after when there is no error_after
        assert events.entry["owners"] == ["@web-analytics", "@data-eng"]
        assert events.entry["thresholds"] == {"freshness_sla": "1d"}
        assert events.comment == "Click stream of the shop's web site."


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8)
                     | st.sampled_from(KEYS),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4), max_leaves=12)


class TestBadInput:
    def test_wrong_types_in_a_model_and_a_source_are_ignored(self, tmp_path: Path) -> None:
        manifest = json.loads(MANIFEST.read_text())
        model = manifest["nodes"]["model.shop.fct_orders"]
        model.update(alias=["x"], group=["finance"], description={"a": 1})
        manifest["sources"]["source.shop.raw_shop.orders"]["freshness"] = {
            "error_after": {"count": 2, "period": ["hour"]}}
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(manifest))

        found = {p.name: p for p in from_manifest(path, "wh")[0]}

        assert found["fct_orders"].entry["table"] == "fct_orders"
        assert "owners" not in found["fct_orders"].entry
        assert found["fct_orders"].comment is None
        assert "thresholds" not in found["orders"].entry

    @settings(max_examples=200, deadline=None)
    @given(nodes=st.dictionaries(st.text(max_size=5), _JSON, max_size=3),
           sources=st.dictionaries(st.text(max_size=5), _JSON, max_size=3),
           groups=_JSON)
    def test_any_manifest_gives_entries_or_a_config_error(
            self, tmp_path_factory: pytest.TempPathFactory, nodes: dict[str, object],
            sources: dict[str, object], groups: object) -> None:
        path = tmp_path_factory.mktemp("m") / "manifest.json"
        path.write_text(json.dumps({"metadata": {"dbt_schema_version": V12}, "nodes": nodes,
                                    "sources": sources, "groups": groups}))

        try:
            proposals, _ = from_manifest(path, "wh")
        except ConfigError as error:
            assert str(error).startswith(f"{path}: ")
        else:
            assert all(isinstance(p.entry["table"], str) for p in proposals)
