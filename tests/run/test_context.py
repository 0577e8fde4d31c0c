"""The per-process context opens the store and warehouses lazily."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.run.context import MonitorContext
from monitor.store.schema import SCHEMA_VERSION
from tests.helpers.contexts import make_config


class TestMonitorContext:
    def test_resources_resolve_relative_paths_and_clock(self, tmp_path: Path) -> None:
        config = make_config(tmp_path, warehouses={"w": "sqlite:///data/w.db"},
                             tables=[{"name": "t", "warehouse": "w", "table": "t"}],
                             store="sqlite:///state/metrics.db")
        fixed = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

        ctx = MonitorContext(config, clock=lambda: fixed)

        assert ctx.now() == fixed
        assert ctx.warehouse_for(config.table("t")).config.url == (
            f"sqlite:///{(tmp_path / 'data/w.db').resolve()}")
        assert ctx.warehouse("w") is ctx.warehouse("w")
        assert ctx.store.schema_version() == SCHEMA_VERSION
        assert (tmp_path / "state" / "metrics.db").exists()

    def test_unknown_warehouse(self, tmp_path: Path) -> None:
        ctx = MonitorContext(make_config(tmp_path, warehouses={}, tables=[]))

        with pytest.raises(ConfigError, match="unknown warehouse 'x'"):
            ctx.warehouse("x")

    def test_a_store_folder_that_cannot_be_created_names_the_store(self, tmp_path: Path) -> None:
        ctx = MonitorContext(make_config(tmp_path, warehouses={}, tables=[],
                                         store="sqlite:////proc/x/m.db"))

        with pytest.raises(ConfigError, match=r"store: cannot create the folder '/proc/x'"):
            _ = ctx.store

    def test_a_warehouse_folder_that_cannot_be_created_names_the_key(self,
                                                                     tmp_path: Path) -> None:
        ctx = MonitorContext(make_config(tmp_path, warehouses={"w": "sqlite:////proc/x/w.db"},
                                         tables=[]))

        with pytest.raises(ConfigError, match=r"warehouses\.w: cannot create the folder"):
            _ = ctx.warehouse("w").engine
