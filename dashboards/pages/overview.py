"""Overview: every monitored table with its health, most urgent first."""

import datetime as dt

import streamlit as st

from monitor.dashboard import cached, health
from monitor.dashboard.links import table_url
from monitor.dashboard.page import (
    day_start,
    page_context,
    status_badge,
    status_label,
    style_status,
    when,
)

st.title("Data health")
ctx = page_context()
if not ctx.table_names:
    st.info(f"No tables are configured yet: list them under `tables:` in {ctx.config.source}.")
    st.stop()

latest = cached.latest_state(ctx.url, ctx.table_names, ctx.now.date())
trends = cached.row_count_trends(ctx.url, day_start(ctx.now) - dt.timedelta(days=30),
                                 ctx.table_names)
frame = health.overview(ctx.config, latest, trends, ctx.now)

counts = health.status_counts(frame)
for column, (status, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(status_label(status), count)

owners = sorted({o for t in ctx.config.tables for o in t.owners})
tags = sorted({g for t in ctx.config.tables for g in t.tags})
left, middle, right = st.columns(3)
chosen_owners = left.multiselect("Owner", owners, key="owner")
chosen_tags = middle.multiselect("Tag", tags, key="tag")
chosen_statuses = right.multiselect("Status", list(health.STATUSES), key="status")
shown = health.filter_overview(frame, owners=chosen_owners, tags=chosen_tags,
                               statuses=chosen_statuses)

attention = shown[shown["status"].isin(["failing", "stale", "warning"])]
if not attention.empty:
    st.subheader("Needs attention")
    lines = [f"- {status_badge(row.status)} **[{row.table}]({table_url(None, row.table)})**: "
             f"{row.reason}" for row in attention.head(8).itertuples()]
    more = len(attention) - 8
    st.markdown("\n".join(lines) + (f"\n\n…and {more} more below." if more > 0 else ""))

st.subheader("All tables")
st.caption(f"{len(shown)} of {len(frame)} tables, most urgent first. Times in UTC; "
           f"data refreshes every {cached.CACHE_TTL_SECONDS} s "
           f"(as of {when(ctx.now)}).")
display = shown.assign(link=shown["table"].map(lambda name: table_url(None, name)))
st.dataframe(
    style_status(display),
    hide_index=True,
    column_order=["status", "link", "reason", "last_run", "last_run_status", "data_age",
                  "row_count", "trend", "open_incidents", "owners", "tags", "muted_until"],
    column_config={
        "status": st.column_config.TextColumn("Status", width="small"),
        "link": st.column_config.LinkColumn("Table", display_text=r"table=([^&]+)"),
        "reason": st.column_config.TextColumn("Why", width="large"),
        "last_run": st.column_config.DatetimeColumn("Last run", format="YYYY-MM-DD HH:mm"),
        "last_run_status": st.column_config.TextColumn("Run status"),
        "data_age": st.column_config.TextColumn("Data age", help="Age of the newest row"),
        "row_count": st.column_config.NumberColumn("Rows", format="localized"),
        "trend": st.column_config.LineChartColumn("Rows, 30 days", color="#4c78a8"),
        "open_incidents": st.column_config.NumberColumn("Open incidents"),
        "owners": st.column_config.TextColumn("Owners"),
        "tags": st.column_config.TextColumn("Tags"),
        "muted_until": st.column_config.DatetimeColumn("Muted until",
                                                       format="YYYY-MM-DD HH:mm"),
    },
)
if ctx.check.runs == 1:
    st.info("Only one run is recorded so far: trends, anomaly bands and health fill in as "
            "more runs arrive.")

if not shown.empty:
    pick, go = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Open a table", shown["table"].tolist(), key="open_table")
    if go.button("Open table page", key="open"):
        st.switch_page("pages/table.py", query_params={"table": chosen})
