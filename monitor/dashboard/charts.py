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

from collections.abc import Mapping

import altair as alt
import pandas as pd

from monitor import formatting

#: Colour of each status or result, the same on every page.
STATUS_COLORS = {"failing": "#d62728", "stale": "#9467bd", "warning": "#ff7f0e",
                 "learning": "#17becf", "ok": "#2ca02c"}
RUN_COLORS = {"success": "#2ca02c", "partial": "#ff7f0e", "failed": "#d62728",
              "lost": "#8c564b", "interrupted": "#9467bd", "running": "#1f77b4"}
RESULT_COLORS = {"pass": "#2ca02c", "fail": "#d62728", "error": "#7f7f7f"}
MARK_COLORS = {"anomaly": "#d62728", "marked expected": "#2ca02c"}
UTC = alt.Scale(type="utc")
#: Height of a metric chart, tall enough to read the band (px).
CHART_HEIGHT = 250
#: Colour of each completeness class: against the column's own normal or its limit.
COMPLETENESS_COLORS = {"usual": "#2ca02c", "within the limit": "#2ca02c",
                       "fewer nulls than usual": "#1f77b4",
                       "more nulls than usual": "#ff7f0e",
                       "far more nulls than usual": "#d62728", "over the limit": "#d62728"}
#: A day's null rate is usual within this much of the column's median (or 3 MADs).
USUAL_NULL_SPREAD = 0.02
FAR_NULL_SPREAD = 0.2


def _time_axis(field: str = "ts", title: str = "time (UTC)") -> alt.X:
    return alt.X(f"{field}:T", title=title, scale=UTC)


def point_marks(series: pd.DataFrame) -> pd.Series:
    """How each point is marked: ``anomaly``, ``marked expected`` (labelled by a person)
    or None."""
    labels = series["label"] if "label" in series else [None] * len(series)
    marks = ["marked expected" if label == "expected" else "anomaly" if anomalous else None
             for anomalous, label in zip(series["is_anomaly"].astype(bool), labels, strict=True)]
    return pd.Series(marks, index=series.index, dtype="object")


def unit_of(metric: str | None, values: pd.Series) -> tuple[float, str, str]:
    """How a metric's axis reads: (divide by, axis title, d3 format).

    >>> unit_of("freshness_seconds", pd.Series([100_000.0]))
    (3600.0, 'hours', ',.1~f')
    >>> unit_of("null_rate", pd.Series([0.2]))[1:], unit_of("row_count", pd.Series([9.0]))[1:]
    (('share', '.1~%'), ('rows', ',.0f'))
    """
    name = (metric or "").lower()
    if name.endswith(("_rate", "_fraction", "_ratio")):
        return 1.0, "share", ".1~%"
    if name.endswith("_seconds"):
        top = float(values.abs().max()) if len(values) and values.notna().any() else 0.0
        if top >= 2 * 86400:
            return 86400.0, "days", ",.1~f"
        if top >= 2 * 3600:
            return 3600.0, "hours", ",.1~f"
        if top >= 120:
            return 60.0, "minutes", ",.0f"
        return 1.0, "seconds", ",.1~f"
    if name in ("row_count", "null_count", "distinct_count") or name.endswith("_count"):
        return 1.0, "rows" if name == "row_count" else "count", ",.0f"
    return 1.0, "value", ",.4~g"


def band_chart(series: pd.DataFrame, *, title: str, metric: str | None = None,
               height: int = CHART_HEIGHT) -> alt.LayerChart:
    """One metric over time: the expected band shaded, the expected value dashed, the
    observed value as a line, anomalies (red) and points marked expected (green).
    Values read in the metric's unit: durations in hours (or days, minutes), rates as %,
    counts with separators; the tooltip writes them as the CLI does."""
    divide, unit, fmt = unit_of(metric, series["value"])
    data = series.assign(mark=point_marks(series))
    for column in ("value", "expected", "lower", "upper"):
        data[f"{column}_shown"] = data[column] / divide
    data["value_text"] = [formatting.measure(v, metric) for v in _plain(data["value"])]
    data["expected_text"] = [formatting.measure(v, metric) for v in _plain(data["expected"])]
    data["band_text"] = [
        f"{formatting.measure(lo, metric)} – {formatting.measure(hi, metric)}"
        if lo is not None and hi is not None else formatting.MISSING
        for lo, hi in zip(_plain(data["lower"]), _plain(data["upper"]), strict=True)]
    tooltip = [alt.Tooltip("ts:T", title="time (UTC)", format="%Y-%m-%d %H:%M"),
               alt.Tooltip("value_text:N", title="value"),
               alt.Tooltip("expected_text:N", title="expected"),
               alt.Tooltip("band_text:N", title="normal band")]
    # The layers share the top-level data: Altair converts one frame, not one per layer.
    base = alt.Chart().encode(x=_time_axis())
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("lower_shown:Q", title=unit, scale=alt.Scale(zero=False),
                axis=alt.Axis(format=fmt)), y2=alt.Y2("upper_shown:Q"))
    expected = base.mark_line(strokeDash=[4, 3], color="#7f7f7f").encode(
        y=alt.Y("expected_shown:Q"))
    observed = base.mark_line(color="#1f4e79", point=alt.OverlayMarkDef(size=12)).encode(
        y=alt.Y("value_shown:Q"), tooltip=tooltip)
    marked = data[data["mark"].notna()]
    extra = [("reason", "why"), ("state", "state")]
    points = alt.Chart(marked).mark_point(size=110, filled=True).encode(
        x=_time_axis(), y=alt.Y("value_shown:Q"),
        color=alt.Color("mark:N", title=None, legend=alt.Legend(orient="top") if len(marked)
                        else None,
                        scale=alt.Scale(domain=list(MARK_COLORS),
                                        range=list(MARK_COLORS.values()))),
        tooltip=[*tooltip, *(alt.Tooltip(f"{c}:N", title=t) for c, t in extra if c in marked)])
    return alt.layer(band, expected, observed, points, data=data).properties(
        title=title, height=height)


def _plain(values: pd.Series) -> list[float | None]:
    return [None if pd.isna(v) else float(v) for v in values.tolist()]


def trend_chart(values: pd.DataFrame, *, title: str, metric: str | None = None,
                height: int = CHART_HEIGHT) -> alt.Chart:
    """A plain metric line (``ts``, ``value``) for metrics no detector watches."""
    divide, unit, fmt = unit_of(metric or title, values["value"])
    data = values.assign(value_shown=values["value"] / divide,
                         value_text=[formatting.measure(v, metric or title)
                                     for v in _plain(values["value"])])
    return alt.Chart(data).mark_line(point=True).encode(
        x=_time_axis(), y=alt.Y("value_shown:Q", title=unit, axis=alt.Axis(format=fmt)),
        tooltip=[alt.Tooltip("ts:T", title="time (UTC)", format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("value_text:N", title="value")],
    ).properties(title=title, height=height)


def _day(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts).dt.floor("D")


def completeness_classes(frame: pd.DataFrame,
                         limits: Mapping[str, float | None] | None = None) -> pd.DataFrame:
    """Daily null rate per column, judged against the column's own normal (its median
    over the period) or, where the config sets ``max_null_rate``, against that limit.

    A column that is 90 % null by design is ``usual`` at 90 %; the same colour means the
    same thing on every table.

    >>> frame = pd.DataFrame({"column_name": ["a"] * 4 + ["b"] * 4,
    ...     "ts": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"] * 2),
    ...     "value": [0.9, 0.9, 0.9, 0.9, 0.01, 0.01, 0.01, 0.4]})
    >>> completeness_classes(frame)["class"].tolist()
    ['usual', 'usual', 'usual', 'usual', 'usual', 'usual', 'usual', 'far more nulls than usual']
    >>> completeness_classes(frame, {"b": 0.05})["class"].tolist()[-2:]
    ['within the limit', 'over the limit']
    """
    limits = limits or {}
    daily = (frame.assign(day=_day(frame["ts"]))
             .groupby(["column_name", "day"], as_index=False)["value"].mean()
             .rename(columns={"value": "null_rate"}))
    out = []
    for column, group in daily.groupby("column_name", sort=True):
        rates = group["null_rate"]
        usual = float(rates.median())
        spread = max(USUAL_NULL_SPREAD, 3 * float((rates - usual).abs().median()))
        limit = limits.get(str(column))
        classes = []
        for rate in rates:
            if limit is not None:
                classes.append("over the limit" if rate > limit else "within the limit")
            elif rate - usual > FAR_NULL_SPREAD:
                classes.append("far more nulls than usual")
            elif rate - usual > spread:
                classes.append("more nulls than usual")
            elif usual - rate > spread:
                classes.append("fewer nulls than usual")
            else:
                classes.append("usual")
        out.append(group.assign(
            usual=usual, limit=limit, **{"class": classes},
            rate_text=[formatting.percent(r) for r in rates],
            usual_text=formatting.percent(usual),
            limit_text=formatting.percent(limit) if limit is not None else "none set"))
    if not out:
        return daily.assign(usual=[], limit=[], **{"class": []})
    return pd.concat(out, ignore_index=True)


def completeness_heatmap(frame: pd.DataFrame,
                         limits: Mapping[str, float | None] | None = None) -> alt.Chart:
    """Columns by day, coloured by how the day's null rate compares with the column's
    own normal or its configured limit (``completeness_classes``)."""
    judged = completeness_classes(frame, limits)
    present = [c for c in COMPLETENESS_COLORS if c in set(judged["class"])]
    return alt.Chart(judged).mark_rect().encode(
        x=alt.X("utcyearmonthdate(day):O", title="day (UTC)",
                axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
        y=alt.Y("column_name:N", title="column"),
        color=alt.Color("class:N", title="null rate",
                        scale=alt.Scale(domain=present,
                                        range=[COMPLETENESS_COLORS[c] for c in present]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("column_name:N", title="column"),
                 alt.Tooltip("day:T", title="day", format="%Y-%m-%d"),
                 alt.Tooltip("rate_text:N", title="null rate"),
                 alt.Tooltip("usual_text:N", title="usual"),
                 alt.Tooltip("limit_text:N", title="limit (config)"),
                 alt.Tooltip("class:N", title="judged")],
    ).properties(title="Null rate by column, against each column's own normal",
                 height=max(120, 28 * judged["column_name"].nunique()))


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
        tooltip=[alt.Tooltip("expectation:N"), alt.Tooltip("day:T", format="%Y-%m-%d"),
                 alt.Tooltip("result:N")],
    ).properties(title="Expectation results")


def run_durations_chart(runs: pd.DataFrame) -> alt.Chart:
    """Each run's duration over time, coloured by status."""
    return alt.Chart(runs).mark_circle(size=30).encode(
        x=_time_axis("started_at", "started (UTC)"),
        y=alt.Y("duration_seconds:Q", title="duration (seconds)", axis=alt.Axis(format=",.0f")),
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
        y=alt.Y("lag_seconds:Q", title="lag (seconds)", axis=alt.Axis(format=",.0f")),
        tooltip=["table_name:N", alt.Tooltip("scheduled_at:T", format="%Y-%m-%d %H:%M"),
                 alt.Tooltip("lag_seconds:Q", format=".0f")],
    ).properties(title="Scheduler lag", height=240)

