"""Altair charts of the dashboard: metric trends with their expected band, completeness
and expectation heatmaps, run durations and scheduler lag.

Times are naive UTC in the store; the charts use UTC scales so a browser in
another time zone shows the same hours as the store and the CLI.

>>> import pandas as pd
>>> frame = pd.DataFrame({"ts": pd.to_datetime(["2026-01-01", "2026-01-02"]),
...                       "value": [10.0, 3.0], "expected": [10.0, 10.0],
...                       "lower": [8.0, 8.0], "upper": [12.0, 12.0],
...                       "is_anomaly": [False, True], "label": [None, None]})
>>> [layer.mark.type for layer in band_chart(frame, title="rows").layer]
['area', 'line', 'line', 'point']
"""

from __future__ import annotations

import altair as alt
import pandas as pd

#: Colour of each status or result, the same on every page.
STATUS_COLORS = {"failing": "#d62728", "stale": "#9467bd", "warning": "#ff7f0e",
                 "learning": "#17becf", "ok": "#2ca02c"}
RUN_COLORS = {"success": "#2ca02c", "partial": "#ff7f0e", "failed": "#d62728",
              "lost": "#8c564b", "interrupted": "#9467bd", "running": "#1f77b4"}
RESULT_COLORS = {"pass": "#2ca02c", "fail": "#d62728", "error": "#7f7f7f"}
MARK_COLORS = {"anomaly": "#d62728", "marked expected": "#2ca02c"}
UTC = alt.Scale(type="utc")


def _time_axis(field: str = "ts", title: str = "time (UTC)") -> alt.X:
    return alt.X(f"{field}:T", title=title, scale=UTC)


def point_marks(series: pd.DataFrame) -> pd.Series:
    """How each point is marked: ``anomaly``, ``marked expected`` (labelled by a person)
    or None."""
    labels = series["label"] if "label" in series else [None] * len(series)
    marks = ["marked expected" if label == "expected" else "anomaly" if anomalous else None
             for anomalous, label in zip(series["is_anomaly"].astype(bool), labels, strict=True)]
    return pd.Series(marks, index=series.index, dtype="object")


def band_chart(series: pd.DataFrame, *, title: str, height: int = 220) -> alt.LayerChart:
    """One metric over time: the expected band shaded, the expected value dashed, the
    observed value as a line, anomalies (red) and points marked expected (green)."""
    data = series.assign(mark=point_marks(series))
    tooltip = [alt.Tooltip("ts:T", title="time (UTC)", format="%Y-%m-%d %H:%M"),
               alt.Tooltip("value:Q", format=",.4~g"), alt.Tooltip("expected:Q", format=",.4~g"),
               alt.Tooltip("lower:Q", format=",.4~g"), alt.Tooltip("upper:Q", format=",.4~g")]
    base = alt.Chart(data).encode(x=_time_axis())
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("lower:Q", title=None, scale=alt.Scale(zero=False)), y2="upper:Q")
    expected = base.mark_line(strokeDash=[4, 3], color="#7f7f7f").encode(y="expected:Q")
    observed = base.mark_line(color="#1f4e79", point=alt.OverlayMarkDef(size=12)).encode(
        y="value:Q", tooltip=tooltip)
    marked = data[data["mark"].notna()]
    extra = [("reason", "reason"), ("state", "state")]
    points = alt.Chart(marked).mark_point(size=90, filled=True).encode(
        x=_time_axis(), y="value:Q",
        color=alt.Color("mark:N", title=None, legend=alt.Legend(orient="top") if len(marked)
                        else None,
                        scale=alt.Scale(domain=list(MARK_COLORS),
                                        range=list(MARK_COLORS.values()))),
        tooltip=[*tooltip, *(alt.Tooltip(f"{c}:N", title=t) for c, t in extra if c in marked)])
    return alt.layer(band, expected, observed, points).properties(title=title, height=height)


def trend_chart(values: pd.DataFrame, *, title: str, height: int = 220) -> alt.Chart:
    """A plain metric line (``ts``, ``value``) for metrics no detector watches."""
    return alt.Chart(values).mark_line(point=True).encode(
        x=_time_axis(), y=alt.Y("value:Q", title=title),
        tooltip=[alt.Tooltip("ts:T", format="%Y-%m-%d %H:%M"), "value:Q"],
    ).properties(title=title, height=height)


def _day(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts).dt.floor("D")


def completeness_heatmap(frame: pd.DataFrame) -> alt.Chart:
    """Columns by day, coloured by the share of non-null values (daily mean)."""
    daily = (frame.assign(day=_day(frame["ts"]))
             .groupby(["column_name", "day"], as_index=False)["completeness"].mean())
    low = min(float(daily["completeness"].min()) if not daily.empty else 1.0, 0.9)
    return alt.Chart(daily).mark_rect().encode(
        x=alt.X("utcyearmonthdate(day):O", title="day (UTC)",
                axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
        y=alt.Y("column_name:N", title="column"),
        color=alt.Color("completeness:Q", title="non-null",
                        scale=alt.Scale(scheme="redyellowgreen", domain=[low, 1.0], clamp=True),
                        legend=alt.Legend(format=".0%")),
        tooltip=["column_name:N", alt.Tooltip("day:T", format="%Y-%m-%d"),
                 alt.Tooltip("completeness:Q", format=".2%")],
    ).properties(title="Completeness by column")


def expectation_heatmap(frame: pd.DataFrame) -> alt.Chart:
    """Expectations by day, coloured by the worst result of the day."""
    worst = {"pass": 0, "fail": 1, "error": 2}
    daily = (frame.assign(day=_day(frame["ts"]), rank=frame["result"].map(worst))
             .groupby(["expectation", "day"], as_index=False)["rank"].max())
    daily["result"] = daily["rank"].map({v: k for k, v in worst.items()})
    return alt.Chart(daily).mark_rect().encode(
        x=alt.X("utcyearmonthdate(day):O", title="day (UTC)",
                axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
        y=alt.Y("expectation:N", title=None),
        color=alt.Color("result:N", scale=alt.Scale(domain=list(RESULT_COLORS),
                                                    range=list(RESULT_COLORS.values()))),
        tooltip=["expectation:N", alt.Tooltip("day:T", format="%Y-%m-%d"), "result:N"],
    ).properties(title="Expectation results")


def run_durations_chart(runs: pd.DataFrame) -> alt.Chart:
    """Each run's duration over time, coloured by status."""
    return alt.Chart(runs).mark_circle(size=30).encode(
        x=_time_axis("started_at", "started (UTC)"),
        y=alt.Y("duration_seconds:Q", title="duration (s)"),
        color=alt.Color("status:N", scale=alt.Scale(domain=list(RUN_COLORS),
                                                    range=list(RUN_COLORS.values()))),
        tooltip=["table_name:N", "status:N", alt.Tooltip("started_at:T", format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("duration_seconds:Q", format=".1f"), "retries:Q"],
    ).properties(title="Run durations", height=240)


def lag_chart(runs: pd.DataFrame) -> alt.Chart:
    """Scheduler lag (started minus scheduled), per run over time."""
    scheduled = runs[runs["lag_seconds"].notna()]
    return alt.Chart(scheduled).mark_circle(size=30, color="#9467bd").encode(
        x=_time_axis("started_at", "started (UTC)"),
        y=alt.Y("lag_seconds:Q", title="lag (s)"),
        tooltip=["table_name:N", alt.Tooltip("scheduled_at:T", format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("lag_seconds:Q", format=".0f")],
    ).properties(title="Scheduler lag", height=240)

