"""The dashboard's reads, cached by Streamlit for a short time.

Every function takes the store URL (and plain values) so ``st.cache_data`` can
key on it; the read-only handle is one ``st.cache_resource`` per URL. The
pages call these, never the queries directly, so reloading a page within
``CACHE_TTL_SECONDS`` costs no query. Actions call ``clear`` after a write.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import streamlit as st

from monitor.dashboard import arrivals, checks, profile, source
from monitor.store import SqlMetricStore, dashboard, dashboard_reads, dashboard_table

#: How long a query result is reused (seconds): runs land every few minutes at most.
CACHE_TTL_SECONDS = 30
#: Detections older than this do not count as a series' current state on the overview.
CURRENT_DETECTIONS_DAYS = 90


@st.cache_resource(show_spinner=False)
def reader(url: str) -> SqlMetricStore:
    """The read-only store handle of this server process."""
    return source.reader(url)


@st.cache_resource(show_spinner=False)
def writer(url: str) -> SqlMetricStore:
    """The writable store handle, used by actions only."""
    return source.writer(url)


def clear() -> None:
    """Forget every cached result (after an action wrote to the store)."""
    st.cache_data.clear()


def _cached(fn):  # type: ignore[no-untyped-def]
    return st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)(fn)


def _current_detections_since(today: dt.date) -> dt.datetime:
    return dt.datetime.combine(today, dt.time()) - dt.timedelta(days=CURRENT_DETECTIONS_DAYS)


@_cached
def latest_state(url: str, tables: tuple[str, ...], today: dt.date) -> pd.DataFrame:
    return dashboard.latest_state(reader(url), list(tables),
                                  detections_since=_current_detections_since(today))


@_cached
def overview(url: str, tables: tuple[str, ...], today: dt.date, since: dt.datetime
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The overview's reads: (``latest_state``, ``rows_per_day`` since ``since``), their
    queries side by side on two pooled connections (at 1,000 tables each takes about half
    a second on PostgreSQL, and the page waits for both)."""
    store = reader(url)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="dq-overview") as pool:
        state = pool.submit(dashboard.latest_state, store, list(tables),
                            detections_since=_current_detections_since(today))
        rows = pool.submit(arrivals.rows_per_day, store, since, list(tables))
        return state.result(), rows.result()


@_cached
def row_count_trends(url: str, since: dt.datetime, tables: tuple[str, ...]) -> pd.DataFrame:
    return dashboard.row_count_trends(reader(url), since, list(tables))


@_cached
def runs_since(url: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard.runs_since(reader(url), since)


@_cached
def incidents_since(url: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard.incidents_since(reader(url), since)


@_cached
def failed_expectations(url: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard.failed_expectations(reader(url), since)


@_cached
def failed_runs(url: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard.failed_runs(reader(url), since)


@_cached
def anomalies_since(url: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard.anomalies_since(reader(url), since)


@_cached
def band(url: str, table: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard_table.band(table, store=reader(url), since=since)


@_cached
def points(url: str, table: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard_table.points(table, store=reader(url), since=since)


@_cached
def completeness(url: str, table: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard_table.completeness(table, store=reader(url), since=since)


@_cached
def schema_changes(url: str, table: str, since: dt.datetime) -> pd.DataFrame:
    history = dashboard_table.schema_history(table, store=reader(url), since=since)
    return dashboard_table.schema_changes(history)


@_cached
def latest_profile(url: str, table: str) -> pd.DataFrame:
    return dashboard_table.latest_profile(table, store=reader(url))


@_cached
def expectation_history(url: str, table: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard_table.expectation_history(table, store=reader(url), since=since)


@_cached
def gate_history(url: str, table: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard_table.gate_history(table, store=reader(url), since=since)


@_cached
def batch_history(url: str, table: str, since: dt.datetime) -> pd.DataFrame:
    return dashboard_table.batch_history(table, store=reader(url), since=since)


@_cached
def table_expectations(url: str, table: str, since: dt.datetime
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the table's own expectation results, its incoming batches' results)."""
    return checks.expectation_history(table, store=reader(url), since=since)


@_cached
def readable_profile(url: str, table: str) -> pd.DataFrame:
    return profile.readable_profile(dashboard_reads.latest_long(table, store=reader(url)))


@_cached
def current_schema(url: str, table: str, now: dt.datetime) -> pd.DataFrame:
    """The newest schema snapshot (column, type) before ``now``."""
    return dashboard_table.schema_history(table, store=reader(url), since=now)
