"""Feedback beside each flagged point of a chart: "Expected" (the point rejoins the
detector's training, so the same move is normal next time) or "Real problem" (it stays
out of training). Both write through ``monitor.detection.feedback.label_point``, as the
CLI's ``dq-monitor feedback`` does.

>>> import pandas as pd
>>> series = pd.DataFrame({
...     "ts": pd.to_datetime(["2026-11-28", "2026-11-29", "2026-11-30"]),
...     "value": [980.0, 120.0, 392.0], "expected": [975.0, 980.0, 981.0],
...     "is_anomaly": [False, True, True], "label": [None, "expected", None],
...     "metric": "row_count", "column_name": "", "granularity": "day"})
>>> [(str(p.ts.date()), p.label) for p in flagged_points(series).itertuples()]
[('2026-11-30', None), ('2026-11-29', 'expected')]
>>> point_text(flagged_points(series).iloc[0])
'2026-11-30 00:00: 392, expected 981'
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from monitor import formatting
from monitor.dashboard import actions
from monitor.store import SqlMetricStore

#: Flagged points offered per chart, newest first (older ones: ``dq-monitor feedback``).
SHOWN_POINTS = 5
#: What each label does, as the buttons' help says it.
LABEL_HELP = {
    "expected": "Not a problem (a holiday, a planned load): the point rejoins the "
                "detector's training, so the same move is normal next time.",
    "incident": "A real problem: the point stays out of the detector's training.",
}


def flagged_points(series: pd.DataFrame, limit: int = SHOWN_POINTS) -> pd.DataFrame:
    """The series' flagged points, newest first, at most ``limit`` (labelled ones too)."""
    flagged = series[series["is_anomaly"].astype(bool)]
    found = flagged.sort_values("ts", ascending=False).head(limit)
    labels = found["label"].astype(object) if "label" in found else pd.Series(
        None, index=found.index, dtype=object)
    return found.assign(label=labels.where(labels.notna(), None))


def point_text(point: pd.Series) -> str:
    """``2026-11-30 00:00: 392, expected 981`` (in the metric's own units)."""
    metric = str(point["metric"])
    expected = point.get("expected")
    shown = formatting.measure(float(point["value"]), metric)
    if expected is not None and pd.notna(expected):
        shown += f", expected {formatting.measure(float(expected), metric)}"
    return f"{pd.Timestamp(point['ts']):%Y-%m-%d %H:%M}: {shown}"


def show(series: pd.DataFrame, *, table: str, where: str,
         writer: Callable[[], SqlMetricStore], author: str | None,
         on_done: Callable[[actions.Outcome], None]) -> None:
    """Under a chart: one line per flagged point with its two buttons, or its label.

    ``writer`` opens the writable store handle (only when a button is clicked);
    ``on_done`` gets the outcome (the page shows it and reads the store again)."""
    for _, point in flagged_points(series).iterrows():
        ts = pd.Timestamp(point["ts"])
        key = (f"{where}:{point['metric']}:{point['column_name']}:{point['granularity']}:"
               f"{int(ts.timestamp())}")
        text, expected_col, problem_col = st.columns([5, 1, 1], vertical_alignment="center")
        if point["label"]:
            done = "marked expected" if point["label"] == "expected" else "marked as a real problem"
            text.caption(f"{point_text(point)} · {done}")
            continue
        text.caption(f":red[flagged] {point_text(point)}")
        for column, label_name, title in ((expected_col, "expected", "Expected"),
                                          (problem_col, "incident", "Real problem")):
            if column.button(title, key=f"{label_name}:{key}", help=LABEL_HELP[label_name],
                             width="stretch"):
                on_done(actions.label_flagged_point(
                    writer(), table, str(point["metric"]), ts=ts.to_pydatetime(),
                    label=label_name, column=str(point["column_name"] or ""),
                    granularity=str(point["granularity"]), by=author,
                    note="labelled from the table page"))
