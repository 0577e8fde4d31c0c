"""Build a MonitorContext from a few lines of config, as users write it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from monitor.config.models import MonitorConfig, parse_config
from monitor.run.context import MonitorContext


def make_config(tmp_path: Path, *, warehouses: dict[str, Any], tables: list[dict[str, Any]],
                store: str | None = None, **top: Any) -> MonitorConfig:
    raw = {"store": store or f"sqlite:///{tmp_path / 'metrics.db'}", "warehouses": warehouses,
           "tables": tables, **top}
    return parse_config(raw, source=str(tmp_path / "monitor.yaml"), base_dir=tmp_path)


def write_config(tmp_path: Path, *, warehouses: dict[str, Any], tables: list[dict[str, Any]],
                 store: str | None = None, name: str = "monitor.yaml", **top: Any) -> Path:
    raw = {"store": store or f"sqlite:///{tmp_path / 'metrics.db'}", "warehouses": warehouses,
           "tables": tables, **top}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def make_context(tmp_path: Path, *, clock: Callable[[], dt.datetime] | None = None,
                 **kwargs: Any) -> MonitorContext:
    config = make_config(tmp_path, **kwargs)
    return MonitorContext(config, clock=clock) if clock else MonitorContext(config)
