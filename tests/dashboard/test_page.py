"""What every page shares: formatting, the period picker, who acts, the page context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from monitor.config.models import CONFIG_ENV_VAR
from monitor.dashboard import page
from monitor.store import open_store
from tests.helpers.dashboard import fresh_caches
from tests.helpers.seed import Seeder, naive_now, write_scenario_config


class TestStatusBadge:
    @pytest.mark.parametrize(("status", "text"), [
        ("failing", ":red-badge[:material/error: failing]"),
        ("stale", ":violet-badge[:material/history: stale]"),
        ("ok", ":green-badge[:material/check_circle: ok]"),
        ("other", ":gray-badge[:material/help: other]")])
    def test_colour_icon_and_word(self, status: str, text: str):
        assert page.status_badge(status) == text


class TestStatusLabel:
    def test_coloured_word(self):
        assert page.status_label("warning") == ":orange[:material/warning: warning]"


class TestAgo:
    def test_relative(self):
        now = dt.datetime(2026, 1, 1, 12)

        assert page.ago(now - dt.timedelta(minutes=90), now) == "1h 30m ago"
        assert page.ago(now - dt.timedelta(seconds=20), now) == "just now"
        assert page.ago(None, now) == "–"


class TestWhen:
    @pytest.mark.parametrize("missing", [None, pd.NaT, float("nan")])
    def test_missing_is_a_dash(self, missing: object):
        assert page.when(missing) == "–"

    def test_minutes(self):
        assert page.when(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02 03:04"
        assert page.when(pd.Timestamp("2026-01-02 03:04")) == "2026-01-02 03:04"


class TestDayStart:
    def test_midnight(self):
        assert page.day_start(dt.datetime(2026, 1, 2, 3, 4, 5, 6)) == dt.datetime(2026, 1, 2)


def _period_app() -> None:
    import datetime as dt

    import streamlit as st

    from monitor.dashboard.page import period_picker

    since = period_picker(dt.datetime(2026, 3, 10, 15, 30), default=30)
    st.write(f"since {since.isoformat()}")


class TestPeriodPicker:
    def test_default_and_choice(self):
        at = AppTest.from_function(_period_app).run()
        assert at.markdown[0].value == "since 2026-02-08T00:00:00"

        at.selectbox(key="days").select(7).run()

        assert at.markdown[0].value == "since 2026-03-03T00:00:00"

    def test_from_the_url(self):
        at = AppTest.from_function(_period_app)
        at.query_params["days"] = "90"

        at.run()

        assert at.markdown[0].value == "since 2025-12-10T00:00:00"


def _author_app() -> None:
    import streamlit as st

    from monitor.dashboard.page import author

    st.text_input("name", key="author")
    st.write(f"author {author()}")


class TestAuthor:
    def test_typed_name_first(self):
        at = AppTest.from_function(_author_app).run()
        at.text_input(key="author").input("ana").run()

        assert at.markdown[0].value == "author ana"

    def test_signed_in_email_otherwise(self):
        at = AppTest.from_function(_author_app)
        at.user = {"email": "bo@example.com"}

        assert at.run().markdown[0].value == "author bo@example.com"

    def test_nobody(self):
        at = AppTest.from_function(_author_app)
        at.user = {}

        assert at.run().markdown[0].value == "author None"


def _context_app() -> None:
    import streamlit as st

    from monitor.dashboard.page import page_context

    ctx = page_context(need_runs=False)
    st.write(f"tables {','.join(ctx.table_names)} state {ctx.check.state}")


class TestPageContext:
    def test_empty_store_can_go_on_when_runs_are_not_needed(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        fresh_caches()
        url = f"sqlite:///{tmp_path / 'm.db'}"
        open_store(url).dispose()
        monkeypatch.setenv(CONFIG_ENV_VAR, str(write_scenario_config(tmp_path / "c.yaml", url)))

        at = AppTest.from_function(_context_app).run()

        assert "no runs yet" in at.info[0].value
        assert at.markdown[0].value.endswith("state empty")

    def test_config_edits_are_picked_up(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        fresh_caches()
        url = f"sqlite:///{tmp_path / 'm.db'}"
        store = open_store(url)
        seeder = Seeder()
        seeder.run("a", naive_now())
        seeder.write(store)
        config = write_scenario_config(tmp_path / "c.yaml", url,
                                       tables={"a": ([], [], "ok")})
        monkeypatch.setenv(CONFIG_ENV_VAR, str(config))
        at = AppTest.from_function(_context_app).run()
        first = at.markdown[0].value

        write_scenario_config(config, url, tables={"a": ([], [], "ok"), "b": ([], [], "ok")})
        stamp = config.stat().st_mtime + 5
        import os

        os.utime(config, (stamp, stamp))
        second = at.run().markdown[0].value

        assert first == "tables a state ready"
        assert second == "tables a,b state ready"
        store.dispose()
