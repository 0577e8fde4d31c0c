"""Incidents & failures: open and recent incidents, anomalies, failed expectations and
failed runs, with the dashboard's only actions (acknowledge, resolve with a reason, mute,
mark as expected)."""

import pandas as pd
import streamlit as st

from monitor import formatting
from monitor.dashboard import actions, cached, lifecycle
from monitor.dashboard.page import act, author, page_context, period_picker, show_outcome, when
from monitor.dashboard.profile import metric_title
from monitor.dashboard.readable import headers, readable
from monitor.store.dashboard import OPEN_INCIDENT

INCIDENT_LABELS = {key: st.column_config.NumberColumn(label) if key == "occurrences"
                   else st.column_config.TextColumn(label)
                   for key, label in lifecycle.INCIDENT_COLUMNS.items()}

ANOMALY_LABELS = {"ts": "When (UTC)", "table_name": "Table", "metric": "Metric",
                  "column_name": "Column", "value": "Value", "expected": "Expected",
                  "lower": "Lower bound", "upper": "Upper bound", "severity": "Severity",
                  "reason": "Why", "label": "Label"}
EXPECTATION_LABELS = {"ts": "When (UTC)", "table_name": "Table", "suite": "Suite",
                      "expectation_type": "Expectation", "column_name": "Column",
                      "severity": "Severity", "observed_value": "Observed",
                      "unexpected_count": "Unexpected rows",
                      "unexpected_percent": "Unexpected share (%)", "error": "Error"}
RUN_LABELS = {"started_at": "Started (UTC)", "table_name": "Table", "kind": "Kind",
              "status": "Status", "retries": "Retries", "error_kind": "Error kind",
              "error": "Error", "run_id": "Run"}

st.title("Incidents & failures")
ctx = page_context()
since = period_picker(ctx.now, default=7)

st.text_input("Your name, recorded with what you do here", key="author",
              placeholder="e.g. ana@example.com", persist_state="session")
show_outcome()


incidents = cached.incidents_since(ctx.url, since)
anomalies = cached.anomalies_since(ctx.url, since)
failed_checks = cached.failed_expectations(ctx.url, since)
# Checks of incoming batches (gate, ingest runs) are the gate doing its job: shown apart,
# never counted as the tables' expectation failures.
kinds = dict(zip(cached.runs_since(ctx.url, since)["run_id"],
                 cached.runs_since(ctx.url, since)["kind"], strict=True))
of_batch = failed_checks["run_id"].map(kinds).isin(["gate", "ingest"])
expectations, batch_failures = failed_checks[~of_batch], failed_checks[of_batch]
runs = cached.failed_runs(ctx.url, since)
is_open = incidents["status"].isin(OPEN_INCIDENT)
opened = incidents[is_open]
unlabelled = anomalies[anomalies["label"].isna()]

columns = st.columns(5)
columns[0].metric("Open incidents", int((opened["status"] == "open").sum()))
columns[1].metric("Acknowledged", int((opened["status"] == "acknowledged").sum()))
columns[2].metric("Anomalies to review", len(unlabelled))
columns[3].metric("Failed expectations", len(expectations))
columns[4].metric("Failed runs", len(runs))

st.subheader("Open incidents")
if opened.empty:
    st.success("No open incidents.")
else:
    st.dataframe(lifecycle.incident_rows(opened), hide_index=True, column_order=[
        "ref", "table_name", "check", "severity", "status", "title", "opened", "acknowledged",
        "occurrences", "muted"], column_config=INCIDENT_LABELS)
    options = opened["incident_id"].astype(int).tolist()
    titles = dict(zip(options, opened["title"], strict=True))
    tables = dict(zip(options, opened["table_name"], strict=True))
    # A Slack link opens ?incident=ID&action=acknowledge|resolve: that incident, selected.
    linked = st.query_params.get("incident", "")
    wanted = int(linked) if linked.isdigit() else None
    asked = st.query_params.get("action") if wanted in options else None
    if linked and wanted not in options:
        st.info(f"Incident #{linked} is not open any more (or does not exist): see the "
                f"resolved ones below.")
    pick, length = st.columns([3, 1])
    chosen = pick.selectbox("Incident", options, key="incident",
                            index=options.index(wanted) if wanted in options else 0,
                            format_func=lambda i: f"#{i} {titles[i]}")
    if asked in ("acknowledge", "resolve") and chosen == wanted:
        st.info(f"From your alert: {'acknowledge' if asked == 'acknowledge' else 'resolve'} "
                f"incident #{wanted} ({titles[wanted]}) with the button below.")
    hours = length.selectbox("Mute for", list(actions.MUTE_HOURS), index=1, key="mute_hours",
                             format_func=lambda h: formatting.duration(h * 3600))
    ack, mute_one, mute_all = st.columns(3)
    if ack.button("Acknowledge", key="acknowledge", width="stretch",
                  type="primary" if asked == "acknowledge" else "secondary"):
        act(actions.acknowledge_incident(cached.writer(ctx.url), chosen, by=author()))
    if mute_one.button("Mute this incident", key="mute_incident", width="stretch"):
        act(actions.mute_incident_for(cached.writer(ctx.url), chosen, hours=hours))
    if mute_all.button(f"Mute table {tables[chosen]}", key="mute_table", width="stretch"):
        act(actions.mute_table_for(cached.writer(ctx.url), tables[chosen], hours=hours,
                                   by=author(), reason=f"muted from the dashboard (#{chosen})"))
    why, note, resolve = st.columns([1, 2, 1], vertical_alignment="bottom")
    reason = why.selectbox(
        "Resolution", list(actions.RESOLUTION_CHOICES), key="resolution",
        format_func=lambda r: lifecycle.resolution_text(r).capitalize(),
        help="Expected and false positive: the flagged points rejoin the detectors' "
             "training. Fixed and no action needed: they stay out of it.")
    remark = note.text_input("Note (optional)", key="resolution_note",
                             placeholder="e.g. partner file reloaded")
    if resolve.button("Resolve", key="resolve", width="stretch",
                      type="secondary" if asked == "acknowledge" else "primary"):
        act(actions.resolve_incident(cached.writer(ctx.url), chosen, reason=reason,
                                     by=author(), note=remark))

recent = incidents[~is_open]
with st.expander(f"Resolved in the period ({len(recent)})"):
    st.dataframe(lifecycle.incident_rows(recent), hide_index=True, column_order=[
        "ref", "table_name", "check", "severity", "title", "opened", "acknowledged",
        "resolved", "resolution"], column_config=INCIDENT_LABELS)

times = lifecycle.response_by_table(incidents, since=since)
if not times.empty:
    st.subheader("Response times")
    st.caption("From opening to acknowledgement and to resolution, for the incidents opened "
               "in the period.")
    st.dataframe(times, hide_index=True)

st.subheader("Anomalies")
if anomalies.empty:
    st.success("No anomalies in the period.")
else:
    shown = anomalies.assign(
        metric=anomalies["metric"].map(metric_title),
        **{column: [formatting.measure(None if pd.isna(v) else v, m)
                    for v, m in zip(anomalies[column], anomalies["metric"], strict=True)]
           for column in ("value", "expected", "lower", "upper")})
    st.dataframe(readable(shown, ANOMALY_LABELS), hide_index=True,
                 column_config=headers(ANOMALY_LABELS))
    if unlabelled.empty:
        st.caption("Every anomaly in the period is labelled.")
    else:
        keys = list(unlabelled.index)

        def describe(i: int) -> str:
            row = unlabelled.loc[i]
            series = f"{row.metric}({row.column_name})" if row.column_name else row.metric
            return f"{row.table_name} {series} at {when(row.ts)}: {row.reason or ''}"

        point, button = st.columns([3, 1], vertical_alignment="bottom")
        picked = point.selectbox("Anomaly", keys, format_func=describe, key="anomaly")
        if button.button("Mark as expected", key="mark_expected", width="stretch"):
            row = unlabelled.loc[picked]
            act(actions.mark_expected(
                cached.writer(ctx.url), row.table_name, row.metric,
                ts=pd.Timestamp(row.ts).to_pydatetime(), column=row.column_name,
                granularity=row.granularity, by=author(), note="marked from the dashboard"))

st.subheader("Failed expectations")
if expectations.empty:
    st.success("No failed expectations in the period.")
else:
    st.dataframe(readable(expectations, EXPECTATION_LABELS), hide_index=True,
                 column_config=headers(EXPECTATION_LABELS))
if not batch_failures.empty:
    with st.expander(f"Checks of incoming batches that failed ({len(batch_failures)}): "
                     f"the gate held those batches back"):
        st.dataframe(readable(batch_failures, EXPECTATION_LABELS), hide_index=True,
                     column_config=headers(EXPECTATION_LABELS))

st.subheader("Failed runs")
if runs.empty:
    st.success("No failed runs in the period.")
else:
    st.dataframe(readable(runs, RUN_LABELS), hide_index=True,
                 column_config=headers(RUN_LABELS))
