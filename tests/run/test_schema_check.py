"""The schema check: a change opens an incident that stays open until undone or accepted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitor.alerts.actions import acknowledge
from monitor.run.context import MonitorContext
from monitor.run.runner import run_table
from monitor.run.schema_check import SchemaIncident, schema_finding
from monitor.store.incidents import list_incidents
from tests.helpers.contexts import make_context
from tests.helpers.slack_server import SlackServer, running_slack_server
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 1, 5)


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with running_slack_server() as server:
        yield server


class TestSchemaFinding:
    def test_with_an_open_incident_compares_with_the_schema_before_the_change(
            self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"}, tables=[])
        first, second = dt.datetime(2026, 2, 1), dt.datetime(2026, 2, 2)
        with ctx.store.transaction() as conn:
            ctx.store.replace_schema(conn, "r1", "t", first, [("id", "INT"), ("phone", "TEXT")])
            ctx.store.replace_schema(conn, "r2", "t", second, [("id", "INT")])
        incident = SchemaIncident(baseline=first)
        later = second + dt.timedelta(days=1)

        still_gone = schema_finding(ctx.store, "t", later, [("id", "INT")],
                                    open_incident=incident)
        back = schema_finding(ctx.store, "t", later, [("id", "INT"), ("phone", "TEXT")],
                              open_incident=incident)
        accepted = schema_finding(ctx.store, "t", later, [("id", "INT")],
                                  open_incident=SchemaIncident(first, acknowledged_by="ana"))
        without_incident = schema_finding(ctx.store, "t", later, [("id", "INT")])

        assert still_gone is not None
        assert (still_gone.failing, still_gone.severity, still_gone.since) == (
            True, "critical", first)
        assert "column 'phone' was removed" in still_gone.reason
        assert back is not None
        assert not back.failing
        assert back.reason.startswith("the change is undone")
        assert accepted is not None
        assert not accepted.failing
        assert "acknowledged by ana" in accepted.reason
        assert without_incident is not None
        assert (without_incident.failing, without_incident.reason) == (False, "schema unchanged")

    def test_removed_column_is_critical_and_added_a_warning(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"}, tables=[])
        first = dt.datetime(2026, 2, 1)
        with ctx.store.transaction() as conn:
            ctx.store.replace_schema(conn, "r1", "t", first, [("id", "INT"), ("phone", "TEXT")])

        removed = schema_finding(ctx.store, "t", first + dt.timedelta(days=1), [("id", "INT")])
        added = schema_finding(ctx.store, "t", first + dt.timedelta(days=1),
                               [("id", "INT"), ("phone", "TEXT"), ("x", "TEXT")])
        same = schema_finding(ctx.store, "t", first + dt.timedelta(days=1),
                              [("id", "int"), ("phone", "text")])
        nothing_before = schema_finding(ctx.store, "t", first, [("id", "INT")])

        assert removed is not None and removed.failing and removed.severity == "critical"  # noqa: PT018
        assert "column 'phone' was removed" in removed.reason
        assert added is not None and added.severity == "warning"  # noqa: PT018
        assert same is not None and not same.failing  # noqa: PT018
        assert nothing_before is None


class TestSchemaIncidentLifecycle:
    """A dropped column stays an open incident until it returns or someone accepts it."""

    def _world(self, wh: WarehouseUnderTest, tmp_path: Path, slack: SlackServer
               ) -> MonitorContext:
        self.types = {"id": sa.Integer(), "phone": sa.String(20)}
        wh.create_table("customers", self.types, [{"id": 1, "phone": "555"}])
        return make_context(tmp_path, warehouses={"wh": wh.url}, tables=[
            {"name": "customers", "warehouse": "wh", "table": "customers",
             "schema": wh.schema}], alerts={"slack": {"webhook_url": slack.webhook_url}})

    def _run(self, ctx: MonitorContext, day: int) -> None:
        result = run_table(ctx, ctx.config.table("customers"),
                           as_of=(DAY0 + dt.timedelta(days=day)).replace(tzinfo=dt.UTC))
        assert result.ok, result.error

    def _incidents(self, ctx: MonitorContext) -> list[tuple[str, str]]:
        with ctx.store.connect() as conn:
            return [(i.check, i.status) for i in list_incidents(conn)]

    def test_stays_open_while_the_column_is_gone_and_resolves_when_it_returns(
            self, wh: WarehouseUnderTest, tmp_path: Path, slack: SlackServer) -> None:
        # Arrange: a baseline run, then the column is dropped
        ctx = self._world(wh, tmp_path, slack)
        self._run(ctx, 0)
        wh.create_table("customers", {"id": sa.Integer()}, [{"id": 1}])
        # Act: four runs without the column, then it is back
        for day in (1, 2, 3, 4):
            self._run(ctx, day)
        while_gone, texts_while_gone = self._incidents(ctx), slack.texts()
        wh.create_table("customers", self.types, [{"id": 1, "phone": "555"}])
        self._run(ctx, 5)
        # Assert
        assert while_gone == [("schema", "open")]
        assert not [t for t in texts_while_gone if t and t.startswith("Resolved")]
        assert self._incidents(ctx) == [("schema", "resolved")]
        resolved = [t for t in slack.texts() if t and t.startswith("Resolved")]
        assert len(resolved) == 1
        assert "column 'phone' was removed" in resolved[0]
        message = slack.messages[-1].blocks
        assert "The change is undone: the schema is back to how it was on 2026-01-05 00:00 UTC" \
            in json.dumps(message)
        assert "Back to normal" not in json.dumps(message)

    def test_acknowledging_the_change_accepts_it(
            self, wh: WarehouseUnderTest, tmp_path: Path, slack: SlackServer) -> None:
        ctx = self._world(wh, tmp_path, slack)
        self._run(ctx, 0)
        wh.create_table("customers", {"id": sa.Integer()}, [{"id": 1}])
        self._run(ctx, 1)
        with ctx.store.connect() as conn:
            (incident,) = list_incidents(conn)
        assert incident.incident_id is not None

        acknowledge(ctx.store, incident.incident_id, by="ana")
        self._run(ctx, 2)

        assert self._incidents(ctx) == [("schema", "resolved")]
        assert "The change was accepted (acknowledged by ana)" in json.dumps(
            slack.messages[-1].blocks)
