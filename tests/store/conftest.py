"""The store's dashboard reads are tested on one seeded scenario per module, on SQLite and
PostgreSQL (``scenario_store``): ``reader`` is its store, ``seeded`` what was seeded
(``seeded.rows(table)``: the rows written, the tests' oracle)."""

from __future__ import annotations

import pytest

from monitor.store import SqlMetricStore
from tests.helpers.dashboard import scenario_store  # noqa: F401  (fixture)
from tests.helpers.seed import Scenario


@pytest.fixture
def seeded(scenario_store: tuple[SqlMetricStore, Scenario]) -> Scenario:  # noqa: F811
    return scenario_store[1]


@pytest.fixture
def reader(scenario_store: tuple[SqlMetricStore, Scenario]) -> SqlMetricStore:  # noqa: F811
    return scenario_store[0]
