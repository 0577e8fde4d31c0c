"""``sample``: (re)create the bundled sample warehouse named in the config."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from monitor.cli.common import CliState, console, pass_state
from monitor.demo.sample import build_sample_warehouse
from monitor.dialects import capabilities_for_url
from monitor.errors import ConfigError


def sample_path(state: CliState, warehouse: str) -> Path:
    """The SQLite file of a configured warehouse."""
    config = state.config
    if warehouse not in config.warehouses:
        raise ConfigError(f"{config.source}: no warehouse named {warehouse!r}")
    url = sa.engine.make_url(config.resolve_url(config.warehouses[warehouse].url))
    caps = capabilities_for_url(url)
    path = caps.database_file(url)
    if path is None or not caps.python_sqlite3:
        raise ConfigError(f"{config.source}: warehouses.{warehouse} must be a SQLite file "
                          f"to hold the sample data")
    return path


@click.command("sample")
@click.option("--warehouse", default="sample", show_default=True,
              help="The configured SQLite warehouse to write the sample tables into.")
@click.option("--days", type=click.IntRange(7, 3650), default=90, show_default=True)
@click.option("--clean", is_flag=True, help="Without the injected incidents.")
@pass_state
def sample_cmd(state: CliState, warehouse: str, days: int, clean: bool) -> None:
    """(Re)create the sample warehouse: customers, orders and events."""
    path = sample_path(state, warehouse)
    manifest = build_sample_warehouse(path, days=days, incidents=not clean)
    rows = ", ".join(f"{t} {n:,}" for t, n in manifest.rows.items())
    console().print(f"sample warehouse {path}: {rows} rows, {manifest.start} .. {manifest.end}")
    for incident in manifest.incidents:
        console().print(f"  injected {incident.day}: {incident.description}")

