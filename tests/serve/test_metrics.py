"""Service metrics: counted from results, read from real stores, scraped over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from monitor.alerts.outbox import OutboxMessage, enqueue
from monitor.config.models import parse_config
from monitor.run.state import RunResult
from monitor.serve.metrics import (
    LineageCollector,
    ServiceMetrics,
    StoreCollector,
    StoreSnapshot,
    read_snapshot,
)
from monitor.serve.service import Service
from monitor.store import RunRecord, SqlMetricStore
from monitor.store.incidents import save
from monitor.store.outbox import record_delivered, record_failed_attempt
from tests.helpers.incidents import incident
from tests.helpers.serve import make_table, wait_for
from tests.helpers.warehouses import WarehouseUnderTest

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def result(table: str, status: str, duration: float, rows: int | None = None) -> RunResult:
    return RunResult(table=table, run_id=f"{table}@x", status=status, as_of=NOW,
                     duration_seconds=duration, row_count=rows)


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def scrape(port: int, path: str = "/metrics") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def parse(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and sorted labels (the client's own parser)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


class TestServiceMetrics:
    def test_counts_runs_durations_and_rows_per_table(self) -> None:
        metrics = ServiceMetrics()
        results = [result("a", "success", 1.5, 100), result("a", "success", 0.5, 100),
                   result("a", "failed", 3.0), result("b", "skipped", 0.0, 7)]

        for r in results:
            metrics.observe_run(r)
        metrics.observe_error("b")

        reg = metrics.registry
        assert sample(reg, "dq_monitor_runs_total", table="a", status="success") == 2
        assert sample(reg, "dq_monitor_runs_total", table="a", status="failed") == 1
        assert sample(reg, "dq_monitor_runs_total", table="b", status="skipped") == 1
        assert sample(reg, "dq_monitor_runs_total", table="b", status="error") == 1
        assert sample(reg, "dq_monitor_run_duration_seconds_count", table="a") == 3
        assert sample(reg, "dq_monitor_run_duration_seconds_sum", table="a") == 5.0
        assert sample(reg, "dq_monitor_run_duration_seconds_bucket", table="a", le="1.0") == 1
        assert sample(reg, "dq_monitor_run_duration_seconds_count", table="b") is None
        assert sample(reg, "dq_monitor_rows_scanned_total", table="a") == 200
        assert sample(reg, "dq_monitor_rows_scanned_total", table="b") == 7

    def test_lag_is_never_negative_and_intervals_follow_the_config(self) -> None:
        metrics = ServiceMetrics()

        metrics.observe_lag(-0.2)  # clocks: a run a hair before its time is on time
        metrics.observe_lag(3.0)
        metrics.set_intervals({"a": 60.0, "b": 900.0})
        metrics.set_intervals({"a": 60.0})

        reg = metrics.registry
        assert sample(reg, "dq_monitor_schedule_lag_seconds_sum") == 3.0
        assert sample(reg, "dq_monitor_schedule_lag_seconds_bucket", le="0.05") == 1
        assert sample(reg, "dq_monitor_schedule_interval_seconds", table="a") == 60.0
        assert sample(reg, "dq_monitor_schedule_interval_seconds", table="b") is None

    def test_each_service_has_a_registry_of_its_own(self) -> None:
        first, second = ServiceMetrics(), ServiceMetrics()

        first.observe_run(result("a", "success", 1.0))

        assert sample(first.registry, "dq_monitor_runs_total", table="a", status="success") == 1
        assert sample(second.registry, "dq_monitor_runs_total", table="a",
                      status="success") is None


def fill_store(store: SqlMetricStore) -> None:
    """3 pending, 1 delivered and 2 dead messages; incidents 2 critical open, 1 warning
    acknowledged, 1 resolved; runs of a (success twice, then failed) and b (failed only)."""
    when = NOW.replace(tzinfo=None)
    with store.transaction() as conn:
        for i in range(6):
            enqueue(conn, OutboxMessage(message_id=f"m{i}", table="a", event="opened",
                                        text="t"), now=NOW)
        record_delivered(conn, "m3", ts="1.2", payload={"text": "t"}, now=when)
        for sev, status, check in (("critical", "open", "c1"), ("critical", "open", "c2"),
                                   ("warning", "acknowledged", "c3"),
                                   ("critical", "resolved", "c4")):
            save(conn, incident(check, incident_id=None, severity=sev, status=status))
    for message_id in ("m4", "m5"):
        record_failed_attempt(store, message_id, attempt=5, error="503", dead=True,
                              next_at=when)
    for i, (table, status) in enumerate((("a", "success"), ("a", "success"), ("a", "failed"),
                                         ("b", "failed"))):
        started = when + dt.timedelta(minutes=i)
        store.record_run(RunRecord(run_id=f"{table}@{i}", table=table, kind="profile",
                                   as_of=started, status=status, started_at=started,
                                   finished_at=started + dt.timedelta(seconds=30)))


class TestReadSnapshot:
    def test_counts_what_the_store_holds(self, store: SqlMetricStore) -> None:
        fill_store(store)

        snapshot = read_snapshot(store)

        when = NOW.replace(tzinfo=None)
        assert snapshot.outbox == {"pending": 3, "delivered": 1, "dead": 2}
        assert (snapshot.outbox_depth, snapshot.dead_letters) == (3, 2)
        assert snapshot.open_incidents == {"critical": 2, "warning": 1}
        assert snapshot.last_success == {"a": when + dt.timedelta(minutes=1, seconds=30)}

    def test_an_empty_store_has_nothing_to_count(self, sqlite_store: SqlMetricStore) -> None:
        snapshot = read_snapshot(sqlite_store)

        assert snapshot == StoreSnapshot()
        assert (snapshot.outbox_depth, snapshot.dead_letters) == (0, 0)


class TestStoreCollector:
    def test_a_store_that_does_not_answer_is_store_up_0_and_the_scrape_goes_on(
            self, tmp_path: Path) -> None:
        # a store whose file cannot be opened (its folder does not exist)
        down = SqlMetricStore(f"sqlite:///{tmp_path / 'missing' / 'm.db'}")
        registry = CollectorRegistry()
        registry.register(StoreCollector(lambda: read_snapshot(down), lambda: ["a"],
                                         lambda: 4))

        up = registry.get_sample_value("dq_monitor_store_up")
        spool = registry.get_sample_value("dq_monitor_spool_depth")
        dead = registry.get_sample_value("dq_monitor_dead_letters")
        down.dispose()
        assert (up, spool, dead) == (0, 4, None)

    def test_last_success_only_for_configured_tables_and_severities_always_listed(
            self) -> None:
        snapshot = StoreSnapshot(outbox={"dead": 1}, open_incidents={"info": 2},
                                 last_success={"a": dt.datetime(2026, 3, 1),
                                               "gone": dt.datetime(2026, 3, 1)})
        registry = CollectorRegistry()
        registry.register(StoreCollector(lambda: snapshot, lambda: ["a", "b"], lambda: 0))

        keys = [("dq_monitor_last_success_timestamp_seconds", {"table": "a"}),
                ("dq_monitor_last_success_timestamp_seconds", {"table": "b"}),
                ("dq_monitor_last_success_timestamp_seconds", {"table": "gone"}),
                ("dq_monitor_open_incidents", {"severity": "critical"}),
                ("dq_monitor_open_incidents", {"severity": "info"}),
                ("dq_monitor_outbox_depth", {}), ("dq_monitor_dead_letters", {})]

        values = [registry.get_sample_value(name, labels) for name, labels in keys]
        assert values == [dt.datetime(2026, 3, 1, tzinfo=dt.UTC).timestamp(), None, None,
                          0, 2, 0, 1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Service]:
    """A service on SQLite with a and b (every 1s and 2s), metrics on a free loopback port."""
    wh = WarehouseUnderTest("sqlite", f"sqlite:///{tmp_path / 'wh.db'}")
    make_table(wh, "a", rows=20)
    make_table(wh, "b", rows=7)
    wh.dispose()
    raw: dict[str, Any] = {
        "store": f"sqlite:///{tmp_path / 'm.db'}", "warehouses": {"wh": wh.url},
        "scheduler": {"metrics_port": 0, "metrics_host": "127.0.0.1"},
        "tables": [{"name": n, "warehouse": "wh", "table": n, "schedule": s}
                   for n, s in (("a", "every 1s"), ("b", "every 2s"))]}
    service = Service(parse_config(raw, base_dir=tmp_path))
    yield service
    service.stop(grace=10)
    service.store.dispose()


class TestLineageCollector:
    def test_sent_and_failed_events_are_counted_and_absent_without_lineage(self) -> None:
        counts: list[tuple[int, int] | None] = [(7, 2)]
        registry = CollectorRegistry()
        registry.register(LineageCollector(lambda: counts[0]))

        sent = registry.get_sample_value("dq_monitor_lineage_events_total", {"result": "sent"})
        failed = registry.get_sample_value("dq_monitor_lineage_events_total",
                                           {"result": "failed"})
        counts[0] = None
        gone = registry.get_sample_value("dq_monitor_lineage_events_total", {"result": "sent"})

        assert (sent, failed, gone) == (7, 2, None)


class TestScrapeDuringAServiceRun:
    def test_the_endpoint_reports_what_the_service_did_and_the_store_holds(
            self, served: Service) -> None:
        # Arrange: a dead letter and an open critical incident in the store
        store = served.store
        with store.transaction() as conn:
            enqueue(conn, OutboxMessage(message_id="d1", table="a", event="opened", text="t"),
                    now=NOW)
            save(conn, incident("c1", incident_id=None, severity="critical"))
        record_failed_attempt(store, "d1", attempt=5, error="503", dead=True,
                              next_at=NOW.replace(tzinfo=None))
        served.start()
        assert served.http is not None
        port = served.http.port
        wait_for(lambda: len(store.runs("a", status="success")) >= 3
                 and len(store.runs("b", status="success")) >= 2, timeout=15,
                 what="scheduled runs")
        first_status, first_text = scrape(port)  # while the service runs
        assert served.scheduler is not None
        served.scheduler.pause()  # hold the counts still to compare them with the store
        wait_for(lambda: not served.active_runs, timeout=10, what="runs to finish")
        # Act
        status, text = scrape(port)
        health = scrape(port, "/healthz")
        ready = scrape(port, "/readyz")
        missing = scrape(port, "/nothing")
        # Assert
        got = parse(text)
        runs = {t: store.runs(t, limit=1000) for t in ("a", "b")}
        last = {t: max(r.finished_at for r in runs[t] if r.status == "success")
                for t in runs}
        assert (first_status, status) == (200, 200)
        assert "dq_monitor_runs_total" in first_text
        for table, rows in (("a", 20), ("b", 7)):
            n = len(runs[table])
            assert {r.status for r in runs[table]} == {"success"}
            assert got[("dq_monitor_runs_total", (("status", "success"), ("table", table)))] \
                == n
            assert got[("dq_monitor_run_duration_seconds_count", (("table", table),))] == n
            assert got[("dq_monitor_rows_scanned_total", (("table", table),))] == n * rows
            assert got[("dq_monitor_last_success_timestamp_seconds", (("table", table),))] \
                == pytest.approx(last[table].replace(tzinfo=dt.UTC).timestamp(), abs=1e-3)
        assert got[("dq_monitor_schedule_interval_seconds", (("table", "a"),))] == 1.0
        assert got[("dq_monitor_schedule_interval_seconds", (("table", "b"),))] == 2.0
        assert got[("dq_monitor_schedule_lag_seconds_count", ())] \
            == len(runs["a"]) + len(runs["b"])
        assert got[("dq_monitor_schedule_lag_seconds_bucket", (("le", "1.0"),))] \
            == len(runs["a"]) + len(runs["b"])  # a quiet scheduler starts within a second
        assert got[("dq_monitor_dead_letters", ())] == 1
        assert got[("dq_monitor_outbox_depth", ())] == 0
        assert got[("dq_monitor_open_incidents", (("severity", "critical"),))] == 1
        assert got[("dq_monitor_spool_depth", ())] == 0
        assert got[("dq_monitor_store_up", ())] == 1
        assert got[("dq_monitor_leader", ())] == 1
        assert got[("dq_monitor_active_runs", ())] == 0
        assert health[0] == 200
        assert json.loads(health[1])["alive"] is True
        assert ready[0] == 200
        assert json.loads(ready[1]) == {"ready": True, "store": "ok", "scheduler": "running",
                                        "leader": True}
        assert missing[0] == 404

    def test_two_services_in_one_process_count_apart(self, served: Service,
                                                     tmp_path: Path) -> None:
        other = Service(served.config.model_copy(update={"tables": []}))

        served.metrics.observe_run(result("a", "success", 1.0))

        assert sample(other.metrics.registry, "dq_monitor_runs_total", table="a",
                      status="success") is None
        other.store.dispose()



class TestDocumentedMetrics:
    def test_every_metric_docs_service_md_names_is_exposed(self, sqlite_store: SqlMetricStore
                                                           ) -> None:
        # Arrange: a service registry that has seen a run, on a store with a success
        fill_store(sqlite_store)
        metrics = ServiceMetrics()
        metrics.attach_store(lambda: read_snapshot(sqlite_store), lambda: ["a"], lambda: 0)
        metrics.observe_run(result("a", "success", 1.0, 5))
        metrics.observe_lag(0.1)
        metrics.set_intervals({"a": 60.0})
        metrics.leader.set(1)
        metrics.attach_lineage(lambda: (1, 0))
        docs = (Path(__file__).resolve().parents[2] / "docs" / "service.md").read_text()
        # Act
        exposed = {name for family in metrics.registry.collect()
                   for name in (family.name, *(s.name for s in family.samples))}
        documented = set(re.findall(r"\bdq_monitor_[a-z_]*[a-z]", docs))
        blocks = re.findall(r"```yaml\n(.*?)```", docs, flags=re.S)
        parsed = [yaml.safe_load(b) for b in blocks]
        # Assert
        assert documented - exposed == set()
        assert len(documented) >= 13
        rules = next(p for p in parsed if isinstance(p, dict) and "groups" in p)
        assert [r["alert"] for r in rules["groups"][0]["rules"]] == [
            "DqMonitorTableNotSucceeding", "DqMonitorDeadLetters"]
        assert any(isinstance(p, dict) and "scrape_configs" in p for p in parsed)

    def test_the_routing_example_of_docs_service_md_is_a_valid_config(self) -> None:
        from monitor.config.models import parse_config

        docs = (Path(__file__).resolve().parents[2] / "docs" / "service.md").read_text()
        block = next(b for b in re.findall(r"```yaml\n(.*?)```", docs, flags=re.S)
                     if "routes:" in b)

        config = parse_config({"warehouses": {}, **yaml.safe_load(block)}, environ={
            "SLACK_BOT_TOKEN": "xoxb-1", "PAGERDUTY_ROUTING_KEY": "R" * 32,
            "TEAMS_WEBHOOK_URL": "https://teams.example/hook"})

        assert [r.notify for r in config.alerts.routes] == [
            ["pagerduty", "slack"], ["slack"], ["webhook"], ["console"]]
