"""The catalog of expectation types matches GX's own registry (fails when GX changes)."""

from __future__ import annotations

from monitor.validation.catalog import CATALOG, allowed_kwargs, known_types, required_kwargs

_GX_ONLY_FIELDS = {"id", "meta", "notes", "result_format", "description", "catch_exceptions",
                   "rendered_content", "windows", "batch_id", "severity"}


def _registry() -> dict[str, tuple[set[str], set[str]]]:
    from great_expectations.expectations.registry import _registered_expectations

    from monitor.validation.gx import gx_context

    gx_context()
    out = {}
    for name, cls in _registered_expectations.items():
        if not cls.__module__.startswith("great_expectations.expectations.core"):
            continue
        fields = cls.__fields__
        required = {k for k, f in fields.items() if f.required}
        optional = {k for k in fields if k not in required and k not in _GX_ONLY_FIELDS}
        out[name] = (required, optional)
    return out


class TestCatalog:
    def test_the_same_types_and_arguments_as_gx(self) -> None:
        registry = _registry()

        assert set(CATALOG) == set(registry)
        for name, (required, optional) in registry.items():
            assert set(required_kwargs(name)) == required, name
            assert set(CATALOG[name][1]) == optional, name


class TestLookups:
    def test_known_types_are_sorted(self) -> None:
        assert list(known_types()) == sorted(CATALOG)

    def test_allowed_includes_the_common_arguments(self) -> None:
        assert {"result_format", "catch_exceptions", "column", "value_set"} <= allowed_kwargs(
            "expect_column_values_to_be_in_set")
