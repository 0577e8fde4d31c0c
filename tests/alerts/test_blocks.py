"""Block Kit messages: plain words, mentions, links, Slack's own limits."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from monitor.alerts.blocks import (
    MAX_ITEMS,
    build_message,
    describe,
    escape,
    mention,
    plain,
    render_text,
    table_link,
)
from monitor.run.findings import Finding

SINCE = dt.datetime(2026, 1, 5, 6, 0)


def finding(**fields: Any) -> Finding:
    """A failing finding of ``orders`` as an incident message shows it."""
    return Finding(**{"table": "orders", "kind": "anomaly", "failing": True, "at": SINCE,
                      **fields})


ROWS = finding(incident_id=7, check="volume:row_count", severity="critical",
               reason="412 rows, usually about 980", metric="row_count", observed=412,
               expected=980, lower=850, upper=1100, since=SINCE, occurrences=3)
NULLS = finding(incident_id=8, check="null_rate:user_id", severity="warning",
                reason="user_id is empty in 31% of rows", metric="null_rate",
                column="user_id", observed=0.31, expected=0.02, lower=0.0, upper=0.05,
                since=SINCE)


def assert_valid_block_kit(blocks: list[dict[str, Any]]) -> None:
    """slack_sdk's models check Slack's limits (header length, block types, urls)."""
    assert 0 < len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()


def texts(blocks: list[dict[str, Any]]) -> str:
    """The mrkdwn of every block, as Slack receives it."""
    out = []
    for block in blocks:
        out.append(block.get("text", {}).get("text", ""))
        out.extend(e.get("text", "") if isinstance(e.get("text"), str)
                   else f"[{e['text']['text']}] {e.get('url', '')}"
                   for e in block.get("elements", []))
    return "\n".join(out)


class TestBuildMessage:
    def test_an_opened_alert_says_what_is_wrong_in_plain_words(self) -> None:
        text, blocks = build_message("opened", "orders", [ROWS], owners=["<@U012AB3CD>"],
                                     dashboard_url="http://localhost:8501")

        assert_valid_block_kit(blocks)
        body = texts(blocks)
        assert blocks[0]["type"] == "header"
        assert "Data quality alert: orders" in blocks[0]["text"]["text"]
        assert "412 rows, usually about 980" in body
        assert "metric `row_count`" in body.lower()
        assert "observed *412*" in body
        assert "expected *980*" in body
        assert "normal band 850 – 1,100" in body
        assert "since 2026-01-05 06:00 UTC" in body
        assert "*critical*" in body
        assert "Owners: <@U012AB3CD>" in body
        assert "[Open dashboard] http://localhost:8501/?table=orders" in body
        assert text == "[critical] orders: 412 rows, usually about 980 <@U012AB3CD>"

    def test_several_problems_of_one_table_are_one_message_with_a_section_each(self) -> None:
        text, blocks = build_message("opened", "orders", [ROWS, NULLS], owners=["U012AB3CD"])

        assert_valid_block_kit(blocks)
        sections = [b for b in blocks if b["type"] == "section"]
        assert len(sections) == 3  # summary + one per problem
        assert "*2 problems* on table `orders` · worst severity *critical*" in texts(blocks)
        assert "Metric `null_rate` of column `user_id`" in sections[2]["text"]["text"]
        assert text.startswith("[critical] orders: 2 problems: 412 rows")

    def test_more_problems_than_shown_are_counted(self) -> None:
        items = [finding(incident_id=i, check=f"c{i}", severity="warning",
                         reason=f"problem {i}") for i in range(MAX_ITEMS + 5)]

        _, blocks = build_message("opened", "orders", items)

        assert_valid_block_kit(blocks)
        body = texts(blocks)
        assert "problem 9" in body
        assert "problem 10" not in body
        assert "…and 5 more" in body

    def test_thread_updates_and_resolutions_do_not_ping_owners(self) -> None:
        for event in ("update", "resolved"):
            text, blocks = build_message(event, "orders", [ROWS], owners=["<@U012AB3CD>"],
                                         dashboard_url="http://d")

            assert_valid_block_kit(blocks)
            assert "<@U012AB3CD>" not in texts(blocks) + text

    def test_an_update_counts_the_occurrences_and_has_no_header(self) -> None:
        _, blocks = build_message("update", "orders", [ROWS])

        assert blocks[0]["type"] == "section"
        assert "Still failing: seen 3 times." in texts(blocks)

    def test_a_resolution_says_after_how_many_passing_runs(self) -> None:
        item = finding(incident_id=7, check="c", severity="critical", reason="412 rows",
                       ok_runs=2, since=SINCE)

        text, blocks = build_message("resolved", "orders", [item], dashboard_url="http://d/")

        assert "Resolved: orders" in blocks[0]["text"]["text"]
        assert "Back to normal after 2 passing runs." in texts(blocks)
        assert "incident #7" in texts(blocks)
        assert "incidents ack" not in texts(blocks)  # nothing left to acknowledge
        assert text == "Resolved: orders: 412 rows http://d/?table=orders"

    def test_a_resolution_with_a_reason_says_it_instead_of_back_to_normal(self) -> None:
        item = finding(incident_id=8, check="schema", severity="critical",
                       reason="column 'phone' was removed (it was TEXT)", ok_runs=1,
                       resolution="the change was accepted (acknowledged by ana)")

        _, blocks = build_message("resolved", "customers", [item])

        assert "~column 'phone' was removed (it was TEXT)~" in texts(blocks)
        assert "The change was accepted (acknowledged by ana)." in texts(blocks)
        assert "Back to normal" not in texts(blocks)

    def test_a_reminder_mentions_owners_again(self) -> None:
        text, blocks = build_message("reminder", "orders", [ROWS], owners=["@here"])

        assert "Still failing: orders" in blocks[0]["text"]["text"]
        assert "<!here>" in text
        assert "Seen 3 times so far." in texts(blocks)

    def test_an_open_incident_links_to_acknowledge_and_resolve_it_on_the_dashboard(
            self) -> None:
        item = finding(incident_id=7, check="volume:row_count", severity="critical",
                       reason="412 rows, usually about 980")

        _, blocks = build_message("opened", "orders", [item], dashboard_url="http://d/")

        buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
        assert [(b["text"]["text"], b["url"]) for b in buttons] == [
            ("Open dashboard", "http://d/?table=orders"),
            ("Acknowledge #7", "http://d/?page=incidents&incident=7&action=acknowledge"),
            ("Resolve #7", "http://d/?page=incidents&incident=7&action=resolve")]
        assert len({b["action_id"] for b in buttons}) == 3

    def test_a_resolved_notice_offers_no_incident_actions(self) -> None:
        item = finding(incident_id=7, check="c", severity="critical", reason="412 rows",
                       ok_runs=2)

        _, blocks = build_message("resolved", "orders", [item], dashboard_url="http://d/")

        buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
        assert [b["text"]["text"] for b in buttons] == ["Open dashboard"]

    def test_without_a_dashboard_url_there_is_no_button(self) -> None:
        _, blocks = build_message("opened", "orders", [ROWS])

        assert all(b["type"] != "actions" for b in blocks)

    @given(table=st.text(min_size=1, max_size=300), reason=st.text(min_size=1, max_size=4000))
    def test_any_names_make_a_valid_message(self, table: str, reason: str) -> None:
        item = finding(incident_id=1, check="c", severity="warning", reason=reason,
                       column=reason[:50], observed=reason[:20])

        _, blocks = build_message("opened", table, [item], dashboard_url="http://d")

        assert_valid_block_kit(blocks)
        for block in blocks[1:]:
            text = block.get("text", {}).get("text", "")
            assert "<" not in text
            assert ">" not in text


class TestDescribe:
    def test_a_problem_without_numbers_is_its_reason(self) -> None:
        item = finding(incident_id=None, check="schema", severity="info",
                       reason="column email was dropped")

        assert describe(item) == ":large_blue_circle: *info* · column email was dropped"


    def test_a_rule_finding_shows_no_band(self) -> None:
        item = finding(incident_id=None, check="rule:null_timestamps", severity="warning",
                       reason="25 of 1,000 rows (2.5%) have no 'ts'", metric="null_count",
                       column="ts", observed=25, upper=0.0)

        text = describe(item)

        assert "band" not in text
        assert "Metric `null_count` of column `ts`: observed *25*" in text

    def test_a_one_sided_band_names_its_side(self) -> None:
        item = finding(incident_id=None, check="volume:row_count", severity="warning",
                       reason="rows above the usual", observed=500, upper=1)

        assert "normal at most 1" in describe(item)


class TestMention:
    def test_user_ids_groups_and_specials_become_mentions(self) -> None:
        assert mention("<@U012AB3CD>") == "<@U012AB3CD>"
        assert mention("U012AB3CD") == "<@U012AB3CD>"
        assert mention("@W012AB3CD") == "<@W012AB3CD>"
        assert mention("S0614TZR7") == "<!subteam^S0614TZR7>"
        assert mention("@channel") == "<!channel>"

    def test_names_slack_cannot_resolve_are_shown_escaped(self) -> None:
        assert mention("@data-eng") == "@data-eng"
        assert mention("a<b") == "a&lt;b"


class TestTableLink:
    @given(name=st.text(min_size=1, max_size=80))
    def test_the_table_name_survives_url_encoding(self, name: str) -> None:
        link = table_link("https://dash.example.com/", name)

        assert link is not None
        parts = urlsplit(link)
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "dash.example.com", "/")
        assert parse_qs(parts.query, keep_blank_values=True, strict_parsing=True) == {
            "table": [name]}

    def test_no_dashboard_no_link(self) -> None:
        assert table_link(None, "orders") is None


class TestEscape:
    def test_escapes_the_three_control_characters(self) -> None:
        assert escape("a & <b> c") == "a &amp; &lt;b&gt; c"


class TestNumbersInAlerts:
    def test_each_value_in_its_metric_unit(self) -> None:
        text = describe(NULLS)

        assert "observed *31.0%*, expected *2.0%*, normal band 0.0% – 5.0%" in text

    def test_no_float_noise_and_an_open_band_side_is_said_in_words(self) -> None:
        item = finding(incident_id=1, check="c", severity="warning", reason="r",
                       metric="mean", observed=1263.1067555555544, upper=1100.0)

        assert describe(item).endswith("observed *1,263.11*, normal at most 1,100")


class TestPlain:
    def test_markup_emoji_and_mentions_become_what_slack_shows(self) -> None:
        shown = plain(":red_circle: *critical* · `orders` ~gone~ _new_ <@U012AB3CD> "
                      "<!subteam^S0614TZR7> <!here> a &amp; b &lt;c&gt;")

        assert shown == "critical · orders gone new @U012AB3CD @S0614TZR7 @here a & b <c>"

    def test_words_with_marks_inside_stay_as_written(self) -> None:
        assert plain("null_rate of a*b and 2*3*4 at 06:00:09") == (
            "null_rate of a*b and 2*3*4 at 06:00:09")

    def test_a_link_keeps_label_and_address(self) -> None:
        assert plain("<http://d/?table=orders|Open orders>") == "Open orders (http://d/?table=orders)"


class TestRenderText:
    def test_every_block_kind_becomes_lines(self) -> None:
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": "H"}},
                  {"type": "section", "text": {"type": "mrkdwn", "text": "S"},
                   "fields": [{"type": "mrkdwn", "text": "F"}]},
                  {"type": "divider"},
                  {"type": "context", "elements": [{"type": "mrkdwn", "text": "C1"},
                                                   {"type": "mrkdwn", "text": "C2"}]},
                  {"type": "actions", "elements": [
                      {"type": "button", "text": {"type": "plain_text", "text": "B"},
                       "url": "http://u"}]}]

        assert render_text(blocks) == "H\nS\nF\n---\nC1 C2\n[B] http://u"

    def test_an_alert_reads_without_slack_markup(self) -> None:
        _, blocks = build_message("opened", "orders", [ROWS], owners=["<@U012AB3CD>"])

        assert render_text(blocks).splitlines()[:4] == [
            "Data quality alert: orders",
            "1 problem on table orders · worst severity critical",
            "Owners: @U012AB3CD",
            "critical · 412 rows, usually about 980",
        ]
