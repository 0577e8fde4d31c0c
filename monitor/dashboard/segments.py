"""The table page's drill-down by segment: which segments there are, how each one's
volume compares with its usual, and one segment's series.

The frames come from ``monitor.store.segments``; ``summary`` and ``series`` are plain
pandas (tested without Streamlit); ``render`` draws them on the table page.

>>> import pandas as pd
>>> points = pd.DataFrame({"label": [("DE",), ("DE",), None], "column": ["", "", ""],
...     "metric": ["row_count"] * 3, "ts": pd.to_datetime(["2026-01-01", "2026-01-02",
...     "2026-01-02"]), "value": [100.0, 0.0, 5.0], "parts": ["country"] * 3,
...     "granularity": ["day"] * 3})
>>> summary(points, pd.DataFrame(columns=["label"]))[["segment", "rows", "usual rows"]]
  segment  rows  usual rows
0      DE   0.0       100.0
1   other   5.0         NaN
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from monitor.metrics.segments import describe

#: Buckets before the newest one whose median is a segment's usual volume.
USUAL_BUCKETS = 28


def summary(points: pd.DataFrame, anomalies: pd.DataFrame) -> pd.DataFrame:
    """One row per segment: newest rows, usual rows (median of the buckets before),
    change, anomalies in the period; biggest usual volume first, "other" last."""
    volume = points[(points["metric"] == "row_count") & (points["column"] == "")]
    columns = ["segment", "rows", "usual rows", "change", "anomalies", "label"]
    if volume.empty:
        return pd.DataFrame(columns=columns)
    newest = volume["ts"].max()
    counts = anomalies.groupby(anomalies["label"].map(_key)).size() if not anomalies.empty \
        else pd.Series(dtype=int)
    rows = []
    for key, group in volume.groupby(volume["label"].map(_key), sort=False):
        label = group["label"].iloc[0]
        now = group.loc[group["ts"] == newest, "value"]
        before = group[group["ts"] < newest].tail(USUAL_BUCKETS)["value"]
        usual = float(before.median()) if len(before) else float("nan")
        value = float(now.iloc[0]) if len(now) else float("nan")
        change = (value - usual) / usual if usual else float("nan")
        rows.append({"segment": describe(label), "rows": value, "usual rows": usual,
                     "change": change, "anomalies": int(counts.get(key, 0)), "label": label})
    out = pd.DataFrame(rows, columns=columns)
    out["_other"] = out["label"].isna()
    out = out.sort_values(["_other", "usual rows"], ascending=[True, False], na_position="last")
    return out.drop(columns="_other").reset_index(drop=True)


def series(points: pd.DataFrame, label: tuple[Any, ...] | None) -> pd.DataFrame:
    """One segment's series, wide: ts plus a column per metric (``rows``,
    ``null rate of note``, ``mean of amount``)."""
    mine = points[points["label"].map(_key) == _key(label)]
    if mine.empty:
        return pd.DataFrame(columns=["ts"])
    names = mine.apply(lambda r: "rows" if r["metric"] == "row_count"
                       else f"{r['metric'].replace('_', ' ')} of {r['column']}", axis=1)
    wide = mine.assign(name=names).pivot_table(index="ts", columns="name", values="value",
                                               aggfunc="last")
    wide.columns.name = None
    return wide.reset_index()


def _key(label: Any) -> str:
    return "\x00other" if label is None or label is pd.NA else repr(tuple(label))


def render(url: str, table: str, since: dt.datetime) -> None:
    """The drill-down section of the table page (Streamlit)."""
    import streamlit as st

    from monitor.dashboard import cached
    from monitor.store.segments import segment_detections, segment_frame

    store = cached.reader(url)
    points = segment_frame(store, table, since=since)
    st.subheader("Segments")
    if points.empty:
        st.info("No segment metrics recorded for this table in the period.")
        return
    anomalies = segment_detections(store, table, since=since)
    table_rows = summary(points, anomalies)
    st.caption(f"Segments by {points['parts'].iloc[0]}: the newest bucket against the "
               f"median of the {USUAL_BUCKETS} before it.")
    st.dataframe(table_rows.drop(columns="label"), hide_index=True,
                 column_config={"change": st.column_config.NumberColumn(format="percent")})
    choice = st.selectbox("Segment", list(table_rows["segment"]), key=f"segment:{table}")
    label = table_rows.loc[table_rows["segment"] == choice, "label"].iloc[0]
    wide = series(points, label)
    for name in [c for c in wide.columns if c != "ts"]:
        st.line_chart(wide.set_index("ts")[[name]], height=180)
    own = anomalies[anomalies["label"].map(_key) == _key(label)]
    if not own.empty:
        st.dataframe(own[["ts", "metric", "column", "reason"]], hide_index=True)
