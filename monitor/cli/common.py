"""What every command shares: the loaded config, output in table or JSON form."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor.config import MonitorConfig, load_config
from monitor.context import MonitorContext
from monitor.timeutil import parse_time

FORMAT_OPTION = click.option("--format", "fmt", type=click.Choice(["table", "json"]),
                             default="table", show_default=True,
                             help="Readable table, or JSON that scripts can rely on.")


@dataclass
class CliState:
    """Per-invocation state: the config path and lazily opened resources."""

    config_path: str | None = None
    _config: MonitorConfig | None = None
    _context: MonitorContext | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> MonitorConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def context(self, *, read_only: bool = False) -> MonitorContext:
        if self._context is None:
            self._context = MonitorContext(self.config, read_only=read_only)
        return self._context


pass_state = click.make_pass_decorator(CliState, ensure=True)


def console() -> Console:
    """Rich console on stdout; plain when stdout is not a terminal."""
    return Console(soft_wrap=False, highlight=False,
                   width=None if sys.stdout.isatty() else 160)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def clean_json(value: Any) -> Any:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def emit_json(value: Any) -> None:
    click.echo(json.dumps(clean_json(value), default=_json_default, indent=2,
                          ensure_ascii=False, allow_nan=False))


def render_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                 *, caption: str | None = None) -> None:
    table = Table(title=title, caption=caption, show_lines=False, title_justify="left")
    for name in columns:
        table.add_column(name, overflow="fold")
    for row in rows:
        # Cells are data, never markup: "[critical]" must print as written.
        table.add_row(*(escape(fmt_value(v)) for v in row))
    console().print(table)


def fmt_value(value: Any) -> str:
    """Numbers and times as people read them."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value != 0 and (abs(value) >= 1e9 or abs(value) < 1e-3):
            return f"{value:.4g}"
        if value == int(value) and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class TimeParam(click.ParamType):
    """An ISO 8601 date or time on the command line."""

    name = "TIME"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            return parse_time(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


TIME = TimeParam()
