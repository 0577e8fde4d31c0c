"""The lazily loading command group: the same --help, commands imported on first use."""

from __future__ import annotations

import click
import pytest

from monitor.cli import COMMANDS, cli
from monitor.cli.lazy_group import LazyCommand, LazyGroup


def _help(group: click.Group) -> str:
    ctx = click.Context(group, info_name="dq-monitor", max_content_width=100)
    return group.get_help(ctx)


class TestLazyGroup:
    def test_help_is_the_same_before_and_after_every_command_is_loaded(self) -> None:
        group = LazyGroup("dq-monitor", lazy=COMMANDS, help=cli.help, params=cli.params)
        lazy_help = _help(group)

        for spec in COMMANDS:
            group.get_command(click.Context(group), spec.name)

        assert set(group.commands) == {spec.name for spec in COMMANDS}
        assert _help(group) == lazy_help

    def test_each_help_line_is_the_commands_own(self) -> None:
        for spec in COMMANDS:
            loaded = spec.load()

            assert loaded.get_short_help_str(500) == spec.help, spec.name

    def test_commands_added_directly_are_listed_and_found(self) -> None:
        group = LazyGroup("g", lazy=(COMMANDS[0],))
        extra = click.Command("zeta", help="Last.")
        group.add_command(extra)
        ctx = click.Context(group)

        assert group.list_commands(ctx) == [COMMANDS[0].name, "zeta"]
        assert group.get_command(ctx, "zeta") is extra
        assert group.get_command(ctx, "nope") is None

    def test_hidden_commands_are_not_in_help(self) -> None:
        group = LazyGroup("g")
        group.add_command(click.Command("secret", help="Hidden.", hidden=True))
        group.add_command(click.Command("shown", help="Shown."))

        text = _help(group)

        assert "shown" in text
        assert "secret" not in text


class TestLazyCommand:
    def test_load_returns_the_named_command(self) -> None:
        spec = LazyCommand("sample", "monitor.cli.sample", "sample_cmd", "x")

        assert spec.load().name == "sample"

    def test_a_wrong_attribute_is_an_error_naming_it(self) -> None:
        spec = LazyCommand("nope", "monitor.cli.sample", "sample_cmd", "x")

        with pytest.raises(TypeError, match=r"monitor\.cli\.sample\.sample_cmd"):
            spec.load()
