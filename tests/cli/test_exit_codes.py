"""The exit-code contract: every command, through the entry point, against docs/exit-codes.md.

The table in docs/exit-codes.md says which codes each command can return;
``TestEveryCommand`` walks each (command, code) pair on a real warehouse
(SQLite, and PostgreSQL for the commands that read one), a real metric store,
and a PostgreSQL port nobody listens on for "infrastructure down".
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
import yaml

from monitor.alerts.outbox import OutboxMessage, enqueue
from monitor.cli import cli, main
from monitor.cli.exit_codes import fails, for_error, for_run, for_runs, for_verdict, worst
from monitor.errors import ConfigError, ExitCode, WarehouseUnavailable
from monitor.run.findings import Finding
from monitor.run.state import RunResult
from monitor.store import open_store
from tests.helpers.gate import spec, suite_of
from tests.helpers.slack_server import SlackServer, running_slack_server
from tests.helpers.warehouses import WarehouseUnderTest, postgres_warehouse, sqlite_warehouse

DOC = Path(__file__).resolve().parents[2] / "docs" / "exit-codes.md"
#: A PostgreSQL URL nobody answers: "infrastructure down" for warehouses and the store.
DOWN = "postgresql+psycopg://postgres@127.0.0.1:1/test"
AT = dt.datetime(2026, 3, 4, 11)


def documented() -> dict[str, set[int]]:
    """{command: codes} from the table in docs/exit-codes.md (a cell of '–' is no code)."""
    table: dict[str, set[int]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\| `dq-monitor ([a-z -]+)` \|(.*)\|\s*$", line)
        if match:
            cells = [c.strip() for c in match.group(2).split("|")]
            assert len(cells) == 3, line
            table[match.group(1).strip()] = {code for code, cell in enumerate(cells)
                                              if cell not in ("–", "-", "")}
    return table


def leaf_commands(group: click.Group, prefix: str = "") -> set[str]:
    """Every command a user can call, with its group: ``run``, ``alerts deliver``, ..."""
    found: set[str] = set()
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            found |= leaf_commands(command, f"{prefix}{name} ")
        else:
            found.add(f"{prefix}{name}")
    return found


# -- the world the commands run in --------------------------------------------------------
@dataclass
class World:
    """A warehouse with a healthy and a failing table, suites, files, and two configs."""

    root: Path
    wh: WarehouseUnderTest
    config: Path = field(init=False)
    store_down: Path = field(init=False)
    listening: list[socket.socket] = field(default_factory=list)
    stack: ExitStack = field(default_factory=ExitStack)
    slack: SlackServer = field(init=False)

    def build(self) -> World:
        self.slack = self.stack.enter_context(running_slack_server(hang_seconds=0.5))
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        types = {"order_id": sa.Integer(), "amount": sa.Double(), "created_at": sa.DateTime()}
        self.wh.create_table("orders", types, [
            {"order_id": i, "amount": float(i), "created_at": now - dt.timedelta(hours=3 * i)}
            for i in range(1, 41)])
        self.wh.create_table("landing", types)
        self.wh.create_table("orders_short", types, [
            {"order_id": i, "amount": float(i), "created_at": now - dt.timedelta(hours=3 * i)}
            for i in range(2, 41)])
        folder = self.root / "expectations"
        folder.mkdir(parents=True, exist_ok=True)
        suites = {"orders_ok": [spec("column_values_to_not_be_null", column="order_id")],
                  "orders_strict": [spec("column_values_to_be_between", column="amount",
                                         min_value=0, max_value=10)],
                  "landing_ok": [spec("column_values_to_not_be_null", column="amount")]}
        for name, specs in suites.items():
            suite = suite_of(name, specs)
            (folder / f"{name}.json").write_text(json.dumps(
                {"name": name, "expectations": [s.to_gx() for s in suite.expectations]}))
        schema = {"schema": self.wh.schema} if self.wh.schema else {}
        tables = [
            {"name": "orders", "table": "orders", "suites": ["orders_ok"],
             "timestamp_column": "created_at", "bucket": "day", **schema},
            {"name": "plain", "table": "orders", "suites": ["orders_ok"], **schema},
            {"name": "strict", "table": "orders", "suites": ["orders_strict"], **schema},
            {"name": "nosuite", "table": "orders", "suites": ["missing_suite"], **schema},
            {"name": "ghost", "table": "no_such_table", **schema},
            {"name": "landing", "table": "landing", "suites": ["landing_ok"], **schema},
            {"name": "remote", "warehouse": "down", "table": "orders", "suites": ["orders_ok"]},
        ]
        for table in tables:
            table.setdefault("warehouse", "wh")
        sample = f"sqlite:///{self.root / 'sample' / 'sample.db'}"
        side = {"warehouse": "wh", "table": "orders", **schema}
        reconcile = [
            {"name": "same", "source": side, "target": side, "key": ["order_id"],
             "sums": ["amount"]},
            {"name": "differ", "source": side, "target": {**side, "table": "orders_short"},
             "key": ["order_id"], "sums": ["amount"]},
            {"name": "unreachable", "source": side,
             "target": {"warehouse": "down", "table": "orders"}},
        ]
        base = {"warehouses": {"wh": self.wh.url, "down": DOWN, "sample": sample},
                "tables": tables, "reconcile": reconcile, "alerts": {"slack": {
                    "webhook_url": self.slack.webhook_url, "timeout": 0.5},
                    "max_attempts": 1}}
        self.config = self._write("monitor.yaml", {
            "store": f"sqlite:///{self.root / 'metrics.db'}", **base})
        self.store_down = self._write("down.yaml", {"store": DOWN, **base})
        (self.root / "good.csv").write_text("order_id,amount,created_at\n"
                                            f"1,5.0,{now:%Y-%m-%d %H:%M:%S}\n")
        (self.root / "bad.csv").write_text("order_id,amount,created_at\n"
                                           f"2,,{now:%Y-%m-%d %H:%M:%S}\n")
        (self.root / "series.csv").write_text("timestamp,value\n" + "".join(
            f"{(AT + dt.timedelta(days=d)):%Y-%m-%d},{100 + d % 7}\n" for d in range(30)))
        return self

    def _write(self, name: str, raw: dict[str, Any]) -> Path:
        path = self.root / name
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        return path

    def cli(self, *args: str, config: Path | None = None) -> int:
        return main(["--config", str(config or self.config), *args])

    # setups some cases need, each safe to repeat
    def backfilled(self) -> str:
        """Backfill orders; the time of a stored detection."""
        assert self.cli("backfill", "orders", "--since",
                        f"{dt.date.today() - dt.timedelta(days=10)}") == 0
        store = open_store(f"sqlite:///{self.root / 'metrics.db'}")
        try:
            with store.connect() as conn:
                ts = conn.execute(sa.text("select min(ts) from dq_detections where "
                                          "metric = 'row_count'")).scalar()
        finally:
            store.dispose()
        return str(ts)[:19]

    def undeliverable(self) -> None:
        """An alert in the outbox, and Slack answering its delivery with a 500."""
        self.slack.fail("500")
        store = open_store(f"sqlite:///{self.root / 'metrics.db'}")
        try:
            with store.transaction() as conn:
                enqueue(conn, OutboxMessage(message_id="walk-" + "0" * 35, table="orders",
                                            event="opened", text="[critical] orders: walk"),
                        now=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        finally:
            store.dispose()

    def busy_port(self) -> str:
        """A port something listens on (held until the world is closed)."""
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        self.listening.append(busy)
        return str(busy.getsockname()[1])

    def close(self) -> None:
        for busy in self.listening:
            busy.close()
        self.stack.close()
        self.wh.dispose()

    def sample(self) -> None:
        assert self.cli("sample", "--days", "7") == 0


@dataclass(frozen=True)
class Case:
    """One command run that must end with ``code``."""

    command: str
    code: int
    argv: Callable[[World], list[str]]
    store_down: bool = False
    warehouse: bool = False  # reads the warehouse: walked on SQLite and PostgreSQL

    @property
    def id(self) -> str:
        return f"{self.command.replace(' ', '_')}-{self.code}"


def static(*args: str) -> Callable[[World], list[str]]:
    return lambda world: list(args)


CASES: tuple[Case, ...] = (
    Case("run", 0, static("run", "--table", "orders"), warehouse=True),
    Case("run", 1, static("run", "--table", "strict"), warehouse=True),
    Case("run", 2, static("run", "--table", "nosuite"), warehouse=True),
    Case("run", 2, static("run", "--table", "ghost"), warehouse=True),
    Case("run", 2, static("run", "--table", "remote"), warehouse=True),
    Case("run", 2, static("run", "--table", "orders"), store_down=True, warehouse=True),
    Case("validate", 0, static("validate", "orders"), warehouse=True),
    Case("validate", 1, static("validate", "strict"), warehouse=True),
    Case("validate", 2, static("validate", "nosuite"), warehouse=True),
    Case("validate", 2, static("validate", "remote"), warehouse=True),
    # (not orders: the volume of its newest day, today, depends on the hour)
    Case("gate", 0, static("gate", "--table", "plain"), warehouse=True),
    Case("gate", 1, static("gate", "--table", "strict"), warehouse=True),
    Case("gate", 2, static("gate", "--table", "nosuite"), warehouse=True),
    Case("gate", 2, static("gate", "--table", "remote"), warehouse=True),
    Case("gate", 2, static("gate", "--table", "orders"), store_down=True, warehouse=True),
    Case("gate", 0, static("gate", "--table", "plain", "--reconcile", "same"), warehouse=True),
    Case("gate", 1, static("gate", "--table", "plain", "--reconcile", "differ"),
         warehouse=True),
    Case("gate", 2, static("gate", "--table", "plain", "--reconcile", "nope"), warehouse=True),
    Case("reconcile", 0, static("reconcile", "same"), warehouse=True),
    Case("reconcile", 1, static("reconcile", "differ"), warehouse=True),
    Case("reconcile", 2, static("reconcile", "nope"), warehouse=True),
    Case("reconcile", 2, static("reconcile", "unreachable"), warehouse=True),
    Case("reconcile", 2, static("reconcile", "same"), store_down=True, warehouse=True),
    Case("ingest", 0, lambda w: ["ingest", str(w.root / "good.csv"), "--into", "landing"],
         warehouse=True),
    Case("ingest", 1, lambda w: ["ingest", str(w.root / "bad.csv"), "--into", "landing"],
         warehouse=True),
    Case("ingest", 2, lambda w: ["ingest", str(w.root / "none.csv"), "--into", "landing"],
         warehouse=True),
    Case("ingest", 2, lambda w: ["ingest", str(w.root / "good.csv"), "--into", "remote"],
         warehouse=True),
    Case("profile", 0, static("profile", "orders"), warehouse=True),
    Case("profile", 2, static("profile", "ghost"), warehouse=True),
    Case("profile", 2, static("profile", "remote"), warehouse=True),
    Case("backfill", 0, lambda w: ["backfill", "orders", "--since",
                                   f"{dt.date.today() - dt.timedelta(days=5)}"],
         warehouse=True),
    Case("backfill", 2, static("backfill", "ghost", "--since", "2026-01-01"), warehouse=True),
    Case("backfill", 2, static("backfill", "orders", "--since", "2026-11-01"),
         store_down=True, warehouse=True),
    Case("quarantine", 0, static("quarantine", "orders"), warehouse=True),
    Case("quarantine", 2, static("quarantine", "remote"), warehouse=True),
    Case("history", 0, static("history", "orders")),
    Case("history", 2, static("history", "nope")),
    Case("history", 2, static("history", "orders"), store_down=True),
    Case("backtest", 0, lambda w: ["backtest", "--input", str(w.root / "series.csv"),
                                   "--metric", "volume"]),
    Case("backtest", 2, lambda w: ["backtest", "--input", str(w.root / "none.csv"),
                                   "--metric", "volume"]),
    Case("backtest", 2, static("backtest", "orders"), store_down=True),
    Case("anomalies", 0, static("anomalies")),
    Case("anomalies", 2, static("anomalies", "--since", "yesterday-ish")),
    Case("anomalies", 2, static("anomalies"), store_down=True),
    Case("feedback", 0, lambda w: ["feedback", "orders", "row_count", "--at", w.backfilled(),
                                   "--label", "expected"]),
    Case("feedback", 2, static("feedback", "orders", "row_count", "--at", "2001-01-01",
                               "--label", "expected")),
    Case("feedback", 2, static("feedback", "orders", "row_count", "--at", "2001-01-01",
                               "--label", "expected"), store_down=True),
    Case("suites list", 0, static("suites", "list")),
    Case("suites show", 0, static("suites", "show", "orders_ok")),
    Case("suites show", 2, static("suites", "show", "nope")),
    Case("suites check", 0, static("suites", "check", "orders_strict")),
    Case("suites check", 2, static("suites", "check")),  # nosuite's suite is missing
    Case("suites suggest", 0, lambda w: (w.cli("run", "--table", "plain"),
                                         ["suites", "suggest", "plain"])[1]),
    Case("suites suggest", 2, static("suites", "suggest", "nope")),  # unknown table
    Case("suites suggest", 2, static("suites", "suggest", "ghost")),  # no stored profile
    Case("suites history", 0, static("suites", "history", "orders")),
    Case("suites history", 2, static("suites", "history", "orders"), store_down=True),
    Case("batches", 0, static("batches")),
    Case("batches", 2, static("batches", "nope")),
    Case("batches", 2, static("batches"), store_down=True),
    Case("init", 0, static("init", "--discover", "wh")),
    Case("init", 2, static("init", "--discover", "nope")),
    Case("init", 2, static("init", "--discover", "down")),
    Case("init", 2, static("init", "--from-dbt", "missing/manifest.json", "--warehouse", "wh")),
    Case("sample", 0, static("sample", "--days", "7")),
    Case("sample", 2, static("sample", "--warehouse", "down")),
    Case("sample-batches", 0, lambda w: (w.sample(), ["sample-batches"])[1]),
    Case("sample-batches", 2, static("sample-batches", "--warehouse", "nope")),
    Case("alerts list", 0, static("alerts", "list")),
    Case("alerts list", 2, static("alerts", "list"), store_down=True),
    Case("alerts deliver", 0, static("alerts", "deliver")),
    Case("alerts deliver", 2, lambda w: (w.undeliverable(), ["alerts", "deliver"])[1]),
    Case("alerts deliver", 2, static("alerts", "deliver"), store_down=True),
    Case("alerts retry", 0, static("alerts", "retry", "--all-dead")),
    Case("alerts retry", 2, static("alerts", "retry")),
    Case("alerts retry", 2, static("alerts", "retry", "--all-dead"), store_down=True),
    Case("incidents list", 0, static("incidents", "list")),
    Case("incidents list", 2, static("incidents", "list"), store_down=True),
    Case("incidents ack", 2, static("incidents", "ack", "999")),
    Case("incidents ack", 2, static("incidents", "ack", "1"), store_down=True),
    Case("incidents mute", 2, static("incidents", "mute", "999", "--for", "1h")),
    Case("incidents mute", 2, static("incidents", "mute", "1", "--for", "1h"),
         store_down=True),
    Case("incidents resolve", 2, static("incidents", "resolve", "999", "--reason", "fixed")),
    Case("incidents resolve", 2, static("incidents", "resolve", "1", "--reason", "fixed"),
         store_down=True),
    Case("mute", 0, static("mute", "orders", "--for", "1h")),
    Case("mute", 2, static("mute", "orders", "--for", "soon")),
    Case("mute", 2, static("mute", "orders", "--for", "1h"), store_down=True),
    Case("unmute", 0, static("unmute", "orders")),
    Case("unmute", 2, static("unmute", "nope")),
    Case("unmute", 2, static("unmute", "orders"), store_down=True),
    Case("mutes", 0, static("mutes")),
    Case("mutes", 2, static("mutes"), store_down=True),
    Case("status", 1, static("status")),  # tables that never ran are overdue
    Case("status", 2, static("status", "--window", "soon")),
    Case("status", 2, static("status"), store_down=True),
    Case("serve", 2, static("serve"), store_down=True),
    Case("dashboard", 2, lambda w: ["dashboard", "--port", w.busy_port()]),
    Case("demo", 2, lambda w: ["demo", "--dir", str(w.root / "demo"), "--port", w.busy_port()]),
)

#: (command, code) pairs the table documents that need more than one command run; each
#: names the test that walks it.
WALKED_ELSEWHERE = {
    ("incidents ack", 0): "TestEveryCommand::test_incident_ack_and_mute_exit_0",
    ("incidents mute", 0): "TestEveryCommand::test_incident_ack_and_mute_exit_0",
    ("incidents resolve", 0): "TestEveryCommand::test_incident_ack_and_mute_exit_0",
    ("status", 0): "TestEveryCommand::test_status_exit_0_after_every_table_ran",
    ("serve", 0): "TestEveryCommand::test_serve_exits_0_on_sigterm",
    ("demo", 0): "tests/cli/test_demo.py::TestDemoCommand (8 s: 90 days replayed)",
    ("dashboard", 0): "a server until stopped: tests/dashboards/test_browser.py serves it",
    ("demo", 1): "only when a detector misses an injected incident (a regression)",
}


def _params() -> list[Any]:
    params = []
    for case in CASES:
        kinds = ("sqlite", "postgresql") if case.warehouse else ("sqlite",)
        params.extend(pytest.param(case, kind, id=f"{case.id}-{kind}") for kind in kinds)
    return params


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the whole module (every case is safe to repeat)."""
    root = tmp_path_factory.mktemp("walk-sqlite")
    world = World(root, sqlite_warehouse(root)).build()
    yield world
    world.close()


@pytest.fixture(scope="module")
def postgresql_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The same world with its warehouse in a PostgreSQL schema."""
    root = tmp_path_factory.mktemp("walk-postgresql")
    with postgres_warehouse() as wh:
        world = World(root, wh).build()
        yield world
        world.close()


class TestDocumentedTable:
    def test_every_command_has_a_row(self) -> None:
        assert set(documented()) == leaf_commands(cli)

    def test_every_documented_code_is_walked_and_nothing_else(self) -> None:
        walked = {(c.command, c.code) for c in CASES} | set(WALKED_ELSEWHERE)
        promised = {(command, code) for command, codes in documented().items()
                    for code in codes}
        assert walked == promised

    def test_the_readme_has_the_same_table(self) -> None:
        readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
        rows = [line for line in DOC.read_text(encoding="utf-8").splitlines()
                if line.startswith("| code |") or re.match(r"^\| [0-3] \|", line)]
        assert rows
        assert [row for row in rows if row not in readme] == []


class TestEveryCommand:
    worlds: list[World]

    @pytest.fixture(autouse=True)
    def _close_worlds(self) -> Iterator[None]:
        self.worlds = []
        yield
        for world in self.worlds:
            world.close()

    @pytest.mark.parametrize(("case", "kind"), _params())
    def test_exit_code(self, case: Case, kind: str, request: pytest.FixtureRequest,
                       capsys: pytest.CaptureFixture[str]) -> None:
        world: World = request.getfixturevalue(f"{kind}_world")
        argv = case.argv(world)
        capsys.readouterr()

        code = world.cli(*argv, config=world.store_down if case.store_down else None)

        out, err = capsys.readouterr()
        assert code == case.code, (err, out)
        assert "Traceback" not in err
        if code == ExitCode.BAD_INPUT:
            assert (err or out).strip(), "exit 2 says why"

    def test_incident_ack_and_mute_exit_0(self, tmp_path: Path) -> None:
        with_strict = World(tmp_path, sqlite_warehouse(tmp_path)).build()
        self.worlds.append(with_strict)
        assert with_strict.cli("run", "--table", "strict") == ExitCode.FINDINGS
        store = open_store(f"sqlite:///{tmp_path / 'metrics.db'}")
        with store.connect() as conn:
            (incident,) = conn.execute(sa.text("select incident_id from dq_incidents")).all()
        store.dispose()

        acked = with_strict.cli("incidents", "ack", str(incident[0]), "--by", "ana")
        muted = with_strict.cli("incidents", "mute", str(incident[0]), "--for", "1h")
        resolved = with_strict.cli("incidents", "resolve", str(incident[0]),
                                   "--reason", "fixed", "--by", "ana")

        assert (acked, muted, resolved) == (0, 0, 0)

    def test_status_exit_0_after_every_table_ran(self, tmp_path: Path) -> None:
        wh = sqlite_warehouse(tmp_path)
        self.worlds.append(World(tmp_path, wh).build())
        config = tmp_path / "one.yaml"
        config.write_text(yaml.safe_dump({
            "store": f"sqlite:///{tmp_path / 'metrics.db'}", "warehouses": {"wh": wh.url},
            "tables": [{"name": "orders", "warehouse": "wh", "table": "orders"}]}))
        assert main(["--config", str(config), "run"]) == 0

        assert main(["--config", str(config), "status"]) == 0

    def test_serve_exits_0_on_sigterm(self, tmp_path: Path) -> None:
        wh = sqlite_warehouse(tmp_path)
        self.worlds.append(World(tmp_path, wh).build())
        config = tmp_path / "serve.yaml"
        config.write_text(yaml.safe_dump({
            "store": f"sqlite:///{tmp_path / 'metrics.db'}", "warehouses": {"wh": wh.url},
            "scheduler": {"shutdown_grace": "5s"},
            "tables": [{"name": "orders", "warehouse": "wh", "table": "orders",
                        "schedule": "every 1s"}]}))
        timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGTERM))
        timer.start()
        try:
            code = main(["--config", str(config), "serve"])
        finally:
            timer.cancel()

        assert code == 0

    def test_a_bug_is_exit_3_without_a_traceback(self, capsys: pytest.CaptureFixture[str]
                                                 ) -> None:
        @click.command("walk-bug")
        def broken() -> None:
            {}["missing"]  # a real KeyError, as a bug raises it

        cli.add_command(broken)
        try:
            code = main(["walk-bug"])
        finally:
            cli.commands.pop("walk-bug")

        err = capsys.readouterr().err
        assert code == ExitCode.BUG
        assert "internal error (KeyError)" in err
        assert "Traceback" not in err


# -- the mapping functions, on plain values ---------------------------------------------------
def _result(status: str = "success", *found: Finding) -> RunResult:
    return RunResult("orders", "r1", status, AT, 1.0, found=found)


def _finding(severity: str, failing: bool = True) -> Finding:
    return Finding(table="orders", check="volume:row_count", kind="anomaly",
                   severity=severity, failing=failing, at=AT, reason="412 rows")  # type: ignore[arg-type]


class TestWorst:
    def test_the_highest_code_wins_and_none_is_ok(self) -> None:
        assert worst([0, 1, 2, 1]) is ExitCode.BAD_INPUT
        assert worst([]) is ExitCode.OK


class TestForError:
    def test_monitor_errors_carry_their_code_and_others_are_bugs(self) -> None:
        assert for_error(ConfigError("x")) is ExitCode.BAD_INPUT
        assert for_error(WarehouseUnavailable("x")) is ExitCode.BAD_INPUT
        assert for_error(KeyError("x")) is ExitCode.BUG
        assert for_error(KeyboardInterrupt()) is ExitCode.INTERRUPTED


class TestFails:
    @pytest.mark.parametrize(("severity", "fail_on", "expected"), [
        ("critical", "critical", True), ("warning", "critical", False),
        ("warning", "warning", True), ("info", "warning", False),
        ("critical", "never", False)])
    def test_by_severity(self, severity: str, fail_on: Any, expected: bool) -> None:
        assert fails(_finding(severity), fail_on) is expected

    def test_a_passing_finding_never_fails(self) -> None:
        assert not fails(_finding("critical", failing=False))


class TestForRun:
    def test_could_not_run_is_2_and_a_critical_finding_is_1(self) -> None:
        assert for_run(_result("failed")) is ExitCode.BAD_INPUT
        assert for_run(_result("lost")) is ExitCode.BAD_INPUT
        assert for_run(_result("success", _finding("critical"))) is ExitCode.FINDINGS
        assert for_run(_result("success", _finding("warning"))) is ExitCode.OK
        assert for_run(_result("skipped")) is ExitCode.OK

    def test_a_partial_run_is_2_even_with_a_critical_finding(self) -> None:
        assert for_run(_result("partial")) is ExitCode.BAD_INPUT
        assert for_run(_result("partial", _finding("critical"))) is ExitCode.BAD_INPUT


class TestForRuns:
    def test_the_worst_table_wins(self) -> None:
        results = [_result("success"), _result("success", _finding("critical")),
                   _result("failed")]

        assert for_runs(results) is ExitCode.BAD_INPUT
        assert for_runs(results[:2]) is ExitCode.FINDINGS
        assert for_runs(results[:2], "never") is ExitCode.OK


class TestForVerdict:
    def test_passed_is_0_and_failed_is_1(self) -> None:
        assert (for_verdict(True), for_verdict(False)) == (ExitCode.OK, ExitCode.FINDINGS)
