"""What every command shares: the loaded config, output in table or JSON form."""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from monitor import formatting
from monitor.config.models import MonitorConfig, load_config
from monitor.run.context import MonitorContext
from monitor.timeutil import parse_time, utcnow

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


def is_id_column(name: str) -> bool:
    """Columns that hold identifiers, shown as stored (``76657``, never ``76,657``).

    >>> [is_id_column(n) for n in ("id", "order_id", "batch id", "paid")]
    [True, True, True, False]
    """
    lowered = name.strip().lower()
    return lowered == "id" or lowered.endswith(("_id", " id"))


def render_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                 *, caption: str | None = None) -> None:
    """Rows as a table: each cell through ``monitor.formatting`` (ids as stored)."""
    table = Table(title=title, caption=caption, show_lines=False, title_justify="left")
    for name in columns:
        table.add_column(name, overflow="fold")
    shown = [formatting.identifier if is_id_column(name) else formatting.text
             for name in columns]
    for row in rows:
        # Cells are data, never markup: "[critical]" must print as written.
        table.add_row(*(escape(show(v)) for show, v in zip(shown, row, strict=False)))
    console().print(table)


class TimeParam(click.ParamType):
    """A time on the command line: ISO 8601 (``2026-01-31``, ``2026-01-31T06:00Z``) or
    relative to now (``7d``, ``36h``, ``today``, ``yesterday``; see ``parse_time``)."""

    name = "TIME"

    def __init__(self, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.clock = clock

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            return parse_time(value, now=self.clock())
        except ValueError as error:
            self.fail(str(error), param, ctx)


TIME = TimeParam()
