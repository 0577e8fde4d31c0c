"""``dq-monitor alerts|incidents|mute|unmute|mutes`` through the real entry point."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.alerts.outbox import OutboxMessage, enqueue
from monitor.cli import main
from monitor.store import SqlMetricStore, open_store
from monitor.store.detections import DetectionRow, replace_detections
from monitor.store.feedback import list_labels
from monitor.store.incidents import Incident, list_incidents, save
from monitor.store.outbox import assign_notifiers, list_outbox
from monitor.timeutil import to_naive_utc, utcnow
from tests.helpers.contexts import write_config
from tests.helpers.slack_server import TOKEN, SlackServer, running_slack_server


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with running_slack_server() as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, slack: SlackServer) -> Path:
    return write_config(
        tmp_path, warehouses={"wh": "sqlite://"},
        tables=[{"name": "orders", "warehouse": "wh", "table": "orders"}],
        alerts={"slack": {"bot_token": TOKEN, "channel": "#data-alerts",
                          "base_url": slack.base_url, "timeout": 0.3}, "max_attempts": 1})


@pytest.fixture
def store(config: Path) -> Iterator[SqlMetricStore]:
    s = open_store(f"sqlite:///{config.parent / 'metrics.db'}")
    yield s
    s.dispose()


def cli(config: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), *args])
    out, err = capsys.readouterr()
    return code, out, err


def queue(store: SqlMetricStore, *names: str) -> None:
    now = to_naive_utc(utcnow()).replace(microsecond=0)
    with store.transaction() as conn:
        for name in names:
            enqueue(conn, OutboxMessage(message_id=name, table="orders", event="opened",
                                        text=f"[critical] orders: {name}", channel="#orders"),
                    now=now)


def incident(store: SqlMetricStore, check: str = "volume:row_count", **details: Any) -> int:
    now = to_naive_utc(utcnow()).replace(microsecond=0)
    with store.transaction() as conn:
        saved = save(conn, Incident(None, "orders", check, "open", "critical",
                                    "orders: 412 rows, usually about 980", now, now, now,
                                    details=details))
    assert saved.incident_id is not None
    return saved.incident_id


class TestAlertsList:
    def test_lists_alerts_as_a_table_and_as_json(self, config: Path, store: SqlMetricStore,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
        queue(store, "a" * 40)

        code, out, _ = cli(config, capsys, "alerts", "list")
        jcode, jout, _ = cli(config, capsys, "alerts", "list", "--format", "json")

        assert code == jcode == 0
        assert "aaaaaaaaaaaa" in out
        assert "pending" in out
        assert "[critical] orders:" in out  # brackets are text, not rich markup
        (entry,) = json.loads(jout)
        assert (entry["message_id"], entry["status"], entry["event"], entry["attempts"]) == (
            "a" * 40, "pending", "opened", 0)
        assert entry["created_at"].endswith("+00:00")

    def test_shows_which_notifier_each_alert_went_to(self, config: Path,
                                                     store: SqlMetricStore,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
        # Arrange: one message routed to Slack with a copy for the console, one not routed
        queue(store, "r" * 40, "u" * 40)
        (routed,) = [e for e in list_outbox(store) if e.message_id == "r" * 40]
        assign_notifiers(store, routed, {"slack": None, "console": None})

        # Act
        code, out, _ = cli(config, capsys, "alerts", "list")
        _, jout, _ = cli(config, capsys, "alerts", "list", "--format", "json")

        # Assert
        assert code == 0
        by_id = {e["message_id"]: e["notifier"] for e in json.loads(jout)}
        assert by_id == {"r" * 40: "slack", "r" * 40 + "@console": "console", "u" * 40: None}
        rows = {line.split("│")[1].strip(): line for line in out.splitlines()
                if line.count("│") > 3}
        assert "slack" in rows["r" * 12]
        assert "console" in rows["r" * 12 + "@console"]
        assert "│ -" in rows["u" * 12].replace("  ", " ")

    def test_filters_by_status(self, config: Path, store: SqlMetricStore,
                               capsys: pytest.CaptureFixture[str]) -> None:
        queue(store, "m1")

        code, out, _ = cli(config, capsys, "alerts", "list", "--status", "dead")
        bad, _, err = cli(config, capsys, "alerts", "list", "--status", "lost")

        assert (code, out.strip()) == (0, "no alerts with status dead")
        assert bad == 2
        assert "'lost' is not one of 'pending', 'delivered', 'dead'" in err


class TestAlertsDeliver:
    def test_delivers_what_is_due(self, config: Path, store: SqlMetricStore, slack: SlackServer,
                                  capsys: pytest.CaptureFixture[str]) -> None:
        queue(store, "m1", "m2")

        code, out, _ = cli(config, capsys, "alerts", "deliver")

        assert code == 0
        assert "delivered 2, retrying later 0, dead 0" in out
        assert slack.texts() == ["[critical] orders: m1", "[critical] orders: m2"]

    def test_exit_2_when_slack_is_down(self, config: Path, store: SqlMetricStore,
                                       slack: SlackServer,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        queue(store, "m1")
        slack.fail("500")

        code, out, _ = cli(config, capsys, "alerts", "deliver", "--format", "json")

        assert code == 2
        report = json.loads(out)
        assert report["dead"] == ["m1"]  # max_attempts is 1 in this config
        assert "HTTP 500" in report["stopped"]


class TestAlertsRetry:
    def test_resends_dead_alerts(self, config: Path, store: SqlMetricStore, slack: SlackServer,
                                 capsys: pytest.CaptureFixture[str]) -> None:
        queue(store, "m1", "m2")
        slack.fail("500", times=2)
        cli(config, capsys, "alerts", "deliver")
        cli(config, capsys, "alerts", "deliver")

        by_prefix, out, _ = cli(config, capsys, "alerts", "retry", "m1")
        all_dead, out2, _ = cli(config, capsys, "alerts", "retry", "--all-dead")
        nothing, out3, _ = cli(config, capsys, "alerts", "retry", "--all-dead")

        assert (by_prefix, all_dead, nothing) == (0, 0, 0)
        assert "delivered 1" in out
        assert "delivered 1" in out2
        assert out3.strip() == "no dead alerts to resend"
        assert sorted(slack.texts()) == ["[critical] orders: m1",  # type: ignore[type-var]
                                         "[critical] orders: m2"]
        assert {e.status for e in list_outbox(store)} == {"delivered"}

    def test_bad_requests_exit_2_with_a_reason(self, config: Path, store: SqlMetricStore,
                                              capsys: pytest.CaptureFixture[str]) -> None:
        queue(store, "abc1", "abc2")

        neither, _, err1 = cli(config, capsys, "alerts", "retry")
        unknown, _, err2 = cli(config, capsys, "alerts", "retry", "zzz")
        ambiguous, _, err3 = cli(config, capsys, "alerts", "retry", "abc")

        assert (neither, unknown, ambiguous) == (2, 2, 2)
        assert "give an alert ID or --all-dead" in err1
        assert "no alert with id 'zzz'" in err2
        assert "'abc' matches 2 alerts" in err3


    def test_a_prefix_names_the_message_and_prefix_at_notifier_its_copy(
            self, config: Path, store: SqlMetricStore, slack: SlackServer,
            capsys: pytest.CaptureFixture[str]) -> None:
        full = "f" * 40
        queue(store, full, f"{full}@email")
        slack.fail("500", times=2)
        cli(config, capsys, "alerts", "deliver")
        cli(config, capsys, "alerts", "deliver")  # one dead letter per pass

        message, out, _ = cli(config, capsys, "alerts", "retry", "f" * 12)
        copy, out2, _ = cli(config, capsys, "alerts", "retry", "f" * 12 + "@email")

        assert (message, copy) == (0, 0)
        assert "delivered 1" in out
        assert "delivered 1" in out2
        assert {e.status for e in list_outbox(store)} == {"delivered"}


class TestIncidents:
    def test_list_ack_and_mute(self, config: Path, store: SqlMetricStore,
                               capsys: pytest.CaptureFixture[str]) -> None:
        first = incident(store)
        second = incident(store, "null_rate:user_id")

        listed, out, _ = cli(config, capsys, "incidents", "list")
        acked, ack_out, _ = cli(config, capsys, "incidents", "ack", str(first), "--by", "ana")
        before = to_naive_utc(utcnow()).replace(microsecond=0)
        muted, _, _ = cli(config, capsys, "incidents", "mute", str(second), "--for", "4h")
        after = to_naive_utc(utcnow())
        as_json, jout, _ = cli(config, capsys, "incidents", "list", "--format", "json")

        assert (listed, acked, muted, as_json) == (0, 0, 0, 0)
        assert "rows" in out
        assert "volume:row_count" not in out  # the check in words, not its key
        assert "orders: 412 rows, usually about 980" in out
        assert f"incident {first} acknowledged" in ack_out
        rows: dict[int, dict[str, Any]] = {r["incident_id"]: r for r in json.loads(jout)}
        assert (rows[first]["status"], rows[first]["acknowledged_by"]) == ("acknowledged", "ana")
        until = dt.datetime.fromisoformat(rows[second]["muted_until"]).replace(tzinfo=None)
        assert before + dt.timedelta(hours=4) <= until <= after + dt.timedelta(hours=4)

    def test_unknown_incidents_and_bad_durations_exit_2(self, config: Path,
                                                       store: SqlMetricStore,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
        code, _, err = cli(config, capsys, "incidents", "ack", "99")
        code2, _, err2 = cli(config, capsys, "incidents", "mute", "1", "--for", "soon")

        assert (code, code2) == (2, 2)
        assert "no incident with id 99; list them with `dq-monitor incidents list`" in err
        assert "expected a duration such as '30s', '15m' or '2h', got 'soon'" in err2

    def test_resolved_incidents_are_listed_on_request(self, config: Path,
                                                      store: SqlMetricStore,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
        incident(store)

        code, out, _ = cli(config, capsys, "incidents", "list", "--status", "resolved")

        assert (code, out.strip()) == (0, "no resolved incidents")
        with store.connect() as conn:
            assert len(list_incidents(conn)) == 1


class TestIncidentsResolve:
    def test_resolve_with_reason_by_and_note(self, config: Path, store: SqlMetricStore,
                                             capsys: pytest.CaptureFixture[str]) -> None:
        first = incident(store)

        code, out, _ = cli(config, capsys, "incidents", "resolve", f"#{first}", "--reason",
                           "false-positive", "--by", "ana", "--note", "holiday sale")
        listed, lout, _ = cli(config, capsys, "incidents", "list", "--status", "resolved")
        _, jout, _ = cli(config, capsys, "incidents", "list", "--status", "all",
                         "--format", "json")

        (row,) = json.loads(jout)
        assert (code, listed) == (0, 0)
        assert f"incident #{first} (orders: rows) resolved as false positive" in out
        assert "resolved by ana: false positive" in lout
        assert (row["ref"], row["status"], row["resolved_by"], row["resolution"],
                row["resolution_note"]) == (f"#{first}", "resolved", "ana", "false-positive",
                                            "holiday sale")
        assert row["resolved_at"].endswith("+00:00")

    def test_resolving_an_anomaly_labels_its_points(self, config: Path, store: SqlMetricStore,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
        spike = dt.datetime(2026, 1, 5)
        with store.transaction() as conn:
            replace_detections(conn, "r1", [DetectionRow(
                "orders", "null_rate", "email", "day", spike + dt.timedelta(days=d), 0.4, 0.0,
                0.0, 0.01, 9.0, d < 2, "anomaly" if d < 2 else "ok", "up", "seasonal",
                "warning", "null rate 40%") for d in range(3)])
        first = incident(store, "null_rate:email", since=spike.isoformat(), finding={
            "kind": "anomaly", "metric": "null_rate", "column": "email",
            "at": (spike + dt.timedelta(days=2)).isoformat()})

        code, out, _ = cli(config, capsys, "incidents", "resolve", str(first), "--reason",
                           "fixed", "--format", "json")

        result = json.loads(out)
        assert code == 0
        assert result["resolution"] == "fixed"
        assert result["check_name"] == "null rate of email"
        assert result["labelled"] == {"label": "incident", "points": [
            "2026-01-05T00:00:00+00:00", "2026-01-06T00:00:00+00:00"]}
        assert [(x.ts.day, x.label) for x in list_labels(store, "orders")] == [
            (5, "incident"), (6, "incident")]

    def test_the_sentence_says_what_the_detectors_learn(
            self, config: Path, store: SqlMetricStore,
            capsys: pytest.CaptureFixture[str]) -> None:
        spike = dt.datetime(2026, 1, 5)
        with store.transaction() as conn:
            replace_detections(conn, "r1", [DetectionRow(
                "orders", "row_count", "", "day", spike, 9.0, 100.0, 80.0, 120.0, -9.0, True,
                "anomaly", "down", "seasonal", "critical", "rows 9")])
        first = incident(store, since=spike.isoformat(), finding={
            "kind": "anomaly", "metric": "row_count", "column": None,
            "at": spike.isoformat()})

        code, out, _ = cli(config, capsys, "incidents", "resolve", str(first), "--reason",
                           "expected")

        assert code == 0
        assert (f"incident #{first} (orders: rows) resolved as expected; 1 point marked "
                f"expected: they rejoin the detectors' training") in " ".join(out.split())

    def test_unknown_id_bad_id_and_bad_reason_exit_2(self, config: Path, store: SqlMetricStore,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
        first = incident(store)

        unknown, _, err = cli(config, capsys, "incidents", "resolve", "99", "--reason", "fixed")
        bad_id, _, err2 = cli(config, capsys, "incidents", "resolve", "suite:orders:e4339a",
                              "--reason", "fixed")
        bad_reason, _, err3 = cli(config, capsys, "incidents", "resolve", str(first),
                                  "--reason", "maybe")
        missing, _, err4 = cli(config, capsys, "incidents", "resolve", str(first))
        cli(config, capsys, "incidents", "resolve", str(first), "--reason", "fixed")
        again, _, err5 = cli(config, capsys, "incidents", "resolve", str(first), "--reason",
                             "fixed")

        assert (unknown, bad_id, bad_reason, missing, again) == (2, 2, 2, 2, 2)
        assert "no incident with id 99; list them with `dq-monitor incidents list`" in err
        assert "an incident id is a number such as 12 or #12" in err2
        assert ("unknown resolution 'maybe'; choose one of fixed, expected, false-positive, "
                "no-action-needed") in " ".join(err3.split())
        assert "--reason" in err4
        assert f"incident {first} is already resolved" in err5
        with store.connect() as conn:
            assert [i.resolution for i in list_incidents(conn)] == ["fixed"]

    def test_list_names_an_expectation_by_what_it_checks(
            self, config: Path, store: SqlMetricStore,
            capsys: pytest.CaptureFixture[str]) -> None:
        incident(store, "suite:orders:e4339a0c5d1f9b2a", finding={
            "kind": "expectation", "metric": "expect_column_values_to_not_be_null",
            "column": "email"})

        code, out, _ = cli(config, capsys, "incidents", "list")
        _, jout, _ = cli(config, capsys, "incidents", "list", "--format", "json")

        assert code == 0
        assert "e4339a0c5d1f" not in out
        assert "expectation:" in out
        assert "(email)" in out
        assert json.loads(jout)[0]["check_name"] == (
            "expectation: column values to not be null (email)")


class TestMute:
    def test_mute_list_and_unmute_a_table(self, config: Path, store: SqlMetricStore,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        muted, out, _ = cli(config, capsys, "mute", "orders", "--for", "2h", "--reason",
                            "backfill")
        listed, jout, _ = cli(config, capsys, "mutes", "--format", "json")
        table, tout, _ = cli(config, capsys, "mutes")
        lifted, out2, _ = cli(config, capsys, "unmute", "orders")
        again, out3, _ = cli(config, capsys, "unmute", "orders")
        empty, jout2, _ = cli(config, capsys, "mutes", "--format", "json")

        assert (muted, listed, table, lifted, again, empty) == (0,) * 6
        assert out.startswith("orders muted for 2h")
        (mute,) = json.loads(jout)
        assert (mute["table"], mute["reason"]) == ("orders", "backfill")
        assert "backfill" in tout
        assert (out2.strip(), out3.strip()) == ("orders unmuted", "orders was not muted")
        assert json.loads(jout2) == []

    def test_an_unknown_table_exits_2_naming_it(self, config: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = cli(config, capsys, "mute", "ordrs", "--for", "2h")

        assert code == 2
        assert "no table named 'ordrs' (configured: orders)" in err
