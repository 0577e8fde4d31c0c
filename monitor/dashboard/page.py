"""What every dashboard page shares: the config, the store check, the period picker and
the way statuses and times are written.

A page starts with ``ctx = page_context()``: when the config is invalid or the
store is unreachable, empty or missing, that call shows a clear message and
stops the page, so no page ever shows a traceback for them.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from monitor import formatting
from monitor.config.models import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, MonitorConfig, load_config
from monitor.config.secrets import redact
from monitor.dashboard import actions, cached, source
from monitor.errors import ConfigError
from monitor.timeutil import to_naive_utc, utcnow

#: Streamlit colour and Material icon of each status (icons ship with Streamlit, no emoji
#: font needed); the word is always written too, so colour is never the only signal.
STATUS_STYLE = {"failing": ("red", "error"), "stale": ("violet", "history"),
                "warning": ("orange", "warning"), "learning": ("blue", "school"),
                "ok": ("green", "check_circle")}
#: The same colours for dataframe cells (the overview's status pills).
STATUS_CSS = {"failing": "#d62728", "stale": "#7b3fb5", "warning": "#d46a00",
              "learning": "#1f77b4", "ok": "#2a8a2a"}
#: Periods offered, in days (the values appear as is in the URL: ``?days=90``).
PERIODS = (7, 30, 90, 365)


@dataclass(frozen=True)
class PageContext:
    """The loaded config, the store URL, what the store holds, and now (naive UTC)."""

    config: MonitorConfig
    url: str
    check: source.StoreCheck
    now: dt.datetime

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.config.tables)


@st.cache_resource(show_spinner=False, max_entries=8)
def _load_config(path: str, modified: float) -> MonitorConfig:
    return load_config(path)


def _config() -> MonitorConfig:
    chosen = source.config_path(sys.argv[1:]) or os.environ.get(CONFIG_ENV_VAR)
    path = Path(chosen or DEFAULT_CONFIG_PATH)
    try:
        modified = path.stat().st_mtime
    except OSError:
        modified = 0.0  # load_config reports the missing file
    return _load_config(str(path), modified)


def page_context(*, need_runs: bool = True) -> PageContext:
    """Load the config and check the store; show why and stop the page if there is
    nothing to show (``need_runs=False`` lets a page go on with an empty store)."""
    try:
        config = _config()
    except ConfigError as error:
        st.error(f"The dashboard cannot start: {redact(str(error))}")
        st.stop()
    url = config.resolve_url(config.store)
    check = source.check_store(cached.reader(url))
    if check.state == "unreachable":
        st.error(check.message, icon="🔌")
        st.stop()
    if not check.ready:
        st.info(check.message, icon="🕳️")
        if need_runs:
            st.stop()
    return PageContext(config, url, check, now=to_naive_utc(utcnow()))


def day_start(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def period_picker(now: dt.datetime, *, default: int = 30) -> dt.datetime:
    """A period chooser (kept in the URL as ``?days=``); returns the start of the period,
    a whole day so the cached queries are reused all day."""
    days = st.selectbox("Period (last days)", PERIODS, index=PERIODS.index(default),
                        key="days", bind="query-params")
    return day_start(now) - dt.timedelta(days=int(days))


def status_badge(status: str) -> str:
    """Markdown of a coloured badge with icon and word: ``:red-badge[:material/error: failing]``."""
    color, icon = STATUS_STYLE.get(status, ("gray", "help"))
    return f":{color}-badge[:material/{icon}: {status}]"


def status_label(status: str) -> str:
    """Markdown of a coloured word and icon, for labels: ``:red[:material/error: failing]``."""
    color, icon = STATUS_STYLE.get(status, ("gray", "help"))
    return f":{color}[:material/{icon}: {status}]"


def ago(moment: object, now: dt.datetime) -> str:
    """``1h 30m ago`` for a past time, ``formatting.MISSING`` for none."""
    if moment is None or moment is pd.NaT or (isinstance(moment, float) and pd.isna(moment)):
        return formatting.MISSING
    seconds = (now - pd.Timestamp(moment).to_pydatetime()).total_seconds()
    return "just now" if seconds < 60 else f"{formatting.duration(seconds)} ago"


def when(value: object) -> str:
    """A time for people (UTC), or ``formatting.MISSING``."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return formatting.MISSING
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def show_outcome() -> None:
    """Show what the last action (``act``) did, once, above the page's content."""
    done = st.session_state.pop("action_outcome", None)
    if done is not None:
        (st.success if done.ok else st.warning)(done.message)


def act(outcome: actions.Outcome) -> None:
    """After an action: read the store afresh and rerun the page, which shows the outcome
    (``show_outcome``)."""
    cached.clear()
    st.session_state["action_outcome"] = outcome
    st.rerun()


def author() -> str | None:
    """Who acts: the name typed in the sidebar, else the signed-in user's e-mail."""
    name = st.session_state.get("author") or None
    if name:
        return str(name)
    try:
        email = st.user.get("email")
    except Exception:  # noqa: BLE001  (st.user needs an auth setup in some versions)
        email = None
    return str(email) if email else None
