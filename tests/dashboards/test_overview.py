"""AppTest: the overview page on a seeded store."""
# ruff: noqa: F811  (pytest fixtures imported from tests.helpers.dashboard)

from __future__ import annotations

import datetime as dt

import pandas as pd
from streamlit.testing.v1 import AppTest

from monitor import formatting
from tests.helpers.dashboard import (  # noqa: F401  (fixtures are used by name)
    SeededStore,
    app,
    frame_with,
    no_errors,
    seeded,
    texts,
)
from tests.helpers.seed import SCENARIO_TABLES

#: Most urgent first; ties by open incidents, then name (worked out by hand).
EXPECTED_ORDER = ["inventory", "orders", "returns", "sessions", "events", "payments",
                  "customers"]


def table_frame(at: AppTest) -> pd.DataFrame:
    return frame_with(at, "status", "reason", "trend")


class TestOverviewPage:
    def test_every_configured_table_with_its_status_most_urgent_first(self, app: AppTest):
        # Arrange: the seeded scenario (fixture). Act: the overview ran.
        frame = table_frame(app)

        # Assert
        no_errors(app)
        assert frame["table"].tolist() == EXPECTED_ORDER
        assert dict(zip(frame["table"], frame["status"], strict=True)) == {
            name: status for name, (_, _, status) in SCENARIO_TABLES.items()}

    def test_status_counts(self, app: AppTest):
        counts = {m.label.split()[-1].rstrip("]"): int(m.value) for m in app.metric}

        assert counts == {"failing": 2, "stale": 2, "warning": 1, "learning": 1, "ok": 1}

    def test_reasons_say_why(self, app: AppTest):
        reasons = dict(zip(table_frame(app)["table"], table_frame(app)["reason"], strict=True))

        assert "last run failed: WarehouseUnavailable" in reasons["inventory"]
        assert "1 critical incident open" in reasons["orders"]
        assert "1 critical expectation failed" in reasons["orders"]
        assert reasons["returns"] == "no run recorded yet"
        assert "no successful run for" in reasons["sessions"]
        assert "1 anomaly in the latest points" in reasons["events"]
        assert "3 metrics still learning" in reasons["payments"]
        assert reasons["customers"] == "all checks pass"

    def test_open_incidents_owners_and_last_run(self, app: AppTest, seeded: SeededStore):
        frame = table_frame(app).set_index("table")
        incidents = seeded.rows("dq_incidents")
        open_counts = incidents[incidents["status"] == "open"].groupby("table_name").size()
        runs = seeded.rows("dq_runs").groupby("table_name")["started_at"].max()

        assert frame["open_incidents"].to_dict() == {
            name: int(open_counts.get(name, 0)) for name in EXPECTED_ORDER}
        assert frame.loc["payments", "owners"] == "@data-eng, @finance"
        assert frame.loc["orders", "last_run_text"] == f"{runs['orders']:%Y-%m-%d %H:%M}"
        assert frame.loc["returns", "last_run_text"] == formatting.MISSING
        assert frame.loc["orders", "health"] == ["failing"]  # a coloured pill

    def test_sparkline_of_a_bucketed_table_is_its_rows_per_day_bucket(
            self, app: AppTest, seeded: SeededStore):
        since = seeded.scenario.now.replace(hour=0, minute=0, second=0) - dt.timedelta(days=30)
        points = seeded.rows("dq_metrics")
        orders = points[(points["table_name"] == "orders") & (points["metric"] == "row_count")
                        & (points["granularity"] == "day") & (points["ts"] >= since)]
        expected = orders.sort_values("ts")["value"].tolist()

        trend = table_frame(app).set_index("table").loc["orders", "trend"]

        assert list(trend) == expected
        # the partial load: 40 % of the usual rows shows as a dip
        assert trend[-1] < 0.5 * sorted(trend)[len(trend) // 2]

    def test_sparkline_of_a_snapshot_table_is_its_daily_growth(
            self, app: AppTest, seeded: SeededStore):
        start = seeded.scenario.now.replace(hour=0, minute=0, second=0)
        points = seeded.rows("dq_metrics")
        customers = points[(points["table_name"] == "customers")
                           & (points["metric"] == "row_count")
                           & (points["granularity"] == "snapshot")
                           & (points["ts"] >= start - dt.timedelta(days=31))]
        daily = customers.sort_values("ts").groupby(customers["ts"].dt.date)["value"].last()
        expected = daily.diff().dropna()
        expected = expected[[d >= (start - dt.timedelta(days=30)).date()
                             for d in expected.index]]

        trend = table_frame(app).set_index("table").loc["customers", "trend"]

        assert list(trend) == expected.tolist()
        assert all(30 <= v <= 50 for v in trend)  # about 40 rows a day, not a running total

    def test_what_is_broken_comes_first_in_the_incidents_own_words(self, app: AppTest):
        shown = texts(app)

        assert next(h.value for h in app.subheader) == "What is broken"
        items = [line for line in app.markdown[0].value.splitlines() if line.startswith("- ")]
        # the two critical incidents (opened together: by name), each in its own words
        assert ("**[inventory](./?table=inventory): run failed: warehouse unreachable**"
                in items[0])
        assert "**[orders](./?table=orders): rows 392, usually 980**" in items[1]
        for name in ("inventory", "orders", "returns", "sessions", "events"):
            assert f"[{name}](./?table={name})" in shown
        assert "owner @data-eng" in shown
        assert "since 1h" in shown
        assert "[payments]" not in shown
        assert "[customers]" not in shown

    def test_each_row_links_to_its_table_page(self, app: AppTest):
        frame = frame_with(app, "status", "link")

        assert frame["link"].tolist() == [f"./?table={n}" for n in EXPECTED_ORDER]


class TestOverviewFilters:
    def test_by_owner(self, app: AppTest):
        app.multiselect(key="owner").select("@crm").run()

        assert table_frame(app)["table"].tolist() == ["returns", "customers"]

    def test_by_tag(self, app: AppTest):
        app.multiselect(key="tag").select("tier-1").run()

        assert table_frame(app)["table"].tolist() == ["orders", "payments"]

    def test_by_status(self, app: AppTest):
        app.multiselect(key="status").select("stale").select("ok").run()

        assert table_frame(app)["table"].tolist() == ["returns", "sessions", "customers"]

    def test_filters_combine(self, app: AppTest):
        app.multiselect(key="owner").select("@data-eng").run()
        app.multiselect(key="status").select("failing").run()

        frame = table_frame(app)
        assert frame["table"].tolist() == ["inventory", "orders"]
        assert "2 of 7 tables" in texts(app)

    def test_a_filter_matching_nothing_shows_an_empty_table(self, app: AppTest):
        app.multiselect(key="owner").select("@crm").run()
        app.multiselect(key="status").select("failing").run()

        no_errors(app)
        assert table_frame(app).empty


class TestOpenTableButton:
    def test_switches_to_the_table_page_of_the_chosen_table(self, app: AppTest):
        app.selectbox(key="open_table").select("customers").run()
        app.button(key="open").click().run()

        no_errors(app)
        assert [t.value for t in app.title] == ["customers"]
