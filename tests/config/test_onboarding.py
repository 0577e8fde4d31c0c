"""Proposed entries: which are new, and how they enter a config file's text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config.models import load_config, parse_config
from monitor.config.onboarding import (
    Proposal,
    config_diff,
    insert_entries,
    plan_onboarding,
    render_entries,
)
from monitor.errors import ConfigError

CONFIG = """\
# the shop
store: sqlite:///metrics.db

warehouses:
  w: sqlite:///w.db   # the warehouse

tables:
  # orders: hand-written
  - name: orders
    warehouse: w
    table: orders
    timestamp_column: created_at   # event time

# how often
default_schedule: every 1h
"""


def _proposal(name: str, **entry: object) -> Proposal:
    return Proposal({"name": name, "warehouse": "w", "table": name, **entry}, ("why",))


def _indent_tables(text: str) -> str:
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if line[:1].isalpha():
            inside = line.startswith("tables:")
        elif inside:
            line = f"  {line}"
        out.append(line)
    return "".join(out)


class TestPlanOnboarding:
    def test_configured_tables_are_skipped_and_the_rest_kept_in_order(self) -> None:
        config = parse_config(yaml.safe_load(CONFIG))

        plan = plan_onboarding(config, [_proposal("orders"), _proposal("events"),
                                        _proposal("customers")])

        assert [p.name for p in plan.new] == ["events", "customers"]
        assert plan.skipped == ["orders (orders)"]

    def test_no_schema_is_the_warehouses_default_schema(self) -> None:
        config = parse_config(yaml.safe_load(CONFIG))

        plan = plan_onboarding(config, [_proposal("orders", schema="main"),
                                        _proposal("orders", schema="other")],
                               default_schema="main")

        assert plan.skipped == ["orders (main.orders)"]
        assert [p.qualified for p in plan.new] == ["other.orders"]

    def test_a_taken_name_gets_the_schema_in_front_and_says_so(self) -> None:
        config = parse_config(yaml.safe_load(CONFIG))

        [new] = plan_onboarding(config, [_proposal("orders", schema="raw")]).new

        assert new.name == "raw_orders"
        assert new.reasons[-1] == "named 'raw_orders': 'orders' is taken"


class TestInsertEntries:
    def test_every_existing_line_and_comment_stays(self) -> None:
        proposals = [_proposal("events", bucket="day", timestamp_column="at", tags=["a", "b"])]

        new = insert_entries(CONFIG, proposals)

        assert new.replace(render_entries(proposals), "", 1) == CONFIG
        assert "    tags: [a, b]" in new.splitlines()
        assert yaml.safe_load(new)["tables"][1]["name"] == "events"
        assert new.endswith("# how often\ndefault_schedule: every 1h\n")

    def test_reasons_and_description_are_comments_above_the_entry(self) -> None:
        proposal = Proposal({"name": "e", "warehouse": "w", "table": "e"},
                            ("at: the only timestamp column",), "Events.\nOne per click.")

        text = render_entries([proposal], "  ")

        assert text.splitlines()[:4] == ["  # Events.", "  # One per click.",
                                         "  # at: the only timestamp column", "  - name: e"]

    def test_a_list_at_column_0_as_yaml_dump_writes_it(self) -> None:
        text = yaml.safe_dump({"warehouses": {"w": "sqlite://"}, "tables": [
            {"name": "a", "warehouse": "w", "table": "a"}], "default_schedule": "every 1h"},
            sort_keys=False)

        new = insert_entries(text, [_proposal("b")])

        assert "\n- name: b\n  warehouse: w\n" in new
        assert [t["name"] for t in yaml.safe_load(new)["tables"]] == ["a", "b"]

    def test_a_windows_file_keeps_its_line_ends(self) -> None:
        text = CONFIG.replace("\n", "\r\n")

        new = insert_entries(text, [_proposal("events")])

        assert new.count("\n") == new.count("\r\n")
        assert new.replace("\r\n", "\n") == insert_entries(CONFIG, [_proposal("events")])

    def test_a_file_without_tables_gets_a_block(self, tmp_path: Path) -> None:
        text = "warehouses:\n  w: sqlite:///w.db\n"

        new = insert_entries(text, [_proposal("events")])

        path = tmp_path / "monitor.yaml"
        path.write_text(new)
        assert [t.name for t in load_config(path).tables] == ["events"]

    def test_an_empty_list_becomes_a_block(self) -> None:
        new = insert_entries("warehouses: {w: 'sqlite://'}\ntables: []  # none yet\n",
                             [_proposal("events")])

        assert [t["name"] for t in yaml.safe_load(new)["tables"]] == ["events"]
        assert "# none yet" in new

    def test_a_flow_style_list_is_a_config_error_naming_the_file(self) -> None:
        text = "warehouses: {w: 'sqlite://'}\ntables: [{name: a, warehouse: w, table: a}]\n"

        with pytest.raises(ConfigError, match="monitor.yaml: 'tables:' is written in flow"):
            insert_entries(text, [_proposal("events")], source="monitor.yaml")

    @settings(max_examples=40, deadline=None)
    @given(names=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]),
                                  min_size=1, max_size=20), min_size=1, max_size=4, unique=True))
    def test_any_names_come_back_as_written(self, names: list[str]) -> None:
        new = insert_entries(CONFIG, [_proposal(n) for n in names])

        assert [t["name"] for t in yaml.safe_load(new)["tables"]] == ["orders", *names]


    @settings(max_examples=60, deadline=None)
    @given(existing=st.integers(0, 3), position=st.integers(0, 2),
           indent=st.sampled_from([2, 4]), comments=st.booleans(),
           hand_indented=st.booleans())
    def test_any_layout_keeps_every_key_and_adds_the_entries_last(
            self, existing: int, position: int, indent: int, comments: bool,
            hand_indented: bool) -> None:
        keys: list[tuple[str, object]] = [("store", "sqlite:///m.db"),
                                          ("warehouses", {"w": {"url": "sqlite://"}})]
        tables = [{"name": f"t{i}", "warehouse": "w", "table": f"t{i}"}
                  for i in range(existing)]
        keys.insert(position, ("tables", tables))
        text = yaml.safe_dump(dict(keys), sort_keys=False, indent=indent)
        if hand_indented:  # "  - name:" under the key, as people write it
            text = _indent_tables(text)
        if comments:
            text = re.sub(r"(?m)^(\w)", r"# about the next key\n\1", text)
        original = yaml.safe_load(text)

        new = yaml.safe_load(insert_entries(text, [_proposal("x"), _proposal("y")]))

        assert new["tables"] == [*original["tables"], _proposal("x").entry,
                                 _proposal("y").entry]
        assert {k: v for k, v in new.items() if k != "tables"} == \
            {k: v for k, v in original.items() if k != "tables"}


class TestConfigDiff:
    def test_only_added_lines(self) -> None:
        new = insert_entries(CONFIG, [_proposal("events")])

        diff = config_diff(CONFIG, new, "monitor.yaml")

        added = [line for line in diff.splitlines() if line.startswith("+")]
        removed = [line for line in diff.splitlines() if line.startswith("-")]
        assert added[0] == "+++ b/monitor.yaml"
        assert removed == ["--- a/monitor.yaml"]
        assert "+  - name: events" in added
