"""Fixtures for the dashboard tests: a seeded store, its config, and AppTest on the app.

Import the fixtures into a test module (``from tests.helpers.dashboard import ...``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from monitor.config.models import CONFIG_ENV_VAR
from monitor.store import SqlMetricStore, open_store
from tests.helpers.seed import Scenario, seed_scenario, write_scenario_config

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
#: Seconds one AppTest script run may take (the first run imports pandas and Altair).
RUN_TIMEOUT = 60


@dataclass
class SeededStore:
    """A store seeded with the scenario, and the config file that points at it."""

    store: SqlMetricStore
    scenario: Scenario
    config_path: Path

    def rows(self, table: str) -> pd.DataFrame:
        """What the seeder wrote into a table (the tests' independent oracle)."""
        return self.scenario.rows(table)


def fresh_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def _seed(folder: Path) -> SeededStore:
    url = f"sqlite:///{folder / 'metrics.db'}"
    store = open_store(url)
    scenario = seed_scenario(store)
    return SeededStore(store, scenario, write_scenario_config(folder / "monitor.yaml", url))


def seeded_config(folder: Path) -> Path:
    """The scenario seeded into ``folder/metrics.db`` (closed again), and the config file
    pointing at it: for a dashboard served by another process."""
    found = _seed(folder)
    found.store.dispose()
    return found.config_path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeededStore]:
    """The scenario, shared by a module's tests: for pages that only read."""
    found = _seed(tmp_path_factory.mktemp("seeded"))
    yield found
    found.store.dispose()


@pytest.fixture
def seeded_fresh(tmp_path: Path) -> Iterator[SeededStore]:
    """The scenario in a store of the test's own: for tests that write (actions)."""
    found = _seed(tmp_path)
    yield found
    found.store.dispose()


def app_on(config_path: Path, monkeypatch: pytest.MonkeyPatch, *,
           query: dict[str, str] | None = None) -> AppTest:
    """An AppTest of ``dashboards/app.py`` reading ``config_path`` (not yet run)."""
    fresh_caches()
    monkeypatch.setenv(CONFIG_ENV_VAR, str(config_path))
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at


@pytest.fixture
def app(seeded: SeededStore, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The dashboard on the seeded store, on its overview page (already run)."""
    return app_on(seeded.config_path, monkeypatch).run()


def open_page(at: AppTest, page: str, **query: str) -> AppTest:
    """Switch an AppTest that has run once to ``pages/<page>.py`` and run it."""
    for key, value in query.items():
        at.query_params[key] = value
    return at.switch_page(f"pages/{page}.py").run()


def charts(at: AppTest) -> dict[str, Any]:
    """Altair charts on the page by title: their spec and datasets as DataFrames."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    out = {}
    for element in at.get("vega_lite_chart"):
        proto = element.proto
        datasets = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in proto.datasets]
        spec = json.loads(proto.spec)
        out[spec.get("title", "")] = {"spec": spec, "datasets": datasets}
    return out


def texts(at: AppTest) -> str:
    """Every message, caption and markdown line of the page, joined."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "success", "error")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def no_errors(at: AppTest) -> None:
    """Assert the run raised nothing and showed no error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table on the page that has all these columns."""
    for element in at.dataframe:
        value = element.value
        if all(c in value.columns for c in columns):
            return value
    shown = [list(e.value.columns) for e in at.dataframe]
    raise AssertionError(f"no table with columns {columns}; tables shown: {shown}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scenario_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[SqlMetricStore, Scenario]]:
    """The scenario on SQLite and on PostgreSQL, shared by a module's read-only tests."""
    from tests.helpers.postgres import require_postgres, temporary_database

    if request.param == "sqlite":
        store = open_store(f"sqlite:///{tmp_path_factory.mktemp('scenario') / 'metrics.db'}")
        yield store, seed_scenario(store)
        store.dispose()
        return
    require_postgres()
    with temporary_database("dq_dash") as url:
        store = open_store(url)
        yield store, seed_scenario(store)
        store.dispose()


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def served_dashboard(config_path: Path, log_path: Path, *, timeout: float = 90.0,
                     base_path: str = "", login: bool = False, port: int | None = None,
                     cwd: Path | None = None) -> Iterator[str]:
    """Run ``dq-monitor --config C dashboard --port P`` on 127.0.0.1 and yield its URL once
    Streamlit answers its health check; stop its process group afterwards. With
    ``base_path`` it serves under that prefix (the URL yielded includes it); ``login``
    adds ``--login``, run in ``cwd`` (where ``.streamlit/secrets.toml`` is looked for)."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    port = port or free_port()
    script = Path(sys.executable).with_name("dq-monitor")
    command = ([str(script)] if script.exists() else [sys.executable, "-m", "monitor"]) + [
        "--config", str(config_path), "dashboard", "--host", "127.0.0.1", "--port", str(port),
        *(["--base-path", base_path] if base_path else []), *(["--login"] if login else [])]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=cwd)
    prefix = f"/{base_path.strip('/')}" if base_path.strip("/") else ""
    url = f"http://127.0.0.1:{port}{prefix}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the dashboard exited with {process.returncode}:\n"
                                     f"{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the dashboard did not answer within {timeout:.0f} s:\n"
                                     f"{log_path.read_text(errors='replace')}")
            time.sleep(0.25)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
