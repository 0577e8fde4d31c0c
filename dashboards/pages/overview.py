"""Overview: what is broken, worst first, in the incidents' own words; then every
monitored table with its health and the rows that arrived per day."""

import datetime as dt

import pandas as pd
import streamlit as st

from monitor import formatting
from monitor.dashboard import broken, cached, health
from monitor.dashboard.links import incident_url, table_url
from monitor.dashboard.page import (
    STATUS_CSS,
    day_start,
    page_context,
    status_badge,
    status_label,
    when,
)

#: The columns sent to the browser ("table" and "status" stay hidden, for links and tests).
SHOWN = ("table", "status", "health", "link", "reason", "trend", "data_age", "last_run_text",
         "owners", "open_incidents")

st.title("Data health")
ctx = page_context()
if not ctx.table_names:
    st.info(f"No tables are configured yet: list them under `tables:` in {ctx.config.source}.")
    st.stop()

latest, trends = cached.overview(ctx.url, ctx.table_names, ctx.now.date(),
                                 day_start(ctx.now) - dt.timedelta(days=30))
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

items = broken.problems(shown, cached.incidents_since(ctx.url, day_start(ctx.now)), ctx.now)
SHOWN_ITEMS = 10
if items.empty:
    st.success("Nothing is broken: every shown table passes its checks.")
else:
    st.subheader("What is broken")
    lines = []
    for row in items.head(SHOWN_ITEMS).itertuples():
        facts = [f"since {row.since}" if row.since != formatting.MISSING else "",
                 f"owner {row.owners}" if row.owners != formatting.MISSING else "no owner set",
                 f"acknowledged by {row.acknowledged_by}" if row.acknowledged_by else ""]
        ref = (f" · [#{int(row.incident_id)}]({incident_url(None, int(row.incident_id))})"
               if row.incident_id is not None and pd.notna(row.incident_id) else "")
        lines.append(f"- {status_badge(row.status)} **[{row.table}]({table_url(None, row.table)})"
                     f": {row.sentence}**  \n  {' · '.join(f for f in facts if f)}{ref}")
    more = len(items) - SHOWN_ITEMS
    st.markdown("\n".join(lines) + (f"\n\n…and {more} more in the table below."
                                    if more > 0 else ""))

st.subheader("All tables")
st.caption(f"{len(shown)} of {len(frame)} tables, most urgent first. Times in UTC; "
           f"data refreshes every {cached.CACHE_TTL_SECONDS} s "
           f"(as of {when(ctx.now)}).")
# Only the shown columns go to the browser; the status is a coloured pill (no per-cell
# CSS to compute and send: at 1,000 tables a styled frame cost 0.4 s to build).
display = shown.assign(link=shown["table"].map(lambda name: table_url(None, name)),
                       health=shown["status"].map(lambda status: [status]),
                       data_age=shown["data_age"].fillna(formatting.MISSING),
                       last_run_text=shown["last_run"].map(when),
                       owners=shown["owners"].replace("", formatting.MISSING))[list(SHOWN)]
st.dataframe(
    display,
    hide_index=True,
    width="stretch",
    column_order=[c for c in SHOWN if c not in ("table", "status")],
    column_config={
        "health": st.column_config.MultiselectColumn(
            "Status", options=list(STATUS_CSS), color=list(STATUS_CSS.values()),
            width="small"),
        "link": st.column_config.LinkColumn("Table", display_text=r"table=([^&]+)",
                                            width="small"),
        "reason": st.column_config.TextColumn("Why", width="medium"),
        "trend": st.column_config.BarChartColumn(
            "Rows per day, 30 days", width="medium", color="#4c78a8",
            help="Rows that arrived each day (a partial load shows as a short bar)"),
        "data_age": st.column_config.TextColumn("Data age", help="Age of the newest row",
                                                width="small"),
        "last_run_text": st.column_config.TextColumn("Last run", help="UTC"),
        "owners": st.column_config.TextColumn("Owners"),
        "open_incidents": st.column_config.NumberColumn("Incidents", help="Open incidents"),
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
