"""Table page: one table's trends with their expected band, completeness, schema changes,
latest profile, expectation results, gate verdicts and batches, and its incidents with the
times people took to acknowledge and resolve them.

Deep link (as Slack messages send it): ``/table?table=<name>&days=<7|30|90|365>``.
"""

import streamlit as st

from monitor import formatting
from monitor.dashboard import cached, charts, health, lifecycle
from monitor.dashboard.page import ago, page_context, period_picker, status_badge
from monitor.dashboard.readable import titled
from monitor.store import dashboard_table

ctx = page_context()
names = list(ctx.table_names)
if not names:
    st.title("Table")
    st.info(f"No tables are configured yet: list them under `tables:` in {ctx.config.source}.")
    st.stop()

requested = st.query_params.get("table")
if requested and requested not in names:
    st.warning(f"No table named {requested!r} is configured in {ctx.config.source}; "
               f"showing {names[0]!r} instead.")
pick, period = st.columns([2, 1])
with pick:
    name = st.selectbox("Table", names, key="table", bind="query-params")
with period:
    since = period_picker(ctx.now)
table = ctx.config.table(name)

state_frame = cached.latest_state(ctx.url, (name,), ctx.now.date())
state = state_frame.to_dict("records")[0] if not state_frame.empty else None
verdict = health.judge(state, table, schedule=ctx.config.schedule_for(table), now=ctx.now)
age = health.data_age_seconds(state, ctx.now)

st.title(name)
st.markdown(f"{status_badge(verdict.status)} {verdict.reason}")
st.caption(" · ".join(part for part in (
    f"{table.warehouse}: {table.qualified}",
    f"owners {', '.join(table.owners)}" if table.owners else "",
    f"tags {', '.join(table.tags)}" if table.tags else "",
    f"schedule {ctx.config.schedule_for(table)}",
) if part))
status_col, rows_col, age_col, run_col, incident_col = st.columns(5)
status_col.metric("Health", verdict.status)
rows_col.metric("Rows", formatting.number(int(health.value(state, 'row_count') or 0))
               if state else formatting.MISSING)
age_col.metric("Data age", formatting.duration(age),
               help="Age of the newest row")
run_col.metric("Last run", ago(health.value(state, "last_started_at"), ctx.now),
               help=f"status: {health.value(state, 'last_status') or formatting.MISSING}")
incident_col.metric("Open incidents", int(health.value(state, "open_incidents") or 0))

trends, completeness, schema, profile, expectations, gate, incident_tab = st.tabs(
    ["Trends", "Completeness", "Schema changes", "Latest profile", "Expectations",
     "Gate & batches", "Incidents"])

with trends:
    band = cached.band(ctx.url, name, since)
    if band.empty:
        plain = cached.points(ctx.url, name, since)
        if plain.empty:
            st.info("No metrics recorded for this table in the period.")
        else:
            st.caption("No detector watches this table yet: stored values without a band.")
            for metric, values in plain.groupby("metric", sort=False):
                st.altair_chart(charts.trend_chart(values, title=str(metric)), width="stretch",
                                key=f"trend:{metric}")
    else:
        series = dashboard_table.series_names(band)

        def label(key: tuple[str, str, str]) -> str:
            metric, column, granularity = key
            where = f" of {column}" if column else ""
            per = "per run" if granularity == "snapshot" else f"per {granularity}"
            return f"{metric}{where} ({per})"

        flagged = {tuple(k) for k in band.loc[band["is_anomaly"],
                                              ["metric", "column_name", "granularity"]]
                   .itertuples(index=False)}
        default = series if len(series) <= 8 else [k for k in series
                                                   if k[1] == "" or k in flagged]
        chosen = st.multiselect("Metrics", series, default=default, format_func=label,
                                key="metrics")
        anomalies = band[band["is_anomaly"] & band["label"].ne("expected")]
        found = f"{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}"
        st.caption(f"{len(series)} watched metrics; {found} in the period (red). Shaded: the "
                   f"expected band; dashed: the expected value; green: points marked as "
                   f"expected.")
        if band.groupby(["metric", "column_name", "granularity"]).size().max() < 2:
            st.info("Only one point per metric so far: the trends fill in as runs arrive.")
        for key in chosen:
            metric, column, granularity = key
            data = band[(band["metric"] == metric) & (band["column_name"] == column)
                        & (band["granularity"] == granularity)]
            st.altair_chart(charts.band_chart(data, title=label(key)), width="stretch",
                            key=f"band:{metric}:{column}:{granularity}")
        if not anomalies.empty:
            st.subheader("Anomalies in the period")
            flagged_points = anomalies[["ts", "metric", "column_name", "value", "expected",
                                        "lower", "upper", "severity", "reason"]].sort_values(
                                            "ts", ascending=False)
            st.dataframe(flagged_points, hide_index=True, column_config=titled(flagged_points))

with completeness:
    filled = cached.completeness(ctx.url, name, since)
    if filled.empty:
        st.info("No null rates recorded for this table in the period.")
    else:
        st.altair_chart(charts.completeness_heatmap(filled), width="stretch", key="completeness")

with schema:
    changes = cached.schema_changes(ctx.url, name, since)
    if changes.empty:
        st.info("No schema changes in the period.")
    else:
        st.dataframe(changes, hide_index=True, column_config=titled(changes))

with profile:
    latest = cached.latest_profile(ctx.url, name)
    if latest.empty:
        st.info("No profile recorded yet.")
    else:
        st.dataframe(latest, hide_index=True, column_config=titled(latest))

with expectations:
    results = cached.expectation_history(ctx.url, name, since)
    if results.empty:
        st.info("No expectation results in the period (is a suite configured for this table?).")
    else:
        st.altair_chart(charts.expectation_heatmap(results), width="stretch",
                        key="expectation_results")
        failures = results[results["result"] != "pass"].sort_values("ts", ascending=False)
        st.caption(f"{len(results)} results, {len(failures)} failed or errored.")
        if not failures.empty:
            failed = failures[["ts", "expectation", "severity", "result", "observed_value",
                               "unexpected_count", "error"]]
            st.dataframe(failed, hide_index=True, column_config=titled(failed))

with gate:
    verdicts = cached.gate_history(ctx.url, name, since)
    loaded = cached.batch_history(ctx.url, name, since)
    if verdicts.empty and loaded.empty:
        st.info("No gate verdicts or batches in the period (the gate is not used for this table).")
    else:
        st.subheader("Gate verdicts")
        st.dataframe(verdicts, hide_index=True, column_config=titled(verdicts))
        quarantined = loaded[(loaded["rows_quarantined"].fillna(0) > 0)
                             | loaded["status"].isin(["blocked", "failed"])]
        st.subheader(f"Quarantined or blocked batches ({len(quarantined)})")
        st.dataframe(quarantined, hide_index=True, column_config=titled(quarantined))
        with st.expander(f"All batches ({len(loaded)})"):
            st.dataframe(loaded, hide_index=True, column_config=titled(loaded))

with incident_tab:
    every = cached.incidents_since(ctx.url, since)
    own = every[every["table_name"] == name]
    times = lifecycle.response_times(own, since=since)
    to_ack, to_resolve, count = st.columns(3)
    to_ack.metric("Time to acknowledge", formatting.duration(times.to_acknowledge),
                  help=f"Median from opening to acknowledgement, over the {times.acknowledged} "
                       f"acknowledged incidents opened in the period")
    to_resolve.metric("Time to resolve", formatting.duration(times.to_resolve),
                      help=f"Median from opening to resolution, over the {times.resolved} "
                           f"resolved incidents opened in the period")
    count.metric("Incidents opened", times.opened, help="In the period")
    if own.empty:
        st.info("No incidents in the period.")
    else:
        st.dataframe(lifecycle.incident_rows(own), hide_index=True, column_order=[
            "ref", "check", "severity", "status", "title", "opened", "acknowledged",
            "resolved", "resolution"], column_config={
                key: st.column_config.TextColumn(label)
                for key, label in lifecycle.INCIDENT_COLUMNS.items() if key != "occurrences"})
        st.caption("Act on them on the Incidents page, or with `dq-monitor incidents ack|"
                   "resolve ID`.")

if table.segments:  # drill-down by segment (monitor.dashboard.segments)
    from monitor.dashboard.segments import render as render_segments
    render_segments(ctx.url, name, since)
