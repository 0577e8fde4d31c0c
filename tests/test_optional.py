"""Optional dependencies: which extra installs a missing package, and the error that says so."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from monitor.errors import ConfigError, ExitCode
from monitor.optional import (
    EXTRAS,
    MissingExtra,
    check_installed,
    installed,
    missing_dialect,
    missing_extra,
    require,
)


def absent(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """As if ``module`` were not installed (``sys.modules[name] = None`` blocks its import)."""
    for name in [m for m in sys.modules if m.startswith(f"{module}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)


class TestMissingExtraClass:
    def test_message_names_purpose_package_and_extra(self) -> None:
        error = MissingExtra.for_module("duckdb_engine", "warehouse 'dw'")

        assert str(error) == ("warehouse 'dw' needs duckdb-engine, which is not installed: "
                              "pip install 'dq-monitor[duckdb]'")
        assert error.extra == "duckdb"
        assert isinstance(error, ConfigError)
        assert error.exit_code == ExitCode.BAD_INPUT

    def test_every_module_is_in_its_extra_of_pyproject_and_dev_has_them_all(self) -> None:
        project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
        extras = project["project"]["optional-dependencies"]
        core = " ".join(project["project"]["dependencies"])

        for module, (extra, distribution) in EXTRAS.items():
            assert any(req.startswith(f"{distribution}>=") for req in extras[extra]), module
            assert f"{distribution}>=" not in core, module
        named = {extra for extra, _ in EXTRAS.values()}
        assert f"dq-monitor[{','.join(sorted(named, key=list(extras).index))}]" in extras["dev"]


class TestMissingExtraFunction:
    def test_an_absent_optional_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        absent(monkeypatch, "streamlit")
        with pytest.raises(ImportError) as raised:
            import streamlit  # noqa: F401

        found = missing_extra(raised.value)

        assert found is not None
        assert found.extra == "dashboard"

    def test_a_submodule_of_an_absent_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        absent(monkeypatch, "great_expectations")
        with pytest.raises(ImportError) as raised:
            from great_expectations.core import ExpectationSuite  # noqa: F401

        found = missing_extra(raised.value, "validating")

        assert found is not None
        assert str(found).startswith("validating needs great-expectations")

    def test_a_core_package_or_an_installed_one_is_not_an_extra(self) -> None:
        assert missing_extra(ModuleNotFoundError(name="pandas")) is None
        assert missing_extra(ModuleNotFoundError(name="duckdb.nothing_here")) is None
        assert missing_extra(ImportError("no name")) is None


class TestRequire:
    def test_an_installed_module_is_returned(self) -> None:
        assert require("duckdb", "x").__name__ == "duckdb"

    def test_an_absent_one_raises_naming_the_extra(self, monkeypatch: pytest.MonkeyPatch
                                                   ) -> None:
        absent(monkeypatch, "altair")

        with pytest.raises(MissingExtra, match=r"charts needs altair.*dq-monitor\[dashboard\]"):
            require("altair", "charts")


class TestInstalled:
    def test_installed_absent_and_blocked(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert installed("duckdb")
        assert not installed("no_such_package_here")
        absent(monkeypatch, "duckdb_engine")
        assert not installed("duckdb_engine")

    def test_check_installed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        check_installed("streamlit", "the dashboard")
        absent(monkeypatch, "streamlit")

        with pytest.raises(MissingExtra, match="the dashboard needs streamlit"):
            check_installed("streamlit", "the dashboard")


class TestMissingDialect:
    def test_duckdb_and_others(self) -> None:
        found = missing_dialect("duckdb")

        assert found is not None
        assert found.module == "duckdb_engine"
        assert missing_dialect("oracle") is None
