"""Links into the dashboard."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from monitor.dashboard.links import table_url


class TestTableUrl:
    def test_absolute_under_the_dashboard_url(self):
        assert table_url("http://dq.internal:8501", "orders") == \
            "http://dq.internal:8501/table?table=orders"

    def test_trailing_slash_and_extra_parameters(self):
        assert table_url("https://x/dq/", "orders", days="90") == \
            "https://x/dq/table?table=orders&days=90"

    def test_relative_without_a_base(self):
        assert table_url(None, "orders") == "table?table=orders"

    @given(st.text(min_size=1, max_size=40))
    def test_any_table_name_survives_the_round_trip(self, name: str):
        url = table_url("http://h", name)

        assert parse_qs(urlsplit(url).query, keep_blank_values=True)["table"] == [name]
