"""Where the dashboard's data comes from: the config file and the metric store.

The dashboard reads through a read-only handle (SQLite ``mode=ro``,
PostgreSQL ``default_transaction_read_only``) and writes its few actions
through a separate, writable one. ``check_store`` tells a page whether there is
anything to show, or why not, before it runs a query.

>>> check_store(reader("sqlite:///:memory:")).state
'uninitialized'
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from monitor.config.secrets import redact
from monitor.dialects import capabilities_for_url
from monitor.errors import StoreError
from monitor.store import SqlMetricStore
from monitor.store.run_counts import recorded_run_count

#: Seconds a dashboard query may run (it serves a person waiting for a page).
QUERY_TIMEOUT_SECONDS = 15.0

StoreState = Literal["ready", "empty", "uninitialized", "missing", "unreachable"]


@dataclass(frozen=True)
class StoreCheck:
    """Whether the store has runs to show; ``message`` says what to do if not."""

    state: StoreState
    message: str
    runs: int = 0

    @property
    def ready(self) -> bool:
        return self.state == "ready"


def _arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--config", default=None)
    parser.add_argument("--login", action="store_true")
    known, _ = parser.parse_known_args(list(argv))
    return known


def config_path(argv: Sequence[str]) -> str | None:
    """``--config FILE`` from the script arguments (``streamlit run app.py -- --config F``);
    None leaves the choice to ``load_config`` ($DQ_MONITOR_CONFIG, then the default)."""
    return _arguments(argv).config


def login_required(argv: Sequence[str]) -> bool:
    """``--login`` among the script arguments (``dq-monitor dashboard --login``): every page
    asks for Streamlit's OIDC login first.

    >>> login_required(["--config", "m.yaml", "--login"]), login_required([])
    (True, False)
    """
    return bool(_arguments(argv).login)


def reader(url: str) -> SqlMetricStore:
    """A read-only handle on the store (it never creates or upgrades tables)."""
    return SqlMetricStore(url, read_only=True, timeout=QUERY_TIMEOUT_SECONDS)


def writer(url: str) -> SqlMetricStore:
    """The writable handle used only by the dashboard's actions."""
    return SqlMetricStore(url, timeout=QUERY_TIMEOUT_SECONDS)


def shown_url(url: str) -> str:
    """The URL for messages: password hidden (even a literal one), secrets masked."""
    try:
        return redact(sa.engine.make_url(url).render_as_string(hide_password=True))
    except sa.exc.ArgumentError:
        return redact(url)


def _sqlite_file(url: str) -> Path | None:
    caps = capabilities_for_url(url)
    return caps.database_file(url) if caps.python_sqlite3 else None


def check_store(store: SqlMetricStore) -> StoreCheck:
    """Ready (with runs), empty, not created yet, missing, or unreachable."""
    shown = shown_url(store.url)
    path = _sqlite_file(store.url)
    if path is not None and not path.exists():
        return StoreCheck("missing", f"There is no metric store at {path} yet. Run "
                          f"`dq-monitor run` to record the first runs, then reload this page.")
    try:
        count = recorded_run_count(store)
    except StoreError as error:
        return StoreCheck("unreachable", f"The metric store {shown} cannot be reached: "
                          f"{error}. Check that its database is running and the `store` URL "
                          f"in the config is right; this page retries when reloaded.")
    if count is None:
        return StoreCheck("uninitialized", f"The metric store {shown} has no dq-monitor "
                          f"tables yet. Run `dq-monitor run` to record the first runs.")
    if count == 0:
        return StoreCheck("empty", "The metric store has no runs yet. Run `dq-monitor run` "
                          "(or `dq-monitor serve`) and reload this page.")
    return StoreCheck("ready", "", count)
