"""Runs and ingest batches send OpenLineage events to a real loopback receiver.

Every event received is checked against the OpenLineage JSON schemas; the metrics
in the events against pandas on the same rows; a receiver that fails or is gone
never fails a run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from monitor.config.models import LineageConfig, parse_config
from monitor.ingest.batch import ingest_file
from monitor.lineage.datasets import Dataset
from monitor.lineage.emitter import LineageEmitter, transport_config
from monitor.lineage.events import run_event
from monitor.run.context import MonitorContext
from monitor.run.runner import run_table
from tests.helpers.gate import ORDER_TYPES, config_for, daily_orders, spec, suite_of, table_frame
from tests.helpers.lineage import LineageReceiver, lineage_receiver, spec_errors
from tests.helpers.warehouses import WarehouseUnderTest

NOW = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
END = dt.date(2026, 3, 9)
SUITE = suite_of("orders", [
    spec("column_values_to_not_be_null", column="customer_id"),
    spec("column_values_to_be_between", column="amount", min_value=0, max_value=150),
])
TABLE = {"name": "orders", "table": "orders", "timestamp_column": "created_at",
         "suites": ["orders"]}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "lineage.md"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def context(wh: WarehouseUnderTest, tmp: Path, lineage: dict) -> MonitorContext:
    wh.create_table("orders", ORDER_TYPES, daily_orders(END, 5, per_day=20,
                                                        null_share_last=0.25))
    config = config_for(wh, tmp, [dict(TABLE)], suites={"orders": SUITE}, lineage=lineage)
    return MonitorContext(config, clock=lambda: NOW)


def one_event(build_state: str = "START") -> object:
    return run_event(build_state, run_id="0190d1a8-7a33-7c1e-8000-000000000001",
                     namespace="dq-monitor", job="orders.profile", kind="profile", at=NOW,
                     nominal=None, inputs=[Dataset("file", "/x.csv")])


class TestTransportConfig:
    def test_http_retries_and_timeout_are_passed_on(self) -> None:
        config = transport_config(LineageConfig(url="http://r:5000", retries=2, timeout=3))

        assert (config["type"], config["url"], config["timeout"]) == ("http", "http://r:5000",
                                                                     3.0)
        assert config["retry"]["total"] == 2
        assert "auth" not in config


class TestLineageEmitter:
    def test_http_events_carry_the_api_key_as_a_bearer_token(self) -> None:
        with lineage_receiver() as receiver:
            emitter = LineageEmitter(LineageConfig(url=receiver.url, api_key="Kq7ZpL9w"))

            sent = emitter.emit(one_event, what="test")

        assert sent
        assert (emitter.sent, emitter.failures) == (1, 0)
        assert receiver.headers[0]["Authorization"] == "Bearer Kq7ZpL9w"
        assert spec_errors(receiver.events[0]) == []

    def test_the_file_transport_appends_one_event_a_line(self, tmp_path: Path) -> None:
        path = tmp_path / "events.jsonl"
        emitter = LineageEmitter(LineageConfig(transport="file", path=str(path)))

        emitter.emit(one_event, what="a")
        emitter.emit(lambda: one_event("COMPLETE"), what="b")

        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert [e["eventType"] for e in lines] == ["START", "COMPLETE"]
        assert all(spec_errors(e) == [] for e in lines)

    def test_the_console_transport_logs_the_event(self, caplog) -> None:
        emitter = LineageEmitter(LineageConfig(transport="console"))

        with caplog.at_level(logging.INFO, logger="openlineage.client.transport.console"):
            emitter.emit(one_event, what="a")

        (record,) = [r for r in caplog.records if r.name.endswith("transport.console")]
        assert json.loads(record.getMessage())["job"]["name"] == "orders.profile"

    @pytest.mark.parametrize("down", ["500", "refused"])
    def test_a_failing_receiver_is_counted_and_logged_not_raised(self, down, caplog) -> None:
        with lineage_receiver() as receiver:
            url = receiver.url if down == "500" else f"http://127.0.0.1:{free_port()}"
            receiver.fail(10)
            emitter = LineageEmitter(LineageConfig(url=url, retries=0, timeout=2))

            with caplog.at_level(logging.WARNING, logger="monitor.lineage.emitter"):
                sent = emitter.emit(one_event, what="START of orders.profile")

        assert not sent
        assert (emitter.sent, emitter.failures) == (0, 1)
        assert "START of orders.profile not sent" in caplog.text

    def test_an_event_that_cannot_be_built_is_counted(self) -> None:
        emitter = LineageEmitter(LineageConfig(transport="console"))

        def broken() -> object:
            raise ValueError("bad facet")

        assert emitter.emit(broken, what="x") is False
        assert emitter.failures == 1


class TestLineageRun:
    def test_start_then_one_final_event_with_the_same_run_id(self) -> None:
        with lineage_receiver() as receiver:
            run = LineageEmitter(LineageConfig(url=receiver.url)).run("orders", "profile")

            run.start()
            run.finish("failed", "warehouse refused")
            again = run.finish("success")

        assert again is False
        assert [e["eventType"] for e in receiver.events] == ["START", "FAIL"]
        assert len({e["run"]["runId"] for e in receiver.events}) == 1
        assert receiver.events[1]["run"]["facets"]["errorMessage"]["message"] == \
            "warehouse refused"


def _received(receiver: LineageReceiver, job: str) -> tuple[dict, dict]:
    start, final = receiver.of_job(job)
    for body in (start, final):
        assert spec_errors(body) == []
    assert start["run"]["runId"] == final["run"]["runId"]
    return start, final


class TestRunsSendLineage:
    def test_a_run_sends_start_and_complete_with_metrics_matching_pandas(
            self, wh: WarehouseUnderTest, tmp_path: Path) -> None:
        with lineage_receiver() as receiver:
            ctx = context(wh, tmp_path, {"url": receiver.url})

            result = run_table(ctx, ctx.config.table("orders"))

            start, final = _received(receiver, "orders.profile")
        rows = table_frame(wh.engine, "orders", wh.schema)
        assert result.status == "success"
        assert (start["eventType"], final["eventType"]) == ("START", "COMPLETE")
        (dataset,) = final["inputs"]
        assert dataset["name"].endswith("orders")
        metrics = dataset["inputFacets"]["dataQualityMetrics"]
        assert metrics["rowCount"] == len(rows)
        customer = metrics["columnMetrics"]["customer_id"]
        assert customer["nullCount"] == rows["customer_id"].isna().sum()
        assert customer["distinctCount"] == rows["customer_id"].nunique()
        amount = metrics["columnMetrics"]["amount"]
        assert (amount["min"], amount["max"]) == pytest.approx(
            (rows["amount"].min(), rows["amount"].max()))
        assertions = {(a["assertion"], a.get("column")): a["success"]
                      for a in dataset["inputFacets"]["dataQualityAssertions"]["assertions"]}
        assert assertions[("expect_column_values_to_not_be_null", "customer_id")] is False
        assert assertions[("expect_column_values_to_be_between", "amount")] is \
            bool(rows["amount"].max() <= 150)
        assert {f["name"] for f in dataset["facets"]["schema"]["fields"]} == set(rows.columns)

    def test_a_receiver_that_is_down_never_fails_or_loses_the_run(
            self, wh: WarehouseUnderTest, tmp_path: Path) -> None:
        ctx = context(wh, tmp_path, {"url": f"http://127.0.0.1:{free_port()}",
                                     "retries": 0, "timeout": 1})

        result = run_table(ctx, ctx.config.table("orders"))

        assert result.status == "success"
        assert ctx.store.run(result.run_id).status == "success"
        assert (ctx.lineage.sent, ctx.lineage.failures) == (0, 2)

    def test_a_failed_run_sends_fail_with_its_error(self, wh: WarehouseUnderTest,
                                                    tmp_path: Path) -> None:
        with lineage_receiver() as receiver:
            ctx = context(wh, tmp_path, {"url": receiver.url})
            gone = ctx.config.table("orders").model_copy(update={"table": "no_such_table"})

            result = run_table(ctx, gone)

            _, final = _received(receiver, "orders.profile")
        assert result.status == "failed"
        assert final["eventType"] == "FAIL"
        assert "no_such_table" in final["run"]["facets"]["errorMessage"]["message"]

    def test_without_lineage_config_nothing_is_built(self, wh: WarehouseUnderTest,
                                                     tmp_path: Path) -> None:
        ctx = context(wh, tmp_path, {"url": "http://127.0.0.1:9"})
        plain = MonitorContext(ctx.config.model_copy(update={"lineage": None}))

        assert plain.lineage is None
        assert plain.lineage_run(ctx.config.tables[0], "x") is None


class TestGateAndValidateSendLineage:
    def test_a_gate_sends_its_checks_and_a_validation_its_expectations(
            self, wh: WarehouseUnderTest, tmp_path: Path) -> None:
        from monitor.gate.verdict import check
        from monitor.run.validate import validate_now

        with lineage_receiver() as receiver:
            ctx = context(wh, tmp_path, {"url": receiver.url})

            verdict = check("orders", context=ctx)
            report, _ = validate_now(ctx, ctx.config.table("orders"))

            _, gate_final = _received(receiver, "orders.gate")
            _, validate_final = _received(receiver, "orders.validate")
        gate_assertions = gate_final["inputs"][0]["inputFacets"]["dataQualityAssertions"][
            "assertions"]
        judged = [c for c in verdict.checks if c.judged]
        assert [a["success"] for a in gate_assertions] == [c.passed for c in judged]
        assert verdict.verdict == "blocked"
        assert ({"assertion": gate_assertions[0]["assertion"],
                 "column": gate_assertions[0].get("column")} ==
                {"assertion": "values_to_not_be_null", "column": "customer_id"})
        expected = {(o.expectation.type, o.expectation.column): o.success
                    for o in report.outcomes}
        got = {(a["assertion"], a.get("column")): a["success"] for a in validate_final[
            "inputs"][0]["inputFacets"]["dataQualityAssertions"]["assertions"]}
        assert got == expected
        assert got[("expect_column_values_to_not_be_null", "customer_id")] is False


class TestIngestSendsLineage:
    def test_a_batch_reads_the_file_and_writes_the_table(self, wh: WarehouseUnderTest,
                                                         tmp_path: Path) -> None:
        # Arrange: 30 new orders, two with a null customer (the suite fails on them)
        rng = np.random.default_rng(2)
        frame = pd.DataFrame({"order_id": np.arange(5000, 5030),
                              "customer_id": rng.integers(1, 99, 30).astype(object),
                              "amount": np.round(rng.uniform(1, 120, 30), 2),
                              "status": "paid",
                              "created_at": (NOW - dt.timedelta(hours=1)).strftime(
                                  "%Y-%m-%d %H:%M:%S")})
        frame.loc[[4, 9], "customer_id"] = None
        path = tmp_path / "orders.csv"
        frame.to_csv(path, index=False)
        with lineage_receiver() as receiver:
            ctx = context(wh, tmp_path, {"url": receiver.url})

            # Act
            result = ingest_file(path, "orders", context=ctx, mode="publish_good")

            start, final = _received(receiver, "orders.ingest")
        # Assert
        read = pd.read_csv(path)
        assert (start["eventType"], final["eventType"]) == ("START", "COMPLETE")
        (source,), (target,) = final["inputs"], final["outputs"]
        assert (source["namespace"], source["name"]) == ("file", str(path.resolve()))
        assert target["name"].endswith("orders")
        assert target["namespace"] != "file"
        assert target["outputFacets"]["outputStatistics"]["rowCount"] == \
            result.rows_published == 28
        metrics = source["inputFacets"]["dataQualityMetrics"]
        assert metrics["rowCount"] == len(read)
        assert metrics["columnMetrics"]["customer_id"]["nullCount"] == 2
        assert metrics["columnMetrics"]["amount"]["max"] == pytest.approx(read["amount"].max())
        results = {a["assertion"]: a["success"] for a in
                   source["inputFacets"]["dataQualityAssertions"]["assertions"]}
        assert any(not ok for ok in results.values())


class TestDocsExamples:
    @pytest.mark.parametrize("index", [0, 1, 2])
    def test_each_lineage_block_of_the_docs_loads_and_sends(self, index: int,
                                                             tmp_path: Path,
                                                             monkeypatch) -> None:
        # Arrange: the YAML blocks of docs/lineage.md, with their ${VAR}s set
        blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), re.S)
        with lineage_receiver() as receiver:
            text = blocks[index].replace("http://marquez:5000", receiver.url)
            monkeypatch.chdir(tmp_path)
            config = parse_config({"warehouses": {}, **yaml.safe_load(text)},
                                  environ={"LINEAGE_API_KEY": "Kq7ZpL9w"})
            emitter = LineageEmitter(config.lineage)

            # Act
            sent = emitter.emit(one_event, what="docs")

        # Assert
        assert sent
        if config.lineage.transport == "http":
            assert receiver.events
            assert spec_errors(receiver.events[0]) == []
        if config.lineage.transport == "file":
            assert Path(config.lineage.path).read_text().count("\n") == 1


class TestMissingExtra:
    def test_lineage_without_openlineage_installed_names_the_extra(self, monkeypatch) -> None:
        from monitor import optional
        from monitor.optional import MissingExtra

        monkeypatch.setattr(optional, "installed", lambda module: module != "openlineage")

        with pytest.raises(MissingExtra, match=r"pip install 'dq-monitor\[lineage\]'"):
            LineageEmitter(LineageConfig(transport="console"))
