"""A click group whose commands are imported only when they run.

``dq-monitor --help`` lists every command without importing any of them (pandas, SQLAlchemy,
GX and the detectors stay unloaded); ``dq-monitor profile ...`` imports only the module that
defines ``profile``. Each command is a :class:`LazyCommand`: its name, where it lives, and the
help line ``--help`` shows (kept equal to the command's docstring by tests/cli/test_cli.py).

>>> import click
>>> group = LazyGroup("demo", lazy=(LazyCommand("hi", "monitor.cli.sample", "sample_cmd",
...                                             "Say hi."),))
>>> group.list_commands(click.Context(group))
['hi']
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """A command by name: ``module:attribute`` holds it, ``help`` is its first help line."""

    name: str
    module: str
    attribute: str
    help: str

    def load(self) -> click.Command:
        """Import the module and return the command (named ``name``)."""
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command) or command.name != self.name:
            raise TypeError(f"{self.module}.{self.attribute} is not the command {self.name!r}")
        return command


class LazyGroup(click.Group):
    """A :class:`click.Group` that imports each of its ``lazy`` commands on first use."""

    def __init__(self, *args: Any, lazy: Iterable[LazyCommand] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = {spec.name: spec for spec in lazy}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy[cmd_name].load())
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help``, from the help lines: nothing is imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                # A bare command with the same help shortens it as the real one would.
                stand_in = click.Command(name, help=self.lazy[name].help)
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)
