"""Runs: the monitor's own health: durations, failures, retries and scheduler lag."""

import pandas as pd
import streamlit as st

from monitor import formatting
from monitor.dashboard import cached, charts
from monitor.dashboard.page import page_context, period_picker
from monitor.dashboard.readable import headers, readable
from monitor.store.dashboard import FAILED_RUN

PER_TABLE_LABELS = {"table_name": "Table", "runs": "Runs", "failed": "Failed",
                    "retries": "Retries", "mean_duration": "Mean duration",
                    "max_duration": "Longest", "max_lag": "Longest scheduler lag",
                    "last_run": "Last run (UTC)"}
FAILED_LABELS = {"started_at": "Started (UTC)", "table_name": "Table", "kind": "Kind",
                 "status": "Status", "retries": "Retries", "error_kind": "Error kind",
                 "error": "Error"}

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
    mean_duration=("duration_seconds", "mean"), max_duration=("duration_seconds", "max"),
    max_lag=("lag_seconds", "max"), last_run=("started_at", "max"),
).reset_index().sort_values(["failed", "table_name"], ascending=[False, True])
for column in ("mean_duration", "max_duration", "max_lag"):
    per_table[column] = [formatting.duration(None if pd.isna(v) else v)
                         for v in per_table[column]]
st.dataframe(readable(per_table, PER_TABLE_LABELS), hide_index=True, width="stretch",
             column_config=headers(PER_TABLE_LABELS))

st.subheader("Failed runs")
if not failed.any():
    st.success("No failed runs in the period.")
else:
    shown = runs[failed].sort_values("started_at", ascending=False)
    st.dataframe(readable(shown, FAILED_LABELS), hide_index=True, width="stretch",
                 column_config=headers(FAILED_LABELS))
    kinds = runs[failed]["error_kind"].fillna("unknown").value_counts()
    st.caption("By error kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
