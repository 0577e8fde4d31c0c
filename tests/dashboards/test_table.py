"""AppTest: the table page on a seeded store (deep links, band, anomalies, tabs)."""
# ruff: noqa: F811  (pytest fixtures imported from tests.helpers.dashboard)

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from monitor import formatting
from monitor.alerts.blocks import table_link
from monitor.store.schema import feedback, incidents
from tests.helpers.dashboard import (  # noqa: F401  (fixtures are used by name)
    SeededStore,
    app_on,
    charts,
    frame_with,
    no_errors,
    open_page,
    seeded,
    seeded_fresh,
    texts,
)
from tests.helpers.seed import naive_now

COMPLETENESS = "Null rate by column, against each column's own normal"


@pytest.fixture
def table_page(seeded: SeededStore, monkeypatch: pytest.MonkeyPatch):
    """Open the table page by deep link (``?table=NAME``, as a Slack message links it)."""
    def open_table(name: str, **query: str) -> AppTest:
        return app_on(seeded.config_path, monkeypatch, query={"table": name, **query}).run()
    return open_table


def seeded_band(seeded: SeededStore, table: str, metric: str, column: str = "",
                days: int = 30) -> pd.DataFrame:
    """The detections the seeder wrote for one series within the page's period.

    The page counts the period from today's midnight when it renders, so this does too
    (not from the seeding time: the suite may cross midnight in between).
    """
    rows = seeded.rows("dq_detections")
    since = naive_now().replace(hour=0, minute=0, second=0) - dt.timedelta(days=days)
    chosen = rows[(rows["table_name"] == table) & (rows["metric"] == metric)
                  & (rows["column_name"] == column) & (rows["ts"] >= since)]
    return chosen.sort_values("ts").reset_index(drop=True)


def as_naive(values: pd.Series) -> list[pd.Timestamp]:
    stamps = pd.to_datetime(values)
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return list(stamps)


class TestDeepLink:
    def test_table_query_parameter_opens_that_table(
            self, seeded: SeededStore, monkeypatch: pytest.MonkeyPatch):
        at = open_page(app_on(seeded.config_path, monkeypatch).run(), "table", table="orders")

        no_errors(at)
        assert [t.value for t in at.title] == ["orders"]
        assert at.selectbox(key="table").value == "orders"
        assert {m.label: m.value for m in at.metric}["Health"] == "failing"

    def test_root_url_with_table_parameter_opens_the_table_page(
            self, seeded: SeededStore, monkeypatch: pytest.MonkeyPatch):
        at = app_on(seeded.config_path, monkeypatch, query={"table": "events"}).run()

        no_errors(at)
        assert [t.value for t in at.title] == ["events"]

    def test_the_link_in_slack_alerts_opens_the_table_page(
            self, seeded: SeededStore, monkeypatch: pytest.MonkeyPatch):
        link = table_link("http://127.0.0.1:8501", "customers")
        query = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}

        at = app_on(seeded.config_path, monkeypatch, query=query).run()

        no_errors(at)
        assert [t.value for t in at.title] == ["customers"]

    def test_unknown_table_warns_and_shows_the_first_configured_one(self, table_page):
        at = table_page("no_such_table")

        no_errors(at)
        assert "No table named 'no_such_table' is configured" in at.warning[0].value
        assert [t.value for t in at.title] == ["orders"]

    def test_choosing_another_table(self, table_page):
        at = table_page("orders")

        at.selectbox(key="table").select("customers").run()

        assert [t.value for t in at.title] == ["customers"]


class TestTrendCharts:
    def test_one_chart_per_watched_metric(self, table_page):
        at = table_page("orders")

        titles = [t for t in charts(at) if " per " in t]
        assert titles == ["Rows per day", "Null rate of amount, per day",
                          "Null rate of customer_id, per day", "Null rate of id, per day"]

    def test_band_is_the_seeded_expected_range(self, table_page, seeded: SeededStore):
        at = table_page("orders")
        expected = seeded_band(seeded, "orders", "row_count")

        chart = charts(at)["Rows per day"]
        line = chart["datasets"][0].sort_values("ts").reset_index(drop=True)

        assert [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
                for layer in chart["spec"]["layer"]] == ["area", "line", "line", "point"]
        assert as_naive(line["ts"]) == list(expected["ts"])
        assert line["lower"].tolist() == pytest.approx(expected["lower"].tolist())
        assert line["upper"].tolist() == pytest.approx(expected["upper"].tolist())
        assert line["value"].tolist() == pytest.approx(expected["value"].tolist())

    def test_seeded_anomaly_is_marked(self, table_page, seeded: SeededStore):
        at = table_page("orders")
        seeded_rows = seeded_band(seeded, "orders", "row_count")
        anomaly = seeded_rows[seeded_rows["is_anomaly"]]

        marked = charts(at)["Rows per day"]["datasets"][1]

        assert marked["mark"].tolist() == ["anomaly"]
        assert as_naive(marked["ts"]) == list(anomaly["ts"])
        assert marked["value"].iloc[0] == pytest.approx(anomaly["value"].iloc[0])
        assert marked["value"].iloc[0] < marked["lower"].iloc[0]
        assert "1 anomaly in the period" in texts(at)

    def test_point_labelled_expected_is_marked_green_not_red(self, table_page,
                                                              seeded: SeededStore):
        at = table_page("events", days="90")
        spike = seeded.scenario.histories["events"].points_at[30]

        marked = charts(at)["Rows per day"]["datasets"][1]
        user_id = charts(at)["Null rate of user_id, per day"]["datasets"][1]

        assert marked["mark"].tolist() == ["marked expected"]
        assert as_naive(marked["ts"]) == [spike]
        assert user_id["mark"].tolist() == ["anomaly"]
        assert user_id["value"].iloc[0] == pytest.approx(0.25)

    def test_period_limits_the_points(self, table_page, seeded: SeededStore):
        at = table_page("orders")

        at.selectbox(key="days").select(7).run()

        line = charts(at)["Rows per day"]["datasets"][0]
        assert len(line) == len(seeded_band(seeded, "orders", "row_count", days=7))
        assert len(line) in (6, 7, 8)  # 7 days; one less when seeded just before midnight

    def test_a_series_charted_under_what_is_wrong_now_is_not_drawn_again(self, table_page):
        at = table_page("orders")

        titles = [json.loads(e.proto.spec)["title"] for e in at.get("vega_lite_chart")]

        assert titles.count("Rows per day") == 1
        assert "Rows per day: drawn above, under What is wrong now." in texts(at)

    def test_choosing_fewer_metrics_draws_fewer_charts(self, table_page):
        at = table_page("orders")

        at.multiselect(key="metrics").set_value([("row_count", "", "day")]).run()

        assert [t for t in charts(at) if " per " in t] == ["Rows per day"]

    def test_table_without_history_says_so(self, table_page):
        at = table_page("returns")

        no_errors(at)
        assert {m.label: m.value for m in at.metric}["Health"] == "stale"
        assert "No metrics recorded for this table in the period." in texts(at)
        assert "No profile recorded yet." in texts(table_page("returns", tab="Latest profile"))


def tab(at: AppTest, label: str):
    return next(t for t in at.tabs if t.label == label)


class TestWhatIsWrongNow:
    def test_the_failing_table_opens_on_its_incident_and_failed_check(self, table_page):
        at = table_page("orders")

        no_errors(at)
        assert at.subheader[0].value == "What is wrong now"
        sentences = [m.value for m in at.main.markdown if m.value.startswith(":")]
        assert "**rows 392, usually 980**" in sentences[1]  # [0] is the health line
        assert "critical · since 1h" in sentences[1]
        first_chart = json.loads(at.get("vega_lite_chart")[0].proto.spec)
        assert first_chart["title"] == "Rows per day"
        failed = frame_with(at, "expectation", "result")
        assert failed["expectation"].tolist() == [
            "orders_suite: column values to not be null (customer_id)"]
        assert failed["severity"].tolist() == ["critical"]

    def test_a_table_without_problems_says_so(self, table_page):
        at = table_page("customers")

        assert "Nothing is wrong now: all checks pass." in texts(at)

    def test_chart_axes_are_in_the_metrics_unit(self, table_page):
        at = table_page("events")

        rate = charts(at)["Null rate of user_id, per day"]["spec"]["layer"][0]["encoding"]
        rows = charts(at)["Rows per day"]["spec"]["layer"][0]["encoding"]

        assert rate["y"]["axis"]["format"] == ".1~%"
        assert rows["y"]["axis"]["format"] == ",.0f"
        assert rows["y"]["title"] == "rows"


class TestOtherTabs:
    def test_completeness_is_judged_against_each_columns_own_normal(self, table_page):
        at = table_page("events", tab="Completeness")

        data = charts(at)[COMPLETENESS]["datasets"][0]
        user_id = data[data["column_name"] == "user_id"].sort_values("day")
        others = data[data["column_name"] != "user_id"]

        assert set(data["column_name"]) == {"id", "user_id", "kind"}
        # the spike (25 % against the usual 1 %) is far above that column's normal
        assert user_id["null_rate"].iloc[-1] == pytest.approx(0.25)
        assert user_id["class"].iloc[-1] == "far more nulls than usual"
        assert set(user_id["class"].iloc[:-1]) == {"usual"}
        assert set(others["class"]) == {"usual"}
        assert set(user_id["usual_text"]) == {"1.0%"}

    def test_schema_change_log(self, table_page, seeded: SeededStore):
        at = table_page("customers", tab="Schema changes")
        runs = seeded.scenario.histories["customers"].run_times

        changes = frame_with(at, "change", "column", "old_type")

        shown = changes[["change", "column", "old_type", "new_type"]]
        assert shown.values.tolist() == [
            ["type changed", "status", "TEXT", "VARCHAR(20)"],
            ["added", "phone", formatting.MISSING, "TEXT"],
        ]
        assert list(changes["ts"]) == [f"{runs[55]:%Y-%m-%d %H:%M}", f"{runs[50]:%Y-%m-%d %H:%M}"]

    def test_latest_profile(self, table_page, seeded: SeededStore):
        at = table_page("customers", tab="Latest profile")
        profile = frame_with(at, "granularity", "column", "row_count")
        metrics = seeded.rows("dq_metrics")
        newest = metrics[(metrics["table_name"] == "customers")
                         & (metrics["metric"] == "row_count")]["value"].iloc[-1]

        table_row = profile[profile["column"] == "(table)"].iloc[0]
        assert table_row["row_count"] == f"{int(newest):,}"
        assert table_row["freshness_seconds"] == "30m"  # 1,800 s as a duration
        assert set(profile["column"]) == {"(table)", "id", "email", "status", "phone"}
        assert profile.loc[profile["column"] == "phone", "null_rate"].iloc[0] == "1.0%"
        cells = {str(v) for v in profile.to_numpy().ravel()}
        assert not {"None", "nan", "NaT"} & cells

    def test_expectation_history(self, table_page, seeded: SeededStore):
        at = table_page("orders", tab="Expectations")
        results = seeded.rows("dq_expectation_results")
        failed = results[~results["success"]]

        heatmap = charts(at)["Expectation results"]["datasets"][0]
        failures = tab(at, "Expectations").dataframe[0].value

        assert len(heatmap) == 20  # two expectations, ten days
        assert (heatmap["result"] == "fail").sum() == 2
        assert len(failures) == len(failed) == 2
        assert failures["expectation"].tolist() == [
            "orders_suite: column values to not be null (customer_id)",
            "orders_suite: column values to be between (amount)"]
        assert "20 results, 2 failed or errored" in texts(at)

    def test_gate_verdicts_and_quarantined_batches(self, table_page, seeded: SeededStore):
        at = table_page("customers", tab="Ingest batches")

        verdicts = frame_with(at, "verdict", "verdict_id")
        quarantined = frame_with(at, "rows_quarantined", "source_file")

        assert len(verdicts) == 10
        assert verdicts["verdict"].value_counts().to_dict() == {"pass": 9, "blocked": 1}
        assert quarantined["rows_quarantined"].tolist() == ["12"]
        assert quarantined["status"].tolist() == ["blocked"]


class TestIncidentsTab:
    @pytest.fixture
    def timed(self, seeded_fresh: SeededStore) -> SeededStore:
        """orders: the open incident acknowledged 25 min after opening, and an older one
        acknowledged after 35 min and resolved 3 h after opening."""
        orders = seeded_fresh.scenario.incidents["orders"]
        opened = seeded_fresh.scenario.now - dt.timedelta(days=2)
        with seeded_fresh.store.engine.begin() as conn:
            first = conn.execute(sa.select(incidents.c.opened_at).where(
                incidents.c.incident_id == orders)).scalar_one()
            conn.execute(incidents.update().where(incidents.c.incident_id == orders).values(
                status="acknowledged", acknowledged_by="ana",
                acknowledged_at=first + dt.timedelta(minutes=25)))
            conn.execute(incidents.insert().values(
                table_name="orders", check_key="null_rate:amount", status="resolved",
                severity="warning", title="orders: null rate of amount 9%",
                opened_at=opened, updated_at=opened + dt.timedelta(hours=3),
                last_seen_at=opened, acknowledged_by="bob",
                acknowledged_at=opened + dt.timedelta(minutes=35),
                resolved_at=opened + dt.timedelta(hours=3), resolved_by="bob",
                resolution="fixed", resolution_note="job rerun"))
        return seeded_fresh

    def test_times_to_acknowledge_and_resolve(self, timed: SeededStore,
                                              monkeypatch: pytest.MonkeyPatch):
        at = app_on(timed.config_path, monkeypatch,
                    query={"table": "orders", "tab": "Incidents"}).run()

        no_errors(at)
        shown = {m.label: m.value for m in at.metric}
        # medians by hand: acknowledged after 25 and 35 min; one resolved after 3 h
        assert (shown["Time to acknowledge"], shown["Time to resolve"],
                shown["Incidents opened"]) == ("30m", "3h", "2")

    def test_the_table_incidents_with_who_and_why(self, timed: SeededStore,
                                                  monkeypatch: pytest.MonkeyPatch):
        at = app_on(timed.config_path, monkeypatch,
                    query={"table": "orders", "tab": "Incidents"}).run()

        rows = frame_with(at, "ref", "resolution").set_index("check")
        assert set(rows["table_name"]) == {"orders"}
        assert rows.loc["null rate of amount", "resolved"] == "bob, 3h after opening"
        assert rows.loc["null rate of amount", "resolution"] == "fixed – job rerun"
        assert rows.loc["rows", "acknowledged"] == "ana, 25m after opening"
        assert not {"None", "nan", "NaT"} & {str(v) for v in rows.to_numpy().ravel()}

    def test_without_incidents_the_times_are_missing(self, seeded: SeededStore,
                                                     monkeypatch: pytest.MonkeyPatch):
        at = app_on(seeded.config_path, monkeypatch,
                    query={"table": "payments", "tab": "Incidents"}).run()

        shown = {m.label: m.value for m in at.metric}
        assert (shown["Time to acknowledge"], shown["Time to resolve"]) == (
            formatting.MISSING, formatting.MISSING)
        assert "No incidents in the period." in texts(at)


class TestFeedbackBesideFlaggedPoints:
    def test_each_flagged_point_has_its_two_buttons(self, table_page, seeded: SeededStore):
        at = table_page("orders")
        anomaly = seeded_band(seeded, "orders", "row_count").query("is_anomaly").iloc[0]
        key = f"now:row_count::day:{int(pd.Timestamp(anomaly['ts']).timestamp())}"

        labels = {b.key: b.label for b in at.button}

        assert labels[f"expected:{key}"] == "Expected"
        assert labels[f"incident:{key}"] == "Real problem"
        shown = formatting.measure(float(anomaly["value"]), "row_count")
        assert f"{pd.Timestamp(anomaly['ts']):%Y-%m-%d %H:%M}: {shown}, expected" in texts(at)

    def test_real_problem_writes_an_incident_label(self, seeded_fresh: SeededStore,
                                                   monkeypatch: pytest.MonkeyPatch):
        at = app_on(seeded_fresh.config_path, monkeypatch, query={"table": "orders"}).run()
        button = next(b for b in at.button if b.key.startswith("incident:now:row_count"))

        button.click().run()

        no_errors(at)
        with seeded_fresh.store.engine.connect() as conn:
            written = conn.execute(sa.select(feedback).where(
                feedback.c.table_name == "orders")).mappings().all()
        assert [(r["metric"], r["granularity"], r["label"]) for r in written] == [
            ("row_count", "day", "incident")]
        assert "marked as a real problem" in at.success[0].value
        assert not [b for b in at.button if b.key.startswith("incident:now:row_count")]
        assert "· marked as a real problem" in texts(at)

    def test_a_point_marked_expected_shows_its_label_not_buttons(self, table_page):
        at = table_page("events", days="90")

        assert "· marked expected" in texts(at)


TAB_NAMES = ["Trends", "Completeness", "Schema changes", "Latest profile", "Expectations",
             "Ingest batches", "Incidents"]


class TestTabs:
    def test_only_the_open_tab_runs(self, table_page):
        at = table_page("orders")

        assert [t.label for t in at.tabs] == TAB_NAMES
        assert "Expectation results" not in charts(at)  # the Expectations tab is closed
        assert "Expectation results" in charts(table_page("orders", tab="Expectations"))

    def test_a_link_opens_a_tab(self, table_page):
        at = table_page("customers", tab="Schema changes")

        no_errors(at)
        assert at.session_state["tab"] == "Schema changes"
        assert len(tab(at, "Schema changes").dataframe[0].value) == 2
        assert not tab(at, "Trends").children  # the closed tabs stay empty

    def test_an_unknown_tab_in_the_link_opens_the_first(self, table_page):
        at = table_page("orders", tab="No such tab")

        no_errors(at)
        assert at.session_state["tab"] == "Trends"


class TestReadableHeaders:
    @pytest.mark.parametrize("tab_name", TAB_NAMES)
    @pytest.mark.parametrize("name", ["orders", "customers", "events"])
    def test_no_table_shows_a_raw_column_name(self, table_page, name: str, tab_name: str):
        at = table_page(name, tab=tab_name)

        for element in at.dataframe:
            config = json.loads(element.proto.columns or "{}")
            order = list(element.proto.column_order) or list(element.value.columns)
            titles = [(config.get(n) or config.get(f"col:{n}") or {}).get("label") or n
                      for n in order]
            assert all("_" not in t and t[:1].isupper() for t in titles), titles


class TestIngestBatchesApart:
    @pytest.fixture
    def with_a_blocked_batch(self, seeded_fresh: SeededStore) -> SeededStore:
        """customers: an ingest run an hour ago whose batch failed a critical check."""
        from tests.helpers.seed import Seeder

        at = seeded_fresh.scenario.now - dt.timedelta(minutes=50)  # after the last run
        seeder = Seeder()
        run_id = seeder.run("customers", at, kind="ingest", status="success")
        seeder.expectation("customers", at, "expect_column_values_to_not_be_null",
                           run_id=run_id, column="email", severity="critical", success=False,
                           suite="customers_batch")
        seeder.write(seeded_fresh.store)
        return seeded_fresh

    def test_a_failed_batch_check_is_on_the_batches_tab_not_among_the_tables_failures(
            self, with_a_blocked_batch: SeededStore, monkeypatch: pytest.MonkeyPatch):
        def opened(on: str) -> AppTest:
            return app_on(with_a_blocked_batch.config_path, monkeypatch,
                          query={"table": "customers", "tab": on}).run()

        at, checks_tab, batches_tab = opened("Trends"), opened("Expectations"), opened(
            "Ingest batches")

        no_errors(at)
        assert {m.label: m.value for m in at.metric}["Health"] == "ok"
        assert "Nothing is wrong now" in texts(at)
        assert not [e for e in tab(checks_tab, "Expectations").dataframe
                    if "expectation" in e.value.columns]
        batches = [e.value for e in tab(batches_tab, "Ingest batches").dataframe
                   if "expectation" in e.value.columns]
        assert batches[0]["expectation"].tolist() == [
            "customers_batch: column values to not be null (email)"]
        assert batches[0]["severity"].tolist() == ["critical"]
