"""A table's latest profile as people read it: one row per column, one titled column per
metric, every value in its unit (times as times, not epoch seconds; rates as %;
durations in h/m; counts with separators), nothing missing shown as "None".

>>> import datetime as dt
>>> long = pd.DataFrame({"granularity": ["snapshot"] * 3,
...     "ts": [dt.datetime(2026, 1, 5, 6)] * 3, "column_name": ["", "created", "created"],
...     "metric": ["row_count", "max", "null_rate"], "value": [1891.0, 1.7e9, 0.031],
...     "value_text": [None, "2026-01-05T05:40:00+00:00", None]})
>>> shown = readable_profile(long)
>>> shown[["column", "row_count", "max", "null_rate"]].values.tolist()
[['(table)', '1,891', '–', '–'], ['created', '–', '2026-01-05 05:40', '3.1%']]
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from monitor import formatting
from monitor.metrics.custom import PREFIX as CUSTOM_PREFIX
from monitor.metrics.custom import metric_label
from monitor.metrics.definitions import INTERNAL_METRICS, METRIC_ORDER
from monitor.store.dashboard import SNAPSHOT

#: How each stored metric is titled on the page.
METRIC_TITLES = {"row_count": "Rows", "freshness_seconds": "Data age",
                 "arrival_delay_seconds": "Arrival delay", "null_count": "Nulls",
                 "null_rate": "Null rate", "distinct_count": "Distinct values",
                 "min": "Minimum", "max": "Maximum", "mean": "Mean",
                 "stddev": "Standard deviation", "min_length": "Shortest",
                 "max_length": "Longest", "nan_count": "NaN values",
                 "inf_count": "Infinite values"}
GRANULARITY_WORDS = {SNAPSHOT: "whole table", "day": "newest day", "hour": "newest hour"}


def metric_title(metric: str) -> str:
    """``null_rate`` -> ``Null rate``; custom SQL metrics by their own name; unknown
    metrics with spaces for underscores.

    >>> metric_title("null_rate"), metric_title("custom_refund_share")
    ('Null rate', 'refund_share (custom SQL)')
    """
    if metric.startswith(CUSTOM_PREFIX):
        return metric_label(metric)
    return METRIC_TITLES.get(metric) or metric.replace("_", " ").capitalize()


def _time_text(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if isinstance(moment, dt.datetime) and (moment.hour or moment.minute or "T" in text):
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.strftime("%Y-%m-%d")


def _cell(metric: str, value: object, text: object) -> str:
    if isinstance(text, str) and text:
        return _time_text(text)
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return formatting.MISSING
    return formatting.measure(float(value), metric)  # type: ignore[arg-type]


def readable_profile(long: pd.DataFrame) -> pd.DataFrame:
    """Wide text frame: ``granularity``, ``ts``, ``column`` and one column per metric
    (raw metric names as column keys; ``METRIC_TITLES`` titles them)."""
    if long.empty:
        return pd.DataFrame(columns=["granularity", "ts", "column"])
    shown = long[~long["metric"].isin(INTERNAL_METRICS)]
    order = {name: i for i, name in enumerate(METRIC_ORDER)}
    names = sorted(set(shown["metric"]), key=lambda c: (order.get(c, len(order)), c))
    rows = []
    for (granularity, ts, column), group in shown.groupby(
            ["granularity", "ts", "column_name"], sort=False):
        cells = {r.metric: _cell(r.metric, r.value, r.value_text)
                 for r in group.itertuples(index=False)}
        rows.append({"granularity": GRANULARITY_WORDS.get(granularity, granularity),
                     "ts": pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M"),
                     "column": column or "(table)", "_g": granularity != SNAPSHOT,
                     **{n: cells.get(n, formatting.MISSING) for n in names}})
    out = pd.DataFrame(rows)
    out["_t"] = out["column"] != "(table)"
    out = out.sort_values(["_g", "_t", "column"]).drop(columns=["_g", "_t"])
    return out.reset_index(drop=True)


def titles(frame: pd.DataFrame) -> dict[str, str]:
    """Column titles of ``readable_profile``'s frame."""
    fixed = {"granularity": "Measured over", "ts": "As of (UTC)", "column": "Column"}
    return {name: fixed.get(name) or metric_title(name) for name in frame.columns}
