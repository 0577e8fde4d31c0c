"""The dashboard's Altair charts as Vega-Lite specs, built once and drawn from a cache.

Turning an Altair chart into what the browser gets costs 0.2-0.5 s a chart on a busy
machine (building the objects, validating them against the Vega-Lite JSON schema,
writing the data as Arrow). A table page draws eight of them, so the specs are built
without that validation (the charts are ours, and their tests validate them) and kept
in Streamlit's cache keyed by the data drawn: a page shown again draws each chart in
milliseconds, and a changed point builds only that chart again.

>>> import pandas as pd
>>> frame = pd.DataFrame({"ts": pd.to_datetime(["2026-01-01", "2026-01-02"]),
...                       "value": [10.0, 3.0], "expected": [10.0, 10.0],
...                       "lower": [8.0, 8.0], "upper": [12.0, 12.0],
...                       "is_anomaly": [False, True], "label": [None, None]})
>>> spec = to_spec(charts.band_chart(frame, title="rows"))
>>> spec["title"], len(spec["datasets"]), type(next(iter(spec["datasets"].values())))
('rows', 2, <class 'bytes'>)
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from monitor.dashboard import charts

#: How long a built spec is kept (seconds); a spec depends only on the data drawn.
SPEC_TTL_SECONDS = 600

try:  # Streamlit's own lock over Altair's global theme and data transformer
    from streamlit.elements.vega_charts import _altair_globals_lock as _LOCK
except ImportError:  # pragma: no cover - a Streamlit without it
    _LOCK = threading.Lock()

#: Columns a metric chart draws or shows in its tooltip; the rest stays on the server.
BAND_COLUMNS = ("ts", "value", "expected", "lower", "upper", "is_anomaly", "label", "reason",
                "state")


def _to_arrow(data: Any, datasets: dict[str, bytes]) -> dict[str, str]:
    """Altair data transformer: the data as Arrow bytes under a name hashed from them."""
    raw = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = hashlib.md5(raw, usedforsecurity=False).hexdigest()
    datasets[name] = raw
    return {"name": name}


alt.data_transformers.register("arrow_by_name", _to_arrow)


def to_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The Vega-Lite spec of an Altair chart, its data as named Arrow datasets, as
    ``st.vega_lite_chart`` takes it (what ``st.altair_chart`` sends, minus the schema
    validation)."""
    datasets: dict[str, bytes] = {}
    with _LOCK:
        theme = alt.theme.enable("none") if alt.theme.active == "default" else None
        try:
            with alt.data_transformers.enable("arrow_by_name", datasets=datasets):
                spec = chart.to_dict(validate=False)
        finally:
            if theme is not None:
                alt.theme.enable("default")
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


def _cached(fn):  # type: ignore[no-untyped-def]
    return st.cache_data(ttl=SPEC_TTL_SECONDS, show_spinner=False, max_entries=1024)(fn)


@_cached
def band(series: pd.DataFrame, title: str, metric: str | None) -> dict[str, Any]:
    """``charts.band_chart`` of the columns it draws."""
    kept = series[[c for c in BAND_COLUMNS if c in series.columns]]
    return to_spec(charts.band_chart(kept, title=title, metric=metric))


@_cached
def trend(values: pd.DataFrame, title: str, metric: str | None) -> dict[str, Any]:
    """``charts.trend_chart``."""
    return to_spec(charts.trend_chart(values[["ts", "value"]], title=title, metric=metric))


@_cached
def completeness(frame: pd.DataFrame, limits: Mapping[str, float | None]) -> dict[str, Any]:
    """``charts.completeness_heatmap``."""
    return to_spec(charts.completeness_heatmap(frame, dict(limits)))


@_cached
def expectations(frame: pd.DataFrame) -> dict[str, Any]:
    """``charts.expectation_heatmap`` of the columns it reads."""
    return to_spec(charts.expectation_heatmap(frame[["ts", "expectation", "result"]]))


def draw(spec: dict[str, Any], *, key: str) -> None:
    """Draw a spec full width."""
    st.vega_lite_chart(spec, width="stretch", key=key)
