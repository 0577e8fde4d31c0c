"""``init``: config entries for a warehouse's tables or a dbt project, shown as a diff."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click
import yaml

from monitor.cli.common import FORMAT_OPTION, CliState, emit_json, pass_state
from monitor.config.models import parse_config
from monitor.config.onboarding import Plan, Proposal, config_diff, insert_entries, plan_onboarding
from monitor.errors import ConfigError, MonitorError

if TYPE_CHECKING:
    from monitor.warehouse import SqlWarehouse


def _warehouse(state: CliState, name: str | None, option: str) -> SqlWarehouse:
    from monitor.warehouse import open_warehouses

    config = state.config
    if name is None:
        if len(config.warehouses) != 1:
            known = ", ".join(config.warehouses) or "none"
            raise click.UsageError(f"name the warehouse the dbt project builds into with "
                                   f"--warehouse (configured: {known})")
        name = next(iter(config.warehouses))
    if name not in config.warehouses:
        known = ", ".join(config.warehouses) or "none"
        raise ConfigError(f"{config.source}: {option}: no warehouse named {name!r} in "
                          f"'warehouses:' (configured: {known})")
    return open_warehouses({name: config.warehouses[name]}, config.resolve_url)[name]


def _echo_plan(plan: Plan, left_out: list[str]) -> None:
    for proposal in plan.new:
        click.echo(f"{proposal.name} ({proposal.qualified}):")
        for reason in proposal.reasons:
            click.echo(f"  {reason}")
    if plan.skipped:
        click.echo(f"already configured, skipped: {', '.join(plan.skipped)}")
    if left_out:
        click.echo(f"left out: {', '.join(left_out)}")


@click.command("init")
@click.option("--discover", "discover_from", metavar="WAREHOUSE",
              help="List the tables of this configured warehouse.")
@click.option("--schema", help="With --discover: this schema (default: the warehouse's own).")
@click.option("--from-dbt", "manifest", type=click.Path(dir_okay=False), metavar="MANIFEST",
              help="A dbt target/manifest.json: its models and sources.")
@click.option("--warehouse", help="With --from-dbt: the configured warehouse dbt builds into "
                                  "(default: the only one).")
@click.option("--write", is_flag=True, help="Write the entries into the config file (without "
                                            "it, only the diff is shown).")
@FORMAT_OPTION
@pass_state
def init_cmd(state: CliState, discover_from: str | None, schema: str | None,
             manifest: str | None, warehouse: str | None, write: bool, fmt: str) -> None:
    """Write config entries for a warehouse's tables or a dbt project's models and sources.

    Prints what was guessed and why, the tables already configured (skipped), and a diff
    of the config file; --write adds the entries at the end of its tables: list, leaving
    every other line and comment as it was. Exit 0, or 2 for bad input (no such
    warehouse, schema or manifest; a manifest of an unsupported version).
    """
    if (discover_from is None) == (manifest is None):
        raise click.UsageError("pass either --discover WAREHOUSE or --from-dbt MANIFEST")
    if schema is not None and discover_from is None:
        raise click.UsageError("--schema goes with --discover (a dbt manifest names schemas)")
    if warehouse is not None and manifest is None:
        raise click.UsageError("--warehouse goes with --from-dbt")
    from monitor.config.discover import default_schema, discover

    config = state.config
    left_out: list[str] = []
    proposals: list[Proposal]
    if discover_from is not None:
        wh = _warehouse(state, discover_from, "--discover")
        proposals, left_out = discover(wh, schema)
        default = default_schema(wh)
    else:
        from monitor.config.dbt import from_manifest

        wh = _warehouse(state, warehouse, "--warehouse")
        proposals, left_out = from_manifest(manifest, wh.name)  # type: ignore[arg-type]
        default = None
        with contextlib.suppress(MonitorError):  # offline: schemas compare as written
            default = default_schema(wh)
    plan = plan_onboarding(config, proposals, default_schema=default)
    path = Path(config.source)
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:  # keep its line ends
            old = file.read()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error}") from None
    new = insert_entries(old, plan.new, source=str(path))
    # What is written must load: a bad value from a manifest (bucket: minute) stops here.
    parse_config(yaml.safe_load(new), source=f"{path} with the new entries",
                 base_dir=path.resolve().parent)
    if write and plan.new:
        with path.open("w", encoding="utf-8", newline="") as file:
            file.write(new)
    diff = config_diff(old, new, str(path))
    if fmt == "json":
        emit_json({"config": str(path), "written": bool(write and plan.new),
                   "new": [{"entry": p.entry, "reasons": list(p.reasons)} for p in plan.new],
                   "skipped": plan.skipped, "left_out": left_out, "diff": diff})
        return
    _echo_plan(plan, left_out)
    if not plan.new:
        click.echo(f"nothing to add to {path}")
        return
    click.echo(diff, nl=False)
    count = f"{len(plan.new)} {'entry' if len(plan.new) == 1 else 'entries'}"
    if write:
        click.echo(f"wrote {count} at the end of the tables: list of {path}")
    else:
        click.echo(f"not written: pass --write to add {count} to {path}")
