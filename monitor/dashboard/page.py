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

from monitor.config import CONFIG_ENV_VAR, DEFAULT_CONFIG_PATH, MonitorConfig, load_config
from monitor.dashboard import cached, source
from monitor.errors import ConfigError
from monitor.secrets import redact
from monitor.timeutil import to_naive_utc, utcnow

STATUS_ICONS = {"failing": "🔴", "stale": "🟣", "warning": "🟠", "learning": "🔵", "ok": "🟢"}
PERIODS = {7: "last 7 days", 30: "last 30 days", 90: "last 90 days", 365: "last year"}


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
    days = st.selectbox("Period", list(PERIODS), index=list(PERIODS).index(default),
                        format_func=PERIODS.__getitem__, key="days", bind="query-params")
    return day_start(now) - dt.timedelta(days=int(days))


def status_text(status: str) -> str:
    """``🔴 failing``: the icon and the word, so colour is never the only signal."""
    return f"{STATUS_ICONS.get(status, '')} {status}".strip()


def when(value: object) -> str:
    """A time for people (UTC), or an em dash."""
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


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
