"""Runs with findings end to end: incidents, grouped messages, threads, outages, crashes.

Each test runs real runs (``run_table``) on a real store with a step that
reports the findings the detection, suite and schema steps would report, and
a real HTTP server standing in for Slack. Only the clock is controlled.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.alerts import actions as incident_actions
from monitor.alerts.outbox import flush_outbox
from monitor.config.models import load_config
from monitor.errors import ConfigError
from monitor.run.alert import raise_alerts, table_muted
from monitor.run.context import MonitorContext
from monitor.run.findings import Finding
from monitor.run.runner import STEPS, run_table
from monitor.run.state import RunResult, RunState
from monitor.store import SqlMetricStore
from monitor.store.incidents import list_incidents
from monitor.store.outbox import list_outbox
from monitor.timeutil import utcnow
from tests.helpers.contexts import make_config
from tests.helpers.slack_server import TOKEN, SlackServer, channel_id, running_slack_server

OWNER = "<@U012AB3CD>"
REPO = Path(__file__).resolve().parents[2]


class Clock:
    """The one mocked part: time, advanced by hand."""

    def __init__(self) -> None:
        self.now = utcnow().replace(minute=0, second=0, microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


class Reporter:
    """Stands in for the steps that judge a table: reports the findings it is given."""

    __name__ = "report_findings"

    def __init__(self) -> None:
        self.found: list[Finding] = []

    def __call__(self, ctx: MonitorContext, state: RunState) -> None:
        state.found.extend(replace(f, at=state.as_of) for f in self.found
                           if f.table == state.table.name)


def fail(check: str = "volume:row_count", table: str = "orders", **kw: Any) -> Finding:
    values: dict[str, Any] = {"severity": "critical", "reason": f"{check} is off",
                              "metric": check.split(":")[-1], "observed": 412.0,
                              "expected": 980.0, "lower": 850.0, "upper": 1100.0}
    values.update(kw)
    return Finding(table=table, check=check, kind="anomaly", failing=True,
                   at=dt.datetime(2000, 1, 1), **values)


def ok(check: str = "volume:row_count", table: str = "orders") -> Finding:
    return Finding(table=table, check=check, kind="anomaly", severity="critical",
                   failing=False, at=dt.datetime(2000, 1, 1), reason=f"{check} is normal")


TABLES = [{"name": name, "warehouse": "wh", "table": name, "owners": [OWNER, "@data-eng"],
           **({"slack_channel": "#orders"} if name == "orders" else {})}
          for name in ("orders", "events", "customers")]


def slack_section(mode: str, slack: SlackServer | None, timeout: float = 0.3
                  ) -> dict[str, Any] | None:
    if mode == "bot" and slack:
        return {"bot_token": TOKEN, "channel": "#data-alerts", "base_url": slack.base_url,
                "timeout": timeout}
    if mode == "webhook" and slack:
        return {"webhook_url": slack.webhook_url, "timeout": timeout}
    return None


def context(tmp_path: Path, store: SqlMetricStore, clock: Clock, slack: SlackServer | None,
            mode: str = "bot", tables: list[dict[str, Any]] | None = None,
            **alerts: Any) -> MonitorContext:
    section = slack_section(mode, slack)
    if section:
        alerts["slack"] = section
    config = make_config(tmp_path, warehouses={"wh": "sqlite://"}, tables=tables or TABLES,
                         alerts=alerts, dashboard_url="http://localhost:8501")
    return MonitorContext(config, clock=clock, store=store)


def run(ctx: MonitorContext, reporter: Reporter, *tables: str) -> list[RunResult]:
    results = [run_table(ctx, ctx.config.table(t), steps=[reporter, raise_alerts])
               for t in tables or ("orders",)]
    assert all(r.ok for r in results), [r.error for r in results]
    return results


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with running_slack_server() as server:
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


class TestRaiseAlerts:
    def test_is_the_last_step_of_a_run(self) -> None:
        assert STEPS[-1] is raise_alerts

    def test_problems_of_one_table_in_one_run_are_one_message(
            self, tmp_path: Path, store: SqlMetricStore, clock: Clock, slack: SlackServer
            ) -> None:
        ctx = context(tmp_path, store, clock, slack)
        reporter = Reporter()
        reporter.found = [fail("volume:row_count", reason="412 rows, usually about 980"),
                          fail("null_rate:user_id", severity="warning", column="user_id",
                               metric="null_rate",
                               reason="user_id is empty in 31% of rows", observed=0.31,
                               expected=0.02, lower=0.0, upper=0.05),
                          fail("suite:orders:amount_positive", severity="warning",
                               reason="12 rows have a negative amount"),
                          ok("freshness")]

        run(ctx, reporter)

        (posted,) = slack.messages
        assert posted.channel == channel_id("#orders")
        sections = [b["text"]["text"] for b in posted.blocks if b["type"] == "section"]
        assert len(sections) == 4
        assert "*3 problems* on table `orders` · worst severity *critical*" in sections[0]
        assert f"Owners: {OWNER} @data-eng" in sections[0]
        assert "Metric `null_rate` of column `user_id`: observed *31.0%*, expected *2.0%*, " \
               "normal band 0.0% – 5.0% · since" in sections[2]
        assert "12 rows have a negative amount" in sections[3]
        button, *actions = next(b for b in posted.blocks if b["type"] == "actions")["elements"]
        assert button["url"] == "http://localhost:8501/?table=orders"
        words = [a["text"]["text"].split()[0] for a in actions]
        assert words == ["Acknowledge", "Resolve"] * 3  # one pair per incident
        assert posted.text.startswith("[critical] orders: 3 problems")
        assert OWNER in posted.text
        with store.connect() as conn:
            opened = list_incidents(conn, status="open")
        assert sorted(i.check for i in opened) == [
            "null_rate:user_id", "suite:orders:amount_positive", "volume:row_count"]
        assert {i.thread_ts for i in opened} == {posted.ts}

    def test_one_incident_is_one_message_then_thread_replies_then_one_resolution(
            self, tmp_path: Path, store: SqlMetricStore, clock: Clock, slack: SlackServer
            ) -> None:
        ctx = context(tmp_path, store, clock, slack, resolve_after_runs=2)
        reporter = Reporter()

        reporter.found = [fail()]
        for _ in range(3):
            run(ctx, reporter)
            clock.advance(hours=1)
        reporter.found = [ok()]
        for _ in range(3):
            run(ctx, reporter)
            clock.advance(hours=1)

        opened, *replies, resolved = slack.messages
        assert (opened.thread_ts, opened.channel) == (None, channel_id("#orders"))
        assert len(replies) == 2
        assert all(r.thread_ts == opened.ts and r.channel == opened.channel for r in replies)
        assert "Still failing: seen 3 times." in replies[1].blocks[0]["text"]["text"] + \
               replies[1].blocks[1]["text"]["text"]
        assert (resolved.thread_ts, resolved.reply_broadcast) == (opened.ts, True)
        assert resolved.text.startswith("Resolved: orders")
        assert OWNER not in "".join(str(r.body) for r in [*replies, resolved])
        with store.connect() as conn:
            (incident,) = list_incidents(conn)
        assert (incident.status, incident.occurrences, incident.ok_streak) == ("resolved", 3, 2)
        assert [e.status for e in list_outbox(store)] == ["delivered"] * 4

    def test_with_a_webhook_a_repeat_reminds_once_per_interval(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            slack: SlackServer) -> None:
        ctx = context(tmp_path, sqlite_store, clock, slack, mode="webhook",
                      reminder_interval="2h", resolve_after_runs=1)
        reporter = Reporter()
        reporter.found = [fail()]

        for _ in range(5):  # hourly: opened, -, reminder, -, reminder
            run(ctx, reporter)
            clock.advance(hours=1)
        reporter.found = [ok()]
        run(ctx, reporter)

        heads = [m.blocks[0]["text"]["text"] for m in slack.messages]
        assert heads == [":rotating_light: Data quality alert: orders",
                         ":bell: Still failing: orders", ":bell: Still failing: orders",
                         ":white_check_mark: Resolved: orders"]
        assert all(m.kind == "webhook" for m in slack.messages)
        assert OWNER in slack.messages[1].text  # a reminder pings again

    def test_acknowledged_incidents_stay_quiet_until_resolved(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            slack: SlackServer) -> None:
        ctx = context(tmp_path, sqlite_store, clock, slack, resolve_after_runs=1)
        reporter = Reporter()
        reporter.found = [fail()]
        run(ctx, reporter)
        with sqlite_store.connect() as conn:
            (incident,) = list_incidents(conn)
        assert incident.incident_id is not None

        incident_actions.acknowledge(sqlite_store, incident.incident_id, by="ana")
        for _ in range(3):
            clock.advance(hours=1)
            run(ctx, reporter)
        quiet = len(slack.messages)
        reporter.found = [ok()]
        clock.advance(hours=1)
        run(ctx, reporter)

        assert quiet == 1
        assert slack.messages[-1].text.startswith("Resolved: orders")

    def test_a_muted_incident_sends_no_updates(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            slack: SlackServer) -> None:
        ctx = context(tmp_path, sqlite_store, clock, slack)
        reporter = Reporter()
        reporter.found = [fail()]
        run(ctx, reporter)
        with sqlite_store.connect() as conn:
            (incident,) = list_incidents(conn)
        assert incident.incident_id is not None

        incident_actions.mute_incident(sqlite_store, incident.incident_id,
                                       until=clock.now + dt.timedelta(hours=4))
        clock.advance(hours=1)
        run(ctx, reporter)
        muted = len(slack.messages)
        clock.advance(hours=4)
        run(ctx, reporter)

        assert muted == 1
        assert len(slack.messages) == 2
        assert slack.messages[1].thread_ts == slack.messages[0].ts

    def test_a_muted_table_stays_quiet_and_is_announced_after_the_mute(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            slack: SlackServer) -> None:
        ctx = context(tmp_path, sqlite_store, clock, slack)
        reporter = Reporter()
        reporter.found = [fail(), fail(table="events")]
        incident_actions.mute_table(sqlite_store, "orders",
                                    until=clock.now + dt.timedelta(hours=2))

        run(ctx, reporter, "orders", "events")
        during = [m.text for m in slack.messages]
        clock.advance(hours=3)
        run(ctx, reporter, "orders")

        assert len(during) == 1
        assert during[0].startswith("[critical] events")
        assert slack.messages[1].text.startswith("[critical] orders")
        assert slack.messages[1].thread_ts is None

    def test_mute_until_in_the_config_keeps_a_table_quiet(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            slack: SlackServer) -> None:
        until = (clock.now + dt.timedelta(hours=1)).isoformat()
        tables = [{**TABLES[0], "mute_until": until}, TABLES[1]]
        ctx = context(tmp_path, sqlite_store, clock, slack, tables=tables)
        reporter = Reporter()
        reporter.found = [fail()]

        run(ctx, reporter)
        during = len(slack.messages)
        clock.advance(hours=2)
        run(ctx, reporter)

        assert (during, len(slack.messages)) == (0, 1)

    def test_the_rate_limit_holds_back_messages_until_the_next_hour(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            slack: SlackServer, caplog: pytest.LogCaptureFixture) -> None:
        ctx = context(tmp_path, sqlite_store, clock, slack, rate_limit_per_hour=2)
        reporter = Reporter()
        reporter.found = [fail(table=t) for t in ("orders", "events", "customers")]

        run(ctx, reporter, "orders", "events", "customers")
        first_hour = [m.text.split(":")[0] for m in slack.messages]
        clock.advance(minutes=61)
        run(ctx, reporter, "orders", "events", "customers")

        assert first_hour == ["[critical] orders", "[critical] events"]
        assert "rate limit of 2 messages per hour reached" in caplog.text
        later = slack.messages[2:]
        assert [m.text.split(":")[0] for m in later if m.thread_ts is None] == [
            "[critical] customers"]
        assert len([m for m in later if m.thread_ts]) == 2  # updates are not rate limited

    def test_running_the_same_run_again_sends_nothing_new(
            self, tmp_path: Path, store: SqlMetricStore, clock: Clock, slack: SlackServer
            ) -> None:
        ctx = context(tmp_path, store, clock, slack)
        reporter = Reporter()
        reporter.found = [fail()]

        run(ctx, reporter)
        run(ctx, reporter)  # same clock: the same run key

        assert len(slack.messages) == 1
        with store.connect() as conn:
            (incident,) = list_incidents(conn)
        assert incident.occurrences == 1
        assert len(list_outbox(store)) == 1

    def test_without_slack_alerts_go_to_the_log(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            caplog: pytest.LogCaptureFixture) -> None:
        ctx = context(tmp_path, sqlite_store, clock, None, mode="console")
        reporter = Reporter()
        reporter.found = [fail(reason="412 rows, usually about 980")]
        caplog.set_level(logging.WARNING, logger="monitor.alerts")

        run(ctx, reporter)

        (alert,) = [r for r in caplog.records if r.getMessage().startswith("ALERT")]
        assert "critical · 412 rows, usually about 980" in alert.getMessage()
        assert [e.status for e in list_outbox(sqlite_store)] == ["delivered"]

    def test_a_run_without_findings_still_flushes_the_outbox(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock,
            slack: SlackServer) -> None:
        ctx = context(tmp_path, sqlite_store, clock, slack)
        reporter = Reporter()
        reporter.found = [fail()]
        slack.fail("500")
        run(ctx, reporter)
        reporter.found = []
        clock.advance(hours=1)

        run(ctx, reporter, "events")

        assert len(slack.messages) == 1
        assert slack.messages[0].text.startswith("[critical] orders")


class TestTableMuted:
    def test_a_mute_from_the_cli_or_the_config_counts_until_it_ends(
            self, tmp_path: Path, sqlite_store: SqlMetricStore, clock: Clock) -> None:
        soon = (clock.now + dt.timedelta(hours=1)).isoformat()
        ctx = context(tmp_path, sqlite_store, clock, None, mode="console",
                      tables=[{**TABLES[0], "mute_until": soon}, TABLES[1], TABLES[2]])
        incident_actions.mute_table(sqlite_store, "events",
                                    until=clock.now + dt.timedelta(hours=2))
        later = clock.now + dt.timedelta(minutes=90)

        with sqlite_store.connect() as conn:
            now = [table_muted(conn, ctx.config, t, clock.now) for t in
                   ("orders", "events", "customers", "unknown")]
            after = [table_muted(conn, ctx.config, t, later) for t in ("orders", "events")]

        assert now == [True, True, False, False]
        assert after == [False, True]

    def test_an_unquoted_yaml_time_is_accepted(self, tmp_path: Path,
                                               sqlite_store: SqlMetricStore) -> None:
        path = tmp_path / "monitor.yaml"
        path.write_text(textwrap.dedent("""
            warehouses: {wh: "sqlite://"}
            tables:
              - {name: orders, warehouse: wh, table: orders, mute_until: 2026-01-05T06:00:00Z}
        """))
        config = load_config(path)

        with sqlite_store.connect() as conn:
            before = table_muted(conn, config, "orders", dt.datetime(2026, 1, 5, 5, 59))
            after = table_muted(conn, config, "orders", dt.datetime(2026, 1, 5, 6, 0))

        assert config.table("orders").mute_until == dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC)
        assert (before, after) == (True, False)

    def test_a_bad_time_is_a_config_error_naming_the_key(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match=r"tables\[0\]\.mute_until \(table 'orders'\): "
                                              r"expected an ISO 8601 time"):
            make_config(tmp_path, warehouses={"wh": "sqlite://"},
                        tables=[{**TABLES[0], "mute_until": "next tuesday"}])


class TestOutages:
    def test_after_three_outages_of_different_kinds_every_alert_arrives_once(
            self, tmp_path: Path, store: SqlMetricStore, clock: Clock, slack: SlackServer
            ) -> None:
        ctx = context(tmp_path, store, clock, slack, resolve_after_runs=1)
        reporter = Reporter()

        slack.fail("429", retry_after=30)  # outage 1: rate limited
        reporter.found = [fail()]
        run(ctx, reporter, "orders")
        clock.advance(hours=1)
        slack.fail("500", times=2)  # outage 2: server errors
        reporter.found = [fail(), fail(table="events")]
        run(ctx, reporter, "orders", "events")
        clock.advance(hours=1)
        slack.fail("hang")  # outage 3: no answer; the client's timeout fires
        reporter.found = [fail(), fail(table="customers")]
        run(ctx, reporter, "orders", "customers")
        waiting = [e.status for e in list_outbox(store)]
        clock.advance(hours=1)
        report = flush_outbox(ctx)
        reporter.found = [ok(table=t) for t in ("orders", "events", "customers")]
        run(ctx, reporter, "orders", "events", "customers")
        final = flush_outbox(ctx)

        assert slack.pending_failures() == 0
        assert [r.answer for r in slack.requests if r.answer != "ok"] == [
            "429", "500", "500", "hang"]
        # events and customers got through between outages; orders' opening message and
        # the two thread replies waiting for it did not
        assert sorted(waiting) == ["delivered"] * 2 + ["pending"] * 3
        assert len(report.delivered) == 3
        assert final.delivered == []
        contents = [m.text + json.dumps(m.blocks) for m in slack.messages]
        assert len(contents) == len(set(contents)) == 8  # 5 above + 3 resolutions
        opened = {m.text.split(": ")[0]: m for m in slack.messages if m.thread_ts is None}
        assert set(opened) == {"[critical] orders", "[critical] events",
                               "[critical] customers"}
        orders_thread = opened["[critical] orders"].ts
        assert [m.text.split(":")[0] for m in slack.messages
                if m.thread_ts == orders_thread] == ["Still failing", "Still failing",
                                                     "Resolved"]
        assert {e.status for e in list_outbox(store)} == {"delivered"}
        assert sum(e.attempts for e in list_outbox(store)) == 8 + 4


class TestCrash:
    SCRIPT = textwrap.dedent("""
        import datetime as dt, sys, time
        from monitor.run.alert import raise_alerts
        from monitor.config.models import load_config
        from monitor.run.context import MonitorContext
        from monitor.run.findings import Finding
        from monitor.run.runner import run_table

        def report(ctx, state):
            state.found.append(Finding(
                table="orders", check="volume:row_count", kind="anomaly",
                severity="critical", failing=True, at=state.as_of,
                reason="412 rows, usually about 980"))
            if sys.argv[2] == "stop-after-commit":
                def committed():
                    print("committed", flush=True)
                    time.sleep(120)  # killed here, before the outbox is flushed
                state.then(committed)

        ctx = MonitorContext(load_config(sys.argv[1]))
        result = run_table(ctx, ctx.config.table("orders"), steps=[report, raise_alerts],
                           as_of=dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC))
        print(result.status, flush=True)
    """)

    def test_a_process_killed_after_the_commit_delivers_once_on_restart(
            self, tmp_path: Path, store: SqlMetricStore, slack: SlackServer) -> None:
        config = tmp_path / "monitor.yaml"
        config.write_text(yaml.safe_dump({
            "store": store.url, "warehouses": {"wh": "sqlite://"}, "tables": TABLES,
            "alerts": {"slack": {"bot_token": "${SLACK_BOT_TOKEN}", "channel": "#data-alerts",
                                 "base_url": slack.base_url, "timeout": 2}}}))
        script = tmp_path / "run_orders.py"
        script.write_text(self.SCRIPT)
        env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "PYTHONPATH": str(REPO)}

        child = subprocess.Popen([sys.executable, str(script), str(config),
                                  "stop-after-commit"], stdout=subprocess.PIPE, env=env,
                                 text=True)
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        queued = [(e.status, e.event) for e in list_outbox(store)]
        received_before = len(slack.messages)
        restart = subprocess.run([sys.executable, str(script), str(config), "finish"],
                                 capture_output=True, env=env, text=True, timeout=60)
        again = subprocess.run([sys.executable, "-m", "monitor", "--config", str(config),
                                "alerts", "deliver"], capture_output=True, env=env, text=True,
                               timeout=60)

        assert (line, child.returncode) == ("committed", -signal.SIGKILL)
        assert (queued, received_before) == ([("pending", "opened")], 0)
        assert restart.stdout.strip() == "success", restart.stderr
        assert again.returncode == 0, again.stderr
        assert "delivered 0" in again.stdout
        (posted,) = slack.messages
        assert posted.text.startswith("[critical] orders: 412 rows, usually about 980")
        assert [(e.status, e.attempts) for e in list_outbox(store)] == [("delivered", 1)]
        assert TOKEN not in restart.stderr + again.stderr + again.stdout
