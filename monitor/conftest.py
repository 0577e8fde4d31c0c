"""The names the doctests of ``monitor/`` use: the bundled sample, built once per session.

``sample_config`` is the path of a config over the sample warehouse (the demo's:
``orders``, ``events`` and ``customers``, 90 days up to ``SAMPLE_END``, with the
injected incidents), ``config`` that config loaded, ``ctx`` a context whose clock
stands still at ``now`` (06:00 the morning after), ``store`` its metric store,
``warehouse`` the sample warehouse and ``sample_folder`` the folder holding them all.
Examples that write either invent their own tables (``refunds``, ``payments``) or,
the ingest ones, add ``orders`` rows of ``now``'s day only, which the others leave
out (``as_of`` midnight, the newest complete bucket): each output holds whichever
doctests ran before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.config.models import load_config
from monitor.demo.run import prepare_demo
from monitor.run.context import MonitorContext
from monitor.warehouse import dispose_engines

SAMPLE_END = dt.date(2026, 11, 29)
NOW = dt.datetime.combine(SAMPLE_END + dt.timedelta(days=1), dt.time(6), dt.UTC)


@pytest.fixture(scope="session", autouse=True)
def _sample(doctest_namespace: dict[str, Any],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder: Path = tmp_path_factory.mktemp("sample")
    config_path, _ = prepare_demo(folder, end=SAMPLE_END)
    config = load_config(config_path)
    ctx = MonitorContext(config, clock=lambda: NOW)
    doctest_namespace.update(sample_config=config_path, sample_folder=folder, config=config,
                             ctx=ctx, store=ctx.store, warehouse=ctx.warehouse("sample"),
                             now=NOW)
    yield
    dispose_engines()
