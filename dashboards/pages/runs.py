"""Runs: the monitor's own health: durations, failures, retries and scheduler lag."""

import streamlit as st

from monitor import formatting
from monitor.dashboard import cached, charts
from monitor.dashboard.page import page_context, period_picker
from monitor.store.dashboard import FAILED_RUN

st.title("Runs")
ctx = page_context()
since = period_picker(ctx.now, default=7)
runs = cached.runs_since(ctx.url, since)
tables = sorted(runs["table_name"].unique())
chosen = st.multiselect("Tables", tables, key="run_tables")
if chosen:
    runs = runs[runs["table_name"].isin(chosen)]

if runs.empty:
    st.info("No runs in the period.")
    st.stop()

failed = runs["status"].isin(FAILED_RUN)
durations = runs["duration_seconds"].dropna()
lags = runs["lag_seconds"].dropna()


def seconds(value: float | None) -> str:
    return formatting.MISSING if value is None or value != value else formatting.duration(value)


cells = st.columns(6)
cells[0].metric("Runs", len(runs))
cells[1].metric("Failed", int(failed.sum()), help="failed, partial, lost or interrupted")
cells[2].metric("Retries", int(runs["retries"].sum()))
cells[3].metric("Median duration", seconds(durations.median() if len(durations) else None))
cells[4].metric("p95 duration", seconds(durations.quantile(0.95) if len(durations) else None))
cells[5].metric("p95 scheduler lag", seconds(lags.quantile(0.95) if len(lags) else None),
                help="started_at minus scheduled_at")

left, right = st.columns(2)
left.altair_chart(charts.run_durations_chart(runs), width="stretch", key="durations")
if lags.empty:
    right.info("No scheduled runs in the period: lag is measured for scheduled runs only.")
else:
    right.altair_chart(charts.lag_chart(runs), width="stretch", key="lag")

st.subheader("Per table")
per_table = runs.assign(failed=failed).groupby("table_name").agg(
    runs=("run_id", "count"), failed=("failed", "sum"), retries=("retries", "sum"),
    mean_duration_s=("duration_seconds", "mean"), max_duration_s=("duration_seconds", "max"),
    max_lag_s=("lag_seconds", "max"), last_run=("started_at", "max"),
).round({"mean_duration_s": 1}).reset_index().sort_values(["failed", "table_name"],
                                                          ascending=[False, True])
st.dataframe(per_table, hide_index=True)

st.subheader("Failed runs")
if not failed.any():
    st.success("No failed runs in the period.")
else:
    st.dataframe(runs[failed].sort_values("started_at", ascending=False)[
        ["started_at", "table_name", "kind", "status", "retries", "error_kind", "error"]],
        hide_index=True)
    kinds = runs[failed]["error_kind"].fillna("unknown").value_counts()
    st.caption("By error kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
