"""Table page: what is wrong with one table now (its open incidents and failed checks,
with their charts), then its trends with the expected band, completeness against each
column's own normal, schema changes, latest profile, expectation results, ingest batches
(apart: never counted as the table's failures), and its incidents with the times people
took to acknowledge and resolve them.

Deep link (as Slack messages send it): ``/?table=<name>&days=<7|30|90|365>`` (the root
opens this page; ``/table?table=<name>`` works too).
"""

import json

import pandas as pd
import streamlit as st

from monitor import formatting
from monitor.dashboard import (
    broken,
    cached,
    chart_specs,
    checks,
    health,
    lifecycle,
    point_feedback,
)
from monitor.dashboard import profile as profiles
from monitor.dashboard.links import incident_url
from monitor.dashboard.page import (
    act,
    ago,
    author,
    page_context,
    period_picker,
    show_outcome,
    status_badge,
)
from monitor.dashboard.readable import headers, readable, series_label
from monitor.store import dashboard_table
from monitor.store.dashboard import OPEN_INCIDENT

ANOMALY_LABELS = {"ts": "When (UTC)", "series": "Metric", "value": "Value",
                  "expected": "Expected", "band": "Normal band", "severity": "Severity",
                  "reason": "Why"}
EXPECTATION_LABELS = {"ts": "When (UTC)", "expectation": "Expectation",
                      "severity": "Severity", "result": "Result",
                      "observed_value": "Observed", "unexpected_count": "Unexpected rows",
                      "error": "Error"}
SCHEMA_LABELS = {"ts": "When (UTC)", "change": "Change", "column": "Column",
                 "old_type": "Old type", "new_type": "New type"}
VERDICT_LABELS = {"ts": "When (UTC)", "verdict": "Verdict", "batch_id": "Batch",
                  "reason": "Why", "verdict_id": "Verdict id"}
BATCH_LABELS = {"started_at": "Started (UTC)", "batch_id": "Batch",
                "source_file": "Source file", "status": "Status", "rows_in": "Rows in",
                "rows_published": "Rows published", "rows_quarantined": "Rows quarantined",
                "error": "Error"}
BATCH_CHECK_LABELS = {"ts": "When (UTC)", "expectation": "Expectation",
                      "severity": "Severity", "result": "Result",
                      "unexpected_count": "Unexpected rows"}

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
show_outcome()
st.markdown(f"{status_badge(verdict.status)} {verdict.reason}")
st.caption(" · ".join(part for part in (
    f"{table.warehouse}: {table.qualified}",
    f"owners {', '.join(table.owners)}" if table.owners else "no owner set",
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

band = cached.band(ctx.url, name, since)
own_checks, batch_checks = cached.table_expectations(ctx.url, name, since)
every_incident = cached.incidents_since(ctx.url, since)
own_incidents = every_incident[every_incident["table_name"] == name]


def series_of(metric: str, column: str, granularity: str | None = None) -> pd.DataFrame:
    """One watched series of the band frame (any granularity, finest first, if None)."""
    found = band[(band["metric"] == metric) & (band["column_name"] == column)]
    if granularity is None and not found.empty:
        granularity = next(g for g in dashboard_table.GRANULARITY_PREFERENCE
                           if g in set(found["granularity"]))
    return found[found["granularity"] == granularity]


def band_chart(key: tuple[str, str, str], data: pd.DataFrame, where: str) -> None:
    """The series' chart, then its flagged points with their feedback buttons."""
    metric, column, granularity = key
    chart_specs.draw(chart_specs.band(data, series_label(*key), metric),
                     key=f"{where}:{metric}:{column}:{granularity}")
    point_feedback.show(data, table=name, where=where, writer=lambda: cached.writer(ctx.url),
                        author=author(), on_done=act)


def readable_anomalies(points: pd.DataFrame) -> pd.DataFrame:
    rows = points.assign(
        series=[series_label(m, c, g) for m, c, g in zip(
            points["metric"], points["column_name"], points["granularity"], strict=True)],
        value=[formatting.measure(v, m) for v, m in zip(points["value"], points["metric"],
                                                        strict=True)],
        expected=[formatting.measure(None if pd.isna(v) else v, m)
                  for v, m in zip(points["expected"], points["metric"], strict=True)],
        band=[f"{formatting.measure(lo, m)} – {formatting.measure(hi, m)}"
              if pd.notna(lo) and pd.notna(hi) else formatting.MISSING
              for lo, hi, m in zip(points["lower"], points["upper"], points["metric"],
                                   strict=True)])
    return readable(rows, ANOMALY_LABELS)


# -- what is wrong now ---------------------------------------------------------------
st.subheader("What is wrong now")
open_now = own_incidents[own_incidents["status"].isin(OPEN_INCIDENT)]
charted: set[tuple[str, str, str]] = set()
failing = checks.failing_now(own_checks)
for row in open_now.to_dict("records"):
    details = json.loads(row["details_json"]) if isinstance(row.get("details_json"),
                                                             str) else {}
    finding = details.get("finding") or {}
    acknowledged = (f" · acknowledged by {row['acknowledged_by']}"
                    if isinstance(row.get("acknowledged_by"), str) else "")
    st.markdown(f"{status_badge('failing' if row['severity'] == 'critical' else 'warning')} "
                f"**{broken.sentence(row['title'], name)}**  \n"
                f"{row['severity']} · since {broken.since_text(row['opened_at'], ctx.now)}"
                f"{acknowledged} · [#{int(row['incident_id'])}]"
                f"({incident_url(None, int(row['incident_id']))})")
    metric, column = finding.get("metric"), finding.get("column") or ""
    if str(row["check_key"]).startswith("schema"):
        changes = cached.schema_changes(ctx.url, name, since)
        if not changes.empty:
            st.dataframe(readable(changes, SCHEMA_LABELS), hide_index=True,
                         column_config=headers(SCHEMA_LABELS))
    elif metric and finding.get("kind") == "anomaly":
        data = series_of(metric, column)
        if not data.empty:
            key = (metric, column, str(data["granularity"].iloc[0]))
            charted.add(key)
            band_chart(key, data, "now")
if not failing.empty:
    st.markdown(f"**{len(failing)} check{'s' if len(failing) != 1 else ''} failed in the "
                f"newest validation** ({formatting.timestamp(failing['ts'].iloc[0])})")
    st.dataframe(readable(failing, EXPECTATION_LABELS), hide_index=True,
                 column_config=headers(EXPECTATION_LABELS))
newest_points = (band.sort_values("ts").groupby(["metric", "column_name", "granularity"])
                 .tail(1) if not band.empty else band)
latest_anomalies = newest_points[newest_points["is_anomaly"]
                                 & newest_points["label"].ne("expected")] \
    if not band.empty else band
for row in latest_anomalies.itertuples():
    key = (row.metric, row.column_name, row.granularity)
    if key in charted:
        continue
    st.markdown(f"{status_badge('warning')} **{series_label(*key)}: "
                f"{row.reason or 'outside its normal band'}** (newest point, "
                f"{broken.since_text(row.ts, ctx.now)})")
    charted.add(key)
    band_chart(key, series_of(*key), "now")
if open_now.empty and failing.empty and latest_anomalies.empty:
    st.success(f"Nothing is wrong now: {verdict.reason}.")

def show_trends() -> None:
    """The Trends tab."""
    if band.empty:
        plain = cached.points(ctx.url, name, since)
        if plain.empty:
            st.info("No metrics recorded for this table in the period.")
        else:
            st.caption("No detector watches this table yet: stored values without a band.")
            for metric, values in plain.groupby("metric", sort=False):
                chart_specs.draw(chart_specs.trend(values, series_label(
                    str(metric), "", "snapshot"), str(metric)), key=f"trend:{metric}")
    else:
        series = dashboard_table.series_names(band)
        flagged = {tuple(k) for k in band.loc[band["is_anomaly"],
                                              ["metric", "column_name", "granularity"]]
                   .itertuples(index=False)}
        default = series if len(series) <= 8 else [k for k in series
                                                   if k[1] == "" or k in flagged]
        chosen = st.multiselect("Metrics", series, default=default,
                                format_func=lambda k: series_label(*k), key="metrics")
        anomalies = band[band["is_anomaly"] & band["label"].ne("expected")]
        found = f"{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}"
        st.caption(f"{len(series)} watched metrics; {found} in the period (red). Shaded: the "
                   f"expected band; dashed: the expected value; green: points marked as "
                   f"expected. The band is what the detector expected at each point, "
                   f"from the points before it.")
        if band.groupby(["metric", "column_name", "granularity"]).size().max() < 2:
            st.info("Only one point per metric so far: the trends fill in as runs arrive.")
        for key in chosen:
            if key in charted:  # one chart of a series per page (a chart costs the browser)
                st.caption(f"{series_label(*key)}: drawn above, under What is wrong now.")
            else:
                band_chart(key, series_of(*key), "band")
        if not anomalies.empty:
            st.subheader("Anomalies in the period")
            flagged_points = anomalies.sort_values("ts", ascending=False)
            st.dataframe(readable_anomalies(flagged_points), hide_index=True,
                         column_config=headers(ANOMALY_LABELS))


def show_completeness() -> None:
    """The Completeness tab."""
    filled = cached.completeness(ctx.url, name, since)
    if filled.empty:
        st.info("No null rates recorded for this table in the period.")
    else:
        limits = {column: (table.columns[column].max_null_rate
                           if column in table.columns
                           and table.columns[column].max_null_rate is not None
                           else table.thresholds.max_null_rate)
                  for column in sorted(set(filled["column_name"]))}
        st.caption("Each day's null rate against the column's own usual rate over the "
                   "period, or against `max_null_rate` where the config sets one: a column "
                   "that is mostly null by design is usual, not red.")
        chart_specs.draw(chart_specs.completeness(filled, limits), key="completeness")


def show_schema() -> None:
    """The Schema changes tab."""
    changes = cached.schema_changes(ctx.url, name, since)
    if changes.empty:
        st.info("No schema changes in the period.")
    else:
        st.dataframe(readable(changes, SCHEMA_LABELS), hide_index=True,
                     column_config=headers(SCHEMA_LABELS))


def show_profile() -> None:
    """The Latest profile tab."""
    latest = cached.readable_profile(ctx.url, name)
    if latest.empty:
        st.info("No profile recorded yet.")
    else:
        st.dataframe(latest, hide_index=True, width="stretch",
                     column_config=headers(profiles.titles(latest)))


def show_expectations() -> None:
    """The Expectations tab."""
    if own_checks.empty:
        st.info("No expectation results in the period (is a suite configured for this table?).")
    else:
        chart_specs.draw(chart_specs.expectations(own_checks), key="expectation_results")
        failures = own_checks[own_checks["result"] != "pass"].sort_values("ts",
                                                                          ascending=False)
        st.caption(f"{len(own_checks)} results, {len(failures)} failed or errored "
                   f"(incoming batches' checks are on the Ingest batches tab).")
        if not failures.empty:
            st.dataframe(readable(failures, EXPECTATION_LABELS), hide_index=True,
                         column_config=headers(EXPECTATION_LABELS))


def show_gate() -> None:
    """The Ingest batches tab."""
    verdicts = cached.gate_history(ctx.url, name, since)
    loaded = cached.batch_history(ctx.url, name, since)
    if verdicts.empty and loaded.empty and batch_checks.empty:
        st.info("No gate verdicts or batches in the period (the gate is not used for this table).")
    else:
        st.caption("Batches checked before they reach the table: a blocked batch is the "
                   "gate doing its job, not a failure of the table.")
        st.subheader("Gate verdicts")
        st.dataframe(readable(verdicts, VERDICT_LABELS), hide_index=True,
                     column_config=headers(VERDICT_LABELS))
        quarantined = loaded[(loaded["rows_quarantined"].fillna(0) > 0)
                             | loaded["status"].isin(["blocked", "failed"])]
        st.subheader(f"Quarantined or blocked batches ({len(quarantined)})")
        st.dataframe(readable(quarantined, BATCH_LABELS), hide_index=True,
                     column_config=headers(BATCH_LABELS))
        if not batch_checks.empty:
            failed_batches = batch_checks[batch_checks["result"] != "pass"]
            st.subheader(f"Batch checks that failed ({len(failed_batches)})")
            st.dataframe(readable(failed_batches.sort_values("ts", ascending=False),
                                  BATCH_CHECK_LABELS), hide_index=True,
                         column_config=headers(BATCH_CHECK_LABELS))
        with st.expander(f"All batches ({len(loaded)})"):
            st.dataframe(readable(loaded, BATCH_LABELS), hide_index=True,
                         column_config=headers(BATCH_LABELS))


def show_incident_tab() -> None:
    """The Incidents tab."""
    times = lifecycle.response_times(own_incidents, since=since)
    to_ack, to_resolve, count = st.columns(3)
    to_ack.metric("Time to acknowledge", formatting.duration(times.to_acknowledge),
                  help=f"Median from opening to acknowledgement, over the {times.acknowledged} "
                       f"acknowledged incidents opened in the period")
    to_resolve.metric("Time to resolve", formatting.duration(times.to_resolve),
                      help=f"Median from opening to resolution, over the {times.resolved} "
                           f"resolved incidents opened in the period")
    count.metric("Incidents opened", times.opened, help="In the period")
    if own_incidents.empty:
        st.info("No incidents in the period.")
    else:
        st.dataframe(lifecycle.incident_rows(own_incidents), hide_index=True, column_order=[
            "ref", "check", "severity", "status", "title", "opened", "acknowledged",
            "resolved", "resolution"], column_config={
                key: st.column_config.TextColumn(label)
                for key, label in lifecycle.INCIDENT_COLUMNS.items() if key != "occurrences"})
        st.caption("Act on them on the Incidents page, or with `dq-monitor incidents ack|"
                   "resolve ID`.")


# Only the open tab runs (a click reruns the page): the closed ones cost nothing.
# ``?tab=<name>`` opens a tab by link.
TABS = {"Trends": show_trends, "Completeness": show_completeness,
        "Schema changes": show_schema, "Latest profile": show_profile,
        "Expectations": show_expectations, "Ingest batches": show_gate,
        "Incidents": show_incident_tab}
for container, show in zip(st.tabs(list(TABS), key="tab", on_change="rerun",
                                     bind="query-params"), TABS.values(), strict=True):
    if container.open:
        with container:
            show()

if table.segments:  # drill-down by segment (monitor.dashboard.segments)
    from monitor.dashboard.segments import render as render_segments
    render_segments(ctx.url, name, since)
