"""Links into the dashboard."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from monitor.dashboard.links import incident_url, table_url


class TestTableUrl:
    def test_absolute_under_the_dashboard_url(self):
        assert table_url("http://dq.internal:8501", "orders") == \
            "http://dq.internal:8501/?table=orders"

    def test_trailing_slash_and_extra_parameters(self):
        assert table_url("https://x/dq/", "orders", days="90") == \
            "https://x/dq/?table=orders&days=90"

    def test_relative_without_a_base(self):
        assert table_url(None, "orders") == "./?table=orders"

    @given(st.text(min_size=1, max_size=40))
    def test_any_table_name_survives_the_round_trip(self, name: str):
        url = table_url("http://h", name)

        assert parse_qs(urlsplit(url).query, keep_blank_values=True)["table"] == [name]


class TestIncidentUrl:
    def test_the_root_with_the_page_the_incident_and_the_action(self):
        url = incident_url("https://x/dq/", 12, action="acknowledge")

        assert url == "https://x/dq/?page=incidents&incident=12&action=acknowledge"

    def test_relative_without_a_base_and_no_action(self):
        assert incident_url(None, 7) == "./?page=incidents&incident=7"
