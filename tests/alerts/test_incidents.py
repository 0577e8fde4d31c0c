"""The incident state machine (pure); its rows in the store are tests/store/test_incidents.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from monitor.alerts.incidents import AlertPolicy, incident_finding, notified, plan_incidents
from monitor.config.models import AlertsConfig, SlackConfig
from monitor.run.findings import Finding
from monitor.store.incidents import Incident
from tests.helpers.incidents import HOUR, NOW, incident

WEBHOOK = AlertPolicy(resolve_after_runs=2, reminder_interval=4 * 3600, threads=False)
BOT = replace(WEBHOOK, threads=True)


def finding(check: str = "volume:row_count", *, failing: bool = True,
            severity: str = "critical", table: str = "orders", **kw: Any) -> Finding:
    return Finding(table=table, check=check, kind="anomaly", severity=severity,  # type: ignore[arg-type]
                   failing=failing, at=kw.pop("at", NOW), reason=kw.pop("reason", "412 rows"),
                   **kw)



def plan(findings: list[Finding], open_: dict[str, Incident], policy: AlertPolicy = WEBHOOK,
         now: dt.datetime = NOW, **kw: Any) -> list[tuple[str, str | None, str]]:
    changes = plan_incidents(findings, open_, run_id=kw.pop("run_id", "r1"), now=now,
                             policy=policy, **kw)
    return [(c.incident.check, c.event, c.incident.status) for c in changes]


class TestAlertPolicy:
    def test_threads_only_with_a_bot_token(self) -> None:
        bot = AlertsConfig(slack=SlackConfig(bot_token="xoxb-1", channel="#a"),
                           resolve_after_runs=3, reminder_interval="2h")
        hook = AlertsConfig(slack=SlackConfig(webhook_url="https://hooks/x"))

        assert AlertPolicy.from_config(bot) == AlertPolicy(3, 7200.0, True)
        assert AlertPolicy.from_config(hook).threads is False
        assert AlertPolicy.from_config(AlertsConfig()).threads is False


class TestPlanIncidents:
    def test_a_first_failure_opens_an_incident(self) -> None:
        changes = plan_incidents([finding(since=NOW - 3 * HOUR)], {}, run_id="r1", now=NOW,
                                 policy=WEBHOOK)

        (change,) = changes
        assert change.is_new
        assert change.event == "opened"
        new = change.incident
        assert (new.incident_id, new.status, new.occurrences, new.ok_streak) == (
            None, "open", 1, 0)
        assert new.details["since"] == (NOW - 3 * HOUR).isoformat()
        assert new.announced is False  # until a message about it is queued

    def test_several_checks_open_several_incidents(self) -> None:
        found = [finding("a"), finding("b"), finding("c", failing=False)]

        assert plan(found, {}) == [("a", "opened", "open"), ("b", "opened", "open")]

    def test_the_worst_finding_of_a_check_wins(self) -> None:
        found = [finding(severity="warning", reason="w"), finding(failing=False),
                 finding(severity="critical", reason="c"), finding(severity="info")]

        (change,) = plan_incidents(found, {}, run_id="r1", now=NOW, policy=WEBHOOK)

        assert (change.incident.severity, change.incident.details["finding"]["reason"]) == (
            "critical", "c")

    def test_a_repeat_failure_is_a_thread_update_with_a_bot(self) -> None:
        (change,) = plan_incidents([finding()], {"volume:row_count": incident(occurrences=2)},
                                   run_id="r1", now=NOW, policy=BOT)

        assert (change.event, change.is_new, change.incident.occurrences) == ("update", False, 3)

    def test_with_a_webhook_a_repeat_reminds_at_most_once_per_interval(self) -> None:
        recent = incident(last_notified_at=NOW - 3 * HOUR)
        old = incident(last_notified_at=NOW - 4 * HOUR)

        assert plan([finding()], {"volume:row_count": recent}) == [
            ("volume:row_count", None, "open")]
        assert plan([finding()], {"volume:row_count": old}) == [
            ("volume:row_count", "reminder", "open")]

    def test_a_worse_severity_reminds_at_once(self) -> None:
        current = incident(severity="warning", last_notified_at=NOW - HOUR)

        assert plan([finding(severity="critical")], {"volume:row_count": current}) == [
            ("volume:row_count", "reminder", "open")]

    def test_acknowledged_incidents_stay_quiet_but_count(self) -> None:
        acked = incident(status="acknowledged", last_notified_at=None)

        (change,) = plan_incidents([finding()], {"volume:row_count": acked}, run_id="r1",
                                   now=NOW, policy=BOT)

        assert (change.event, change.incident.occurrences) == (None, 2)

    def test_muted_incidents_and_tables_stay_quiet(self) -> None:
        muted = incident(muted_until=NOW + HOUR, last_notified_at=None)
        expired = incident(muted_until=NOW - HOUR, last_notified_at=None)

        assert plan([finding()], {"volume:row_count": muted}, BOT)[0][1] is None
        assert plan([finding()], {"volume:row_count": expired}, BOT)[0][1] == "update"
        assert plan([finding()], {}, table_muted=True)[0][1] is None
        assert plan([finding(failing=False)], {"volume:row_count": incident(ok_streak=1)},
                    table_muted=True)[0][1:] == (None, "resolved")

    def test_an_incident_first_seen_while_muted_is_announced_after_the_mute(self) -> None:
        unannounced = incident(details={"announced": False, "last_run": "r0"})

        assert plan([finding()], {"volume:row_count": unannounced}, BOT) == [
            ("volume:row_count", "opened", "open")]

    def test_passing_runs_resolve_after_the_configured_count(self) -> None:
        current = incident(occurrences=4)
        policy = replace(WEBHOOK, resolve_after_runs=3)

        first = plan_incidents([finding(failing=False)], {"volume:row_count": current},
                               run_id="r1", now=NOW, policy=policy)[0].incident
        second = plan_incidents([finding(failing=False)], {"volume:row_count": first},
                                run_id="r2", now=NOW + HOUR, policy=policy)[0].incident
        (third,) = plan_incidents([finding(failing=False)], {"volume:row_count": second},
                                  run_id="r3", now=NOW + 2 * HOUR, policy=policy)

        assert (first.status, first.ok_streak, second.status, second.ok_streak) == (
            "open", 1, "open", 2)
        assert (third.event, third.incident.status, third.incident.resolved_at) == (
            "resolved", "resolved", NOW + 2 * HOUR)
        assert (third.incident.resolution, third.incident.resolved_by) == (
            "recovered", "dq-monitor")

    def test_a_passing_schema_finding_resolves_at_once_with_its_reason(self) -> None:
        open_ = {"schema": incident("schema")}
        back = replace(finding("schema", failing=False, reason="the change is undone"),
                       kind="schema")

        (change,) = plan_incidents([back], open_, run_id="r1", now=NOW, policy=WEBHOOK)

        assert (change.event, change.incident.status) == ("resolved", "resolved")
        assert incident_finding(change.incident).resolution == "the change is undone"

    def test_a_failure_resets_the_passing_streak(self) -> None:
        current = incident(ok_streak=1)

        (change,) = plan_incidents([finding()], {"volume:row_count": current}, run_id="r1",
                                   now=NOW, policy=WEBHOOK)

        assert change.incident.ok_streak == 0

    def test_an_incident_never_announced_resolves_quietly(self) -> None:
        quiet = incident(ok_streak=1, details={"announced": False})

        assert plan([finding(failing=False)], {"volume:row_count": quiet}) == [
            ("volume:row_count", None, "resolved")]

    def test_the_same_run_replayed_changes_nothing(self) -> None:
        current = incident(details={"announced": True, "last_run": "r1"})

        assert plan([finding()], {"volume:row_count": current}, run_id="r1") == []

    def test_a_passing_check_without_an_incident_changes_nothing(self) -> None:
        assert plan([finding(failing=False)], {}) == []


class TestNotified:
    def test_the_opening_message_becomes_the_thread(self) -> None:
        new = incident(details={"announced": False}, last_notified_at=None)

        after = notified(new, "opened", "m9", NOW)

        assert (after.announced, after.thread_of, after.last_notified_at) == (True, "m9", NOW)

    def test_a_resolution_does_not_touch_the_reminder_clock(self) -> None:
        after = notified(incident(), "resolved", "m3", NOW)

        assert after.last_notified_at == NOW - HOUR
        assert after.details["resolved_message"] == "m3"


class TestIncidentFinding:
    def test_the_message_shows_the_latest_finding_and_the_start(self) -> None:
        found = {"reason": "412 rows, usually 980", "observed": 412.0, "metric": "row_count"}
        item = incident_finding(incident(occurrences=3, details={"since": "2026-01-05T04:00:00",
                                                                 "finding": found}))

        assert (item.reason, item.observed, item.metric, item.occurrences) == (
            "412 rows, usually 980", 412.0, "row_count", 3)
        assert item.since == dt.datetime(2026, 1, 5, 4, tzinfo=dt.UTC)

    def test_the_stored_finding_comes_back_with_the_incident_facts(self) -> None:
        found = finding(metric="row_count", observed=412.0, expected=980.0, lower=850.0,
                        upper=1100.0, score=6.5)
        stored = incident(occurrences=4, ok_streak=1, details={
            "finding": found.to_dict(), "since": "2026-01-05T04:00:00",
            "resolution": "the change is undone"})

        item = incident_finding(stored)

        assert replace(item, since=None, incident_id=None, occurrences=1, ok_runs=0,
                       resolution=None, failing=True) == found
        assert (item.incident_id, item.occurrences, item.ok_runs, item.resolution) == (
            stored.incident_id, 4, 1, "the change is undone")

    def test_without_a_finding_the_title_is_the_reason(self) -> None:
        item = incident_finding(incident(details={}))

        assert (item.reason, item.since) == ("orders: 412 rows", None)
