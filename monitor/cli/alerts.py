"""``alerts``, ``incidents``, ``mute``/``unmute``/``mutes``: the outbox and the incidents.

    dq-monitor alerts list --status dead        # what could not be delivered
    dq-monitor alerts retry --all-dead          # send the dead letters again
    dq-monitor alerts deliver                   # flush the outbox now
    dq-monitor incidents list                   # open and acknowledged incidents
    dq-monitor incidents ack 12                 # someone is on it: no more updates
    dq-monitor incidents resolve 12 --reason false-positive --note "holiday sale"
    dq-monitor incidents mute 12 --for 4h
    dq-monitor mute orders --for 2h --reason "backfill"
    dq-monitor unmute orders
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

import click
from rich.markup import escape

from monitor import formatting
from monitor.alerts import actions as incident_actions
from monitor.alerts.check_names import incident_check_name
from monitor.alerts.outbox import (
    OUTBOX_STATUSES,
    DeliveryReport,
    flush_outbox,
    requeue,
)
from monitor.cli.common import FORMAT_OPTION, CliState, console, emit_json, pass_state, render_table
from monitor.config.durations import parse_duration
from monitor.errors import ExitCode, InputError
from monitor.store.incidents import STATUSES, Incident, list_incidents
from monitor.store.mutes import active_mutes
from monitor.store.outbox import list_outbox
from monitor.timeutil import iso, to_naive_utc


class DurationParam(click.ParamType):
    """A duration such as ``30m``, ``4h`` or ``2d``."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        try:
            return parse_duration(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


DURATION = DurationParam()


class IncidentIdParam(click.ParamType):
    """An incident's number as listed: ``12`` or ``#12``."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> int:
        try:
            return incident_actions.incident_id_of(value)
        except InputError as error:
            self.fail(str(error), param, ctx)


class ResolutionParam(click.ParamType):
    """Why an incident is resolved: ``fixed``, ``expected``, ``false-positive``, ..."""

    name = "|".join(incident_actions.RESOLUTIONS)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        try:
            return incident_actions.resolution_reason(str(value))
        except InputError as error:
            self.fail(str(error), param, ctx)


INCIDENT_ID = IncidentIdParam()
RESOLUTION = ResolutionParam()
LIMIT_OPTION = click.option("--limit", type=click.IntRange(1, 100_000), default=100,
                            show_default=True, help="Show at most this many, newest first.")


def _times(record: dict[str, Any]) -> dict[str, Any]:
    """Naive UTC store times as ISO 8601 with an explicit offset, for JSON."""
    return {k: iso(v) if isinstance(v, dt.datetime) else v for k, v in record.items()}


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


# -- alerts ------------------------------------------------------------------------
@click.group("alerts")
def alerts_group() -> None:
    """The alert outbox: list, deliver, and resend dead letters."""


@alerts_group.command("list")
@click.option("--status", type=click.Choice(OUTBOX_STATUSES), help="Only alerts in this state.")
@click.option("--table", help="Only alerts about this table.")
@LIMIT_OPTION
@FORMAT_OPTION
@pass_state
def alerts_list(state: CliState, status: str | None, table: str | None, limit: int,
                fmt: str) -> None:
    """List queued, delivered and dead alerts."""
    entries = list_outbox(state.context().store, status=status, table=table, limit=limit)
    if fmt == "json":
        emit_json([_times(e.to_dict()) for e in entries])
        return
    if not entries:
        console().print("no alerts" + (f" with status {status}" if status else ""))
        return
    render_table("alerts", ("id", "created (UTC)", "table", "event", "status", "attempts",
                            "notifier", "channel", "text", "last error"),
                 [(_short_id(e.message_id), e.created_at, e.table, e.event, e.status,
                   e.attempts, e.notifier or "-", e.channel, e.text[:80], e.last_error or "")
                  for e in entries],
                 caption="`dq-monitor alerts retry ID` resends one (a 12-character prefix "
                         "is enough; a copy for another notifier is ID@NOTIFIER); notifier "
                         "-: not routed yet (alerts.routes decide at the first delivery)")


def _short_id(message_id: str) -> str:
    """The first 12 characters, and the ``@notifier`` of a copy."""
    base, sep, notifier = message_id.partition("@")
    return base[:12] + sep + notifier


def _print_report(report: DeliveryReport, fmt: str) -> None:
    if fmt == "json":
        emit_json(report.to_dict())
    else:
        console().print(f"delivered {len(report.delivered)}, retrying later "
                        f"{len(report.retrying)}, dead {len(report.dead)}, waiting for their "
                        f"thread {len(report.deferred)}")
        if report.stopped:
            console().print(f"[yellow]stopped early: {escape(report.stopped)}[/yellow]")
    if report.retrying or report.dead:
        # Slack refused or could not be reached: infrastructure or configuration.
        raise click.exceptions.Exit(ExitCode.BAD_INPUT)


@alerts_group.command("deliver")
@FORMAT_OPTION
@pass_state
def alerts_deliver(state: CliState, fmt: str) -> None:
    """Deliver every due alert now (exit 2 if some could not be delivered)."""
    _print_report(flush_outbox(state.context()), fmt)


def _full_id(state: CliState, given: str) -> str:
    # A copy for another notifier is `<id>@<notifier>`: `PREFIX@pagerduty` names it,
    # and a bare prefix names the message itself, not its copies.
    prefix, _, notifier = given.partition("@")
    ids = [e.message_id for e in list_outbox(state.context().store, limit=100_000)]
    if given in ids:
        return given
    matches = [i for i in ids if i.partition("@")[0].startswith(prefix)
               and i.partition("@")[2] == notifier]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise click.BadParameter(f"{given!r} matches {len(matches)} alerts; give more "
                                 f"characters", param_hint="ID")
    return given  # requeue names it as unknown


@alerts_group.command("retry")
@click.argument("message_id", metavar="[ID]", required=False)
@click.option("--all-dead", is_flag=True, help="Every dead alert.")
@FORMAT_OPTION
@pass_state
def alerts_retry(state: CliState, message_id: str | None, all_dead: bool, fmt: str) -> None:
    """Resend one undelivered alert, or every dead one, now."""
    if bool(message_id) == all_dead:
        raise click.UsageError("give an alert ID or --all-dead (not both)")
    ctx = state.context()
    ids = requeue(ctx.store, now=ctx.now(),
                  message_id=_full_id(state, message_id) if message_id else None,
                  all_dead=all_dead)
    if not ids:
        if fmt == "json":
            emit_json(DeliveryReport().to_dict())
        else:
            console().print("no dead alerts to resend")
        return
    _print_report(flush_outbox(ctx, only=ids), fmt)


# -- incidents ----------------------------------------------------------------------
@click.group("incidents")
def incidents_group() -> None:
    """Incidents: list them, acknowledge, resolve or mute them."""


def _status_text(incident: Incident) -> str:
    """``acknowledged by ana``, ``resolved by ana: false positive``."""
    if incident.status == "resolved":
        why = incident_actions.RESOLUTION_TEXT.get(incident.resolution or "",
                                                   incident.resolution or "")
        by = f" by {incident.resolved_by}" if incident.resolved_by else ""
        return f"resolved{by}" + (f": {why}" if why else "")
    if incident.acknowledged_by:
        return f"{incident.status} by {incident.acknowledged_by}"
    return incident.status


def _incident_json(incident: Incident) -> dict[str, Any]:
    return _times({**incident.to_dict(), "ref": incident.ref,
                   "check_name": incident_check_name(incident.check, incident.details)})


@incidents_group.command("list")
@click.option("--status", type=click.Choice([*STATUSES, "active", "all"]), default="active",
              show_default=True, help="active = open or acknowledged.")
@click.option("--table", help="Only incidents of this table.")
@LIMIT_OPTION
@FORMAT_OPTION
@pass_state
def incidents_list(state: CliState, status: str, table: str | None, limit: int,
                   fmt: str) -> None:
    """List incidents, newest first."""
    with state.context().store.connect() as conn:
        found = list_incidents(conn, status=None if status == "all" else status, table=table,
                               limit=limit)
    if fmt == "json":
        emit_json([_incident_json(i) for i in found])
        return
    if not found:
        console().print(f"no {'' if status == 'all' else status + ' '}incidents")
        return
    render_table("incidents", ("id", "table", "check", "status", "severity", "opened (UTC)",
                               "seen", "what", "muted until"),
                 [(i.ref, i.table, incident_check_name(i.check, i.details), _status_text(i),
                   i.severity, i.opened_at, i.occurrences, i.title, i.muted_until)
                  for i in found],
                 caption="`dq-monitor incidents ack ID` / `incidents resolve ID --reason "
                         "...` act on one")


@incidents_group.command("ack")
@click.argument("incident_id", type=INCIDENT_ID)
@click.option("--by", help="Who is on it (default: your user name).")
@pass_state
def incidents_ack(state: CliState, incident_id: int, by: str | None) -> None:
    """Acknowledge an incident: it stays open but sends no more updates."""
    incident_actions.acknowledge(state.context().store, incident_id, by=by or _user())
    console().print(f"incident {incident_id} acknowledged; it resolves by itself when the "
                    f"check passes again")


@incidents_group.command("resolve")
@click.argument("incident_id", type=INCIDENT_ID)
@click.option("--reason", type=RESOLUTION, required=True,
              help="fixed: it was broken and is repaired; expected: a real change that is "
                   "normal (a holiday); false-positive: nothing was wrong; no-action-needed: "
                   "real but harmless. Expected and false-positive points rejoin the "
                   "detectors' training, the others stay out of it.")
@click.option("--by", help="Who resolves it (default: your user name).")
@click.option("--note", help="A sentence for the record.")
@FORMAT_OPTION
@pass_state
def incidents_resolve(state: CliState, incident_id: int, reason: str, by: str | None,
                      note: str | None, fmt: str) -> None:
    """Resolve an incident with a reason the detectors learn from."""
    done = incident_actions.resolve(state.context().store, incident_id, reason=reason,
                                    by=by or _user(), note=note)
    if fmt == "json":
        emit_json({**_incident_json(done.incident), "labelled": {
            "label": done.label, "points": [iso(ts) for ts in done.points]}})
        return
    console().print(escape(_resolved_sentence(done)))


def _resolved_sentence(done: incident_actions.Resolved) -> str:
    incident = done.incident
    text = (f"incident {incident.ref} ({incident.table}: "
            f"{incident_check_name(incident.check, incident.details)}) resolved as "
            f"{incident_actions.RESOLUTION_TEXT[incident.resolution or '']}")
    if not done.points:
        return text
    count = f"{len(done.points)} point{'s' if len(done.points) != 1 else ''}"
    if done.label == "expected":
        return f"{text}; {count} marked expected: they rejoin the detectors' training"
    return f"{text}; {count} kept out of the detectors' training"


@incidents_group.command("mute")
@click.argument("incident_id", type=INCIDENT_ID)
@click.option("--for", "duration", type=DURATION, required=True, help="For example 4h.")
@pass_state
def incidents_mute(state: CliState, incident_id: int, duration: float) -> None:
    """Silence one incident for a while."""
    ctx = state.context()
    until = ctx.now() + dt.timedelta(seconds=duration)
    incident_actions.mute_incident(ctx.store, incident_id, until=until)
    console().print(f"incident {incident_id} muted for {formatting.duration(duration)} (until "
                    f"{to_naive_utc(until):%Y-%m-%d %H:%M} UTC)")


# -- table mutes ---------------------------------------------------------------------
@click.command("mute")
@click.argument("table")
@click.option("--for", "duration", type=DURATION, required=True, help="For example 2h.")
@click.option("--reason", help="Why (shown by `dq-monitor mutes`).")
@pass_state
def mute_cmd(state: CliState, table: str, duration: float, reason: str | None) -> None:
    """Silence every alert of TABLE for a while (replaces an earlier mute)."""
    state.config.table(table)
    ctx = state.context()
    mute = incident_actions.mute_table(ctx.store, table,
                                       until=ctx.now() + dt.timedelta(seconds=duration),
                                       reason=reason, by=_user())
    console().print(f"{table} muted for {formatting.duration(duration)} (until "
                    f"{mute.until:%Y-%m-%d %H:%M} UTC)")


@click.command("unmute")
@click.argument("table")
@pass_state
def unmute_cmd(state: CliState, table: str) -> None:
    """Lift TABLE's mute."""
    state.config.table(table)
    lifted = incident_actions.unmute_table(state.context().store, table)
    console().print(f"{table} unmuted" if lifted else f"{table} was not muted")


@click.command("mutes")
@FORMAT_OPTION
@pass_state
def mutes_cmd(state: CliState, fmt: str) -> None:
    """List the tables muted now."""
    ctx = state.context()
    now = to_naive_utc(ctx.now())
    with ctx.store.connect() as conn:
        rows = active_mutes(conn, now)
    if fmt == "json":
        emit_json([{"table": r.table, "muted_until": iso(r.until),
                    "reason": r.reason, "created_by": r.created_by} for r in rows])
        return
    render_table("muted tables", ("table", "until (UTC)", "reason", "by"),
                 [(r.table, r.until, r.reason or "", r.created_by) for r in rows])

