"""AppTest: the incidents & failures page and its actions (the dashboard's only writes)."""
# ruff: noqa: F811  (pytest fixtures imported from tests.helpers.dashboard)

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from monitor import formatting
from monitor.dashboard.links import incident_url
from monitor.store.schema import feedback, incidents, mutes
from tests.helpers.dashboard import (  # noqa: F401  (fixtures are used by name)
    SeededStore,
    app_on,
    frame_with,
    no_errors,
    open_page,
    seeded_fresh,
    texts,
)


@pytest.fixture
def page(seeded_fresh: SeededStore, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = open_page(app_on(seeded_fresh.config_path, monkeypatch).run(), "incidents")
    return at.text_input(key="author").input("ana@example.com").run()


def incident_row(seeded: SeededStore, incident_id: int) -> sa.RowMapping:
    with seeded.store.engine.connect() as conn:
        return conn.execute(sa.select(incidents).where(
            incidents.c.incident_id == incident_id)).mappings().one()


def metric_values(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value) for m in at.metric}


class TestIncidentsPage:
    def test_counts(self, page: AppTest, seeded_fresh: SeededStore):
        runs = seeded_fresh.rows("dq_runs")
        week_ago = seeded_fresh.scenario.now.replace(hour=0, minute=0, second=0) \
            - dt.timedelta(days=7)
        failed_runs = runs[(runs["status"] == "failed") & (runs["started_at"] >= week_ago)]

        no_errors(page)
        assert metric_values(page) == {"Open incidents": 3, "Acknowledged": 0,
                                       "Anomalies to review": 2, "Failed expectations": 2,
                                       "Failed runs": len(failed_runs)}

    def test_open_incidents_listed_most_recent_first(self, page: AppTest,
                                                     seeded_fresh: SeededStore):
        shown = frame_with(page, "incident_id", "title", "severity")
        opened = shown[shown["status"] == "open"]

        ids = seeded_fresh.scenario.incidents
        assert set(opened["incident_id"]) == {ids["orders"], ids["events"], ids["inventory"]}
        assert ids["customers"] not in set(opened["incident_id"])

    def test_resolved_incident_is_under_recent(self, page: AppTest, seeded_fresh: SeededStore):
        resolved = [f.value for f in page.dataframe
                    if "incident_id" in f.value and set(f.value["status"]) == {"resolved"}]

        assert len(resolved) == 1
        assert resolved[0]["incident_id"].tolist() == [seeded_fresh.scenario.incidents[
            "customers"]]

    def test_failed_expectations_and_runs(self, page: AppTest):
        expectations = frame_with(page, "expectation_type", "suite")
        runs = frame_with(page, "run_id", "error_kind")

        assert expectations["column_name"].tolist() == ["customer_id", "amount"]
        assert runs["table_name"].tolist() == ["inventory"]
        assert runs["error_kind"].tolist() == ["WarehouseUnavailable"]


class TestActions:
    def test_acknowledge_writes_the_incident(self, page: AppTest, seeded_fresh: SeededStore):
        orders = seeded_fresh.scenario.incidents["orders"]

        page.selectbox(key="incident").select(orders).run()
        page.button(key="acknowledge").click().run()

        no_errors(page)
        row = incident_row(seeded_fresh, orders)
        assert (row["status"], row["acknowledged_by"]) == ("acknowledged", "ana@example.com")
        assert f"Incident {orders} acknowledged by ana@example.com." in texts(page)
        assert metric_values(page)["Acknowledged"] == 1

    def test_mute_incident_for_the_chosen_time(self, page: AppTest, seeded_fresh: SeededStore):
        events = seeded_fresh.scenario.incidents["events"]
        before = dt.datetime.now(dt.UTC).replace(tzinfo=None)

        page.selectbox(key="incident").select(events).run()
        page.selectbox(key="mute_hours").select(24).run()
        page.button(key="mute_incident").click().run()

        until = incident_row(seeded_fresh, events)["muted_until"]
        shown = frame_with(page, "ref", "muted").set_index("incident_id")
        assert shown.loc[events, "muted"] == until.strftime("%Y-%m-%d %H:%M")
        assert before + dt.timedelta(hours=24) <= until
        assert until <= before + dt.timedelta(hours=24, minutes=5)
        assert "muted for 1d" in texts(page)

    def test_mute_table(self, page: AppTest, seeded_fresh: SeededStore):
        page.selectbox(key="incident").select(seeded_fresh.scenario.incidents["inventory"]).run()
        page.button(key="mute_table").click().run()

        with seeded_fresh.store.engine.connect() as conn:
            rows = conn.execute(sa.select(mutes)).mappings().all()
        assert [(r["table_name"], r["created_by"]) for r in rows] == [
            ("inventory", "ana@example.com")]
        assert "Table inventory muted for 4h" in texts(page)

    def test_mark_as_expected_writes_feedback(self, page: AppTest, seeded_fresh: SeededStore):
        point = seeded_fresh.scenario.histories["orders"].points_at[-1]
        options = page.selectbox(key="anomaly").options
        orders_option = next(o for o in options if o.startswith("orders row_count"))

        page.selectbox(key="anomaly").select(orders_option).run()
        page.button(key="mark_expected").click().run()

        no_errors(page)
        with seeded_fresh.store.engine.connect() as conn:
            labels = conn.execute(sa.select(feedback)).mappings().all()
        written = [r for r in labels if r["author"] == "ana@example.com"]
        assert [(r["table_name"], r["metric"], r["granularity"], r["ts"], r["label"])
                for r in written] == [("orders", "row_count", "day", point, "expected")]
        assert metric_values(page)["Anomalies to review"] == 1
        assert "marked as expected" in texts(page)

    def test_marked_point_no_longer_counts_on_the_overview(
            self, page: AppTest, seeded_fresh: SeededStore):
        options = page.selectbox(key="anomaly").options
        page.selectbox(key="anomaly").select(
            next(o for o in options if o.startswith("events null_rate(user_id)"))).run()
        page.button(key="mark_expected").click().run()

        page.switch_page("pages/overview.py").run()

        frame = frame_with(page, "status", "reason", "trend").set_index("table")
        assert frame.loc["events", "reason"] == "1 incident open"

    def test_refused_action_is_a_message_not_a_traceback(
            self, page: AppTest, seeded_fresh: SeededStore):
        orders = seeded_fresh.scenario.incidents["orders"]
        page.selectbox(key="incident").select(orders).run()
        with seeded_fresh.store.engine.begin() as conn:  # resolved meanwhile, elsewhere
            conn.execute(incidents.update().where(incidents.c.incident_id == orders)
                         .values(status="resolved"))

        page.button(key="acknowledge").click().run()

        assert not page.exception
        assert f"incident {orders} is already resolved" in page.warning[0].value


def resolved_frame(at: AppTest) -> pd.DataFrame:
    """The "Resolved in the period" table, by incident id."""
    (frame,) = [f.value for f in at.dataframe if "ref" in f.value
                and set(f.value["status"]) == {"resolved"}]
    return frame.set_index("incident_id")


def cells(frame: pd.DataFrame) -> set[str]:
    return {str(v) for v in frame.to_numpy().ravel()}


class TestLifecycle:
    def test_acknowledge_records_who_and_when(self, page: AppTest, seeded_fresh: SeededStore):
        orders = seeded_fresh.scenario.incidents["orders"]

        page.selectbox(key="incident").select(orders).run()
        page.button(key="acknowledge").click().run()

        row = incident_row(seeded_fresh, orders)
        shown = frame_with(page, "ref", "acknowledged").set_index("incident_id")
        waited = (row["acknowledged_at"] - row["opened_at"]).total_seconds()
        assert row["opened_at"] < row["acknowledged_at"]
        assert shown.loc[orders, "ref"] == f"#{orders}"
        assert shown.loc[orders, "acknowledged"] == (
            f"ana@example.com, {formatting.duration(waited)} after opening")

    def test_resolve_as_false_positive_returns_the_point_to_training(
            self, page: AppTest, seeded_fresh: SeededStore):
        orders = seeded_fresh.scenario.incidents["orders"]
        point = seeded_fresh.scenario.histories["orders"].points_at[-1]

        page.selectbox(key="incident").select(orders).run()
        page.selectbox(key="resolution").select("false-positive").run()
        page.text_input(key="resolution_note").input("holiday sale").run()
        page.button(key="resolve").click().run()

        no_errors(page)
        row = incident_row(seeded_fresh, orders)
        assert (row["status"], row["resolution"], row["resolved_by"],
                row["resolution_note"]) == ("resolved", "false-positive", "ana@example.com",
                                            "holiday sale")
        with seeded_fresh.store.engine.connect() as conn:
            labels = conn.execute(sa.select(feedback).where(
                feedback.c.author == "ana@example.com")).mappings().all()
        assert [(r["table_name"], r["metric"], r["ts"], r["label"]) for r in labels] == [
            ("orders", "row_count", point, "expected")]
        assert (f"Incident #{orders} resolved as false positive by ana@example.com. 1 point "
                f"marked as expected: they rejoin the detectors' training.") in texts(page)
        counts = metric_values(page)
        assert (counts["Open incidents"], counts["Anomalies to review"]) == (2, 1)
        resolved = resolved_frame(page)
        assert resolved.loc[orders, "resolution"] == "false positive – holiday sale"

    def test_resolve_as_fixed_keeps_the_point_out(self, page: AppTest,
                                                  seeded_fresh: SeededStore):
        orders = seeded_fresh.scenario.incidents["orders"]

        page.selectbox(key="incident").select(orders).run()
        page.selectbox(key="resolution").select("fixed").run()
        page.button(key="resolve").click().run()

        with seeded_fresh.store.engine.connect() as conn:
            labels = conn.execute(sa.select(feedback.c.label).where(
                feedback.c.author == "ana@example.com")).scalars().all()
        assert labels == ["incident"]
        assert incident_row(seeded_fresh, orders)["resolution"] == "fixed"
        assert "1 point kept out of the detectors' training" in texts(page)

    def test_an_incident_without_points_is_resolved_without_labels(
            self, page: AppTest, seeded_fresh: SeededStore):
        inventory = seeded_fresh.scenario.incidents["inventory"]

        page.selectbox(key="incident").select(inventory).run()
        page.selectbox(key="resolution").select("no-action-needed").run()
        page.button(key="resolve").click().run()

        assert incident_row(seeded_fresh, inventory)["resolution"] == "no-action-needed"
        assert (f"Incident #{inventory} resolved as no action needed by ana@example.com."
                in texts(page))

    def test_resolving_an_incident_resolved_elsewhere_is_a_message(
            self, page: AppTest, seeded_fresh: SeededStore):
        orders = seeded_fresh.scenario.incidents["orders"]
        page.selectbox(key="incident").select(orders).run()
        with seeded_fresh.store.engine.begin() as conn:  # the check recovered meanwhile
            conn.execute(incidents.update().where(incidents.c.incident_id == orders)
                         .values(status="resolved", resolution="recovered"))

        page.button(key="resolve").click().run()

        assert not page.exception
        assert f"incident {orders} is already resolved" in page.warning[0].value
        assert incident_row(seeded_fresh, orders)["resolution"] == "recovered"

    def test_the_recovered_incident_says_so(self, page: AppTest, seeded_fresh: SeededStore):
        customers = seeded_fresh.scenario.incidents["customers"]

        resolved = resolved_frame(page)

        assert resolved.loc[customers, "resolution"] == "recovered (the check passed again)"
        assert resolved.loc[customers, "resolved"] == "dq-monitor, 3d after opening"
        assert resolved.loc[customers, "check"] == "schema"

    def test_incident_tables_show_no_none_or_raw_keys(self, page: AppTest):
        shown = [f.value for f in page.dataframe if "ref" in f.value]

        assert len(shown) == 2  # open, resolved
        for frame in shown:
            assert not {"None", "nan", "NaT"} & cells(frame)
            assert not any(str(v).startswith("volume:") for v in frame["check"])

    def test_response_times_per_table(self, page: AppTest, seeded_fresh: SeededStore):
        times = frame_with(page, "Time to acknowledge", "Time to resolve").set_index("Table")

        assert times.loc["customers", "Time to resolve"] == "3d (median of 1)"
        assert times.loc["orders", "Time to acknowledge"] == formatting.MISSING


EPOCH = re.compile(r"^\d{9,}(\.\d+)?$")


def displayed(element: Any) -> tuple[list[str], pd.DataFrame]:
    """The column titles a person sees and the cells of those columns."""
    config = json.loads(element.proto.columns or "{}")
    order = list(element.proto.column_order) or list(element.value.columns)

    def title(name: str) -> str:
        found = config.get(name) or config.get(f"col:{name}") or {}
        return found.get("label") or name

    return [title(n) for n in order], element.value[order]


class TestReadableTables:
    def test_no_raw_names_none_or_epoch_numbers(self, page: AppTest):
        tables = [displayed(e) for e in page.dataframe]

        assert len(tables) >= 5  # open, resolved, response times, anomalies, expectations...
        for titles, cells_shown in tables:
            assert all("_" not in t and t[:1].isupper() for t in titles), titles
            values = {str(v) for v in cells_shown.to_numpy().ravel()}
            assert not {"None", "nan", "NaT", "null"} & values, titles
            assert not [v for v in values if EPOCH.match(v)], titles


class TestLinkedIncident:
    def test_a_slack_link_selects_the_incident_and_offers_its_action(
            self, seeded_fresh: SeededStore, monkeypatch: pytest.MonkeyPatch):
        wanted = seeded_fresh.scenario.incidents["events"]
        at = app_on(seeded_fresh.config_path, monkeypatch).run()

        at = open_page(at, "incidents", incident=str(wanted), action="resolve")

        no_errors(at)
        assert at.selectbox(key="incident").value == wanted
        assert f"resolve incident #{wanted}" in texts(at)
        assert at.button(key="resolve").proto.type == "primary"

    def test_a_link_to_an_incident_no_longer_open_says_so(
            self, seeded_fresh: SeededStore, monkeypatch: pytest.MonkeyPatch):
        gone = seeded_fresh.scenario.incidents["customers"]  # resolved
        at = app_on(seeded_fresh.config_path, monkeypatch).run()

        at = open_page(at, "incidents", incident=str(gone), action="acknowledge")

        no_errors(at)
        assert f"Incident #{gone} is not open any more" in texts(at)

    def test_the_root_link_slack_sends_opens_the_incident(
            self, seeded_fresh: SeededStore, monkeypatch: pytest.MonkeyPatch):
        wanted = seeded_fresh.scenario.incidents["orders"]
        query = parse_qs(urlsplit(incident_url("http://h", wanted, action="acknowledge")).query)

        at = app_on(seeded_fresh.config_path, monkeypatch,
                    query={k: v[0] for k, v in query.items()}).run()

        no_errors(at)
        assert [t.value for t in at.title] == ["Incidents & failures"]
        assert at.selectbox(key="incident").value == wanted
        assert at.button(key="acknowledge").proto.type == "primary"
