"""The spool: runs kept while the metric store is down, replayed exactly once."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.config.models import parse_config
from monitor.errors import StoreError
from monitor.metrics.points import MetricPoint
from monitor.run.context import MonitorContext
from monitor.run.runner import run_table
from monitor.run.spool import Spool, SpoolError, default_spool_dir
from monitor.store import RunRecord, SqlMetricStore, open_store, schema
from tests.helpers.postgres import temporary_database
from tests.helpers.serve import backends_running, database_down, make_slow_view, wait_for
from tests.helpers.warehouses import WarehouseUnderTest

UTC = dt.UTC
AS_OF = dt.datetime(2026, 4, 1, 6, 0)
RUN = "orders@2026-04-01T06:00:00"


def points(value: float, n: int = 4) -> list[MetricPoint]:
    return [MetricPoint("orders", f"c{i}", "mean", "snapshot", AS_OF, value + i)
            for i in range(n)]


def write_run(pts: list[MetricPoint], run_id: str = RUN, status: str = "success") -> Any:
    """What the runner writes for one run: start, points, finish (one transaction)."""
    def write(store: SqlMetricStore) -> int:
        store.start_run(run_id, "orders", kind="profile", as_of=AS_OF, trigger="schedule",
                        scheduled_at=AS_OF)
        with store.transaction() as conn:
            written = store.replace_points(conn, run_id, pts)
            store.finish_run(conn, run_id, status=status, row_count=10, retries=1,
                             duration_seconds=0.5)
        return written
    return write


def stored_points(store: SqlMetricStore) -> list[tuple[Any, ...]]:
    m = schema.metrics
    with store.connect() as conn:
        return sorted(conn.execute(sa.select(m.c.column_name, m.c.value, m.c.run_id)).all())


class TestDefaultSpoolDir:
    def test_beside_the_config_unless_configured(self, tmp_path: Path) -> None:
        raw = {"warehouses": {}}
        default = parse_config(raw, base_dir=tmp_path)
        relative = parse_config({**raw, "scheduler": {"spool_dir": "sp"}}, base_dir=tmp_path)
        absolute = parse_config({**raw, "scheduler": {"spool_dir": "/var/sp"}},
                                base_dir=tmp_path)
        assert default_spool_dir(default) == tmp_path / ".dq-monitor" / "spool"
        assert default_spool_dir(relative) == tmp_path / "sp"
        assert default_spool_dir(absolute) == Path("/var/sp")


class TestSpoolKeep:
    def test_keeps_the_run_in_a_file_with_the_store_schema(self, tmp_path: Path) -> None:
        spool = Spool(tmp_path / "spool")
        written = spool.keep(RUN, write_run(points(1.0)))
        [path] = spool.pending()
        kept = open_store(f"sqlite:///{path}")
        run = kept.run(RUN)
        assert written == 4
        assert run is not None
        assert (run.status, run.retries) == ("success", 1)
        assert len(stored_points(kept)) == 4
        kept.dispose()

    def test_a_failing_write_leaves_nothing_behind(self, tmp_path: Path) -> None:
        spool = Spool(tmp_path / "spool")

        def write(store: SqlMetricStore) -> None:
            raise StoreError("disk full")

        with pytest.raises(SpoolError, match="cannot keep run"):
            spool.keep(RUN, write)
        assert list((tmp_path / "spool").iterdir()) == []

    def test_an_unusable_directory_is_a_spool_error(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("not a directory")
        spool = Spool(tmp_path / "file" / "spool")
        with pytest.raises(SpoolError, match=r"spool .*file/spool"):
            spool.keep(RUN, write_run(points(1.0)))

    def test_rows_numbered_by_the_store_are_refused(self, tmp_path: Path) -> None:
        spool = Spool(tmp_path / "spool")

        def write(store: SqlMetricStore) -> None:
            now = dt.datetime(2026, 4, 1)
            with store.transaction() as conn:
                conn.execute(schema.incidents.insert().values(
                    table_name="orders", check_key="volume", status="open", severity="high",
                    title="t", opened_at=now, updated_at=now, last_seen_at=now))

        with pytest.raises(SpoolError, match="dq_incidents"):
            spool.keep(RUN, write)
        assert spool.pending() == []


class TestReplay:
    def test_replays_each_run_exactly_once(self, tmp_path: Path,
                                           sqlite_store: SqlMetricStore) -> None:
        # Arrange: the store saw the run start, then went down; the spool holds the result
        sqlite_store.start_run(RUN, "orders", kind="profile", as_of=AS_OF, trigger="schedule")
        spool = Spool(tmp_path / "spool")
        spool.keep(RUN, write_run(points(1.0)))
        [path] = spool.pending()
        copy = tmp_path / "copy.db"
        shutil.copy(path, copy)
        # Act: replay; then again as if the process died between commit and delete
        first = spool.replay(sqlite_store)
        shutil.copy(copy, path)
        second = spool.replay(sqlite_store)
        # Assert
        run = sqlite_store.run(RUN)
        assert first.replayed == second.replayed == [RUN]
        assert spool.pending() == []
        assert run is not None
        assert (run.status, run.row_count, run.retries) == ("success", 10, 1)
        assert stored_points(sqlite_store) == [(f"c{i}", 1.0 + i, RUN) for i in range(4)]
        assert [r.run_id for r in sqlite_store.runs()] == [RUN]

    def test_a_newer_stored_version_of_a_row_is_kept(self, tmp_path: Path,
                                                     sqlite_store: SqlMetricStore) -> None:
        # Arrange: the spool holds an old run; a later run already rewrote c0 and c1
        spool = Spool(tmp_path / "spool")
        spool.keep(RUN, write_run(points(1.0)))
        newer = "orders@2026-04-01T06:00:00#late"
        write_run(points(50.0, n=2), run_id=newer)(sqlite_store)
        # Act
        spool.replay(sqlite_store)
        # Assert
        assert stored_points(sqlite_store) == [("c0", 50.0, newer), ("c1", 51.0, newer),
                                               ("c2", 3.0, RUN), ("c3", 4.0, RUN)]

    def test_one_replayer_at_a_time(self, tmp_path: Path,
                                    sqlite_store: SqlMetricStore) -> None:
        spool = Spool(tmp_path / "spool")
        spool.keep(RUN, write_run(points(1.0)))
        other = Spool(tmp_path / "spool")
        with spool._exclusive() as mine:
            report = other.replay(sqlite_store)
        assert mine
        assert not report
        assert len(other.pending()) == 1
        assert sqlite_store.run(RUN) is None

    def test_lost_runs_are_recorded_when_the_store_answers(self, tmp_path: Path,
                                                           sqlite_store: SqlMetricStore) -> None:
        spool = Spool(tmp_path / "spool")
        now = dt.datetime(2026, 4, 1, 6, 1)
        spool.lose(RunRecord(run_id=RUN, table="orders", kind="profile", as_of=AS_OF,
                             status="lost", started_at=now, finished_at=now,
                             error="metric store down and spool failed"))
        report = spool.replay(sqlite_store)
        run = sqlite_store.run(RUN)
        assert report.lost_recorded == 1
        assert spool.lost == []
        assert run is not None
        assert run.status == "lost"


@pytest.mark.postgres
class TestStoreOutage:
    def test_store_down_at_commit_spools_then_replays_exactly_once(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: a 1.5s scan; the store goes down while it runs
        make_slow_view(pg_warehouse, "slow", 1.5)
        with temporary_database("dq_store") as url:
            config = parse_config({
                "store": url, "warehouses": {"wh": pg_warehouse.url},
                "tables": [{"name": "slow", "warehouse": "wh", "table": "slow",
                            "schema": pg_warehouse.schema}]}, base_dir=tmp_path)
            ctx = MonitorContext(config)
            spool = Spool(tmp_path / "spool")
            results: list[Any] = []
            when = dt.datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
            thread = threading.Thread(target=lambda: results.append(run_table(
                ctx, config.table("slow"), scheduled_at=when, trigger="schedule",
                spool=spool, once=True)))
            # Act
            thread.start()
            wait_for(lambda: backends_running(f"{pg_warehouse.schema}.slow"), timeout=10,
                     what="the scan")
            with database_down(url):
                thread.join(30)
                down = spool.replay(ctx.store)
            up = spool.replay(ctx.store)
            again = spool.replay(ctx.store)
            # Assert
            [result] = results
            run = ctx.store.run(result.run_id)
            stored = ctx.store.points("slow")
            ctx.store.dispose()
        assert result.status == "spooled"
        assert down.failed
        assert up.replayed == [result.run_id]
        assert not again
        assert run is not None
        assert (run.status, run.attempts) == ("success", 1)
        assert len(stored) == result.points_written > 0
        assert {p.ts for p in stored} == {when.replace(tzinfo=None)}

    def test_a_failure_while_the_store_is_down_is_kept_as_failed(
            self, pg_warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        with temporary_database("dq_store") as url:
            config = parse_config({
                "store": url, "warehouses": {"wh": pg_warehouse.url},
                "tables": [{"name": "gone", "warehouse": "wh", "table": "missing",
                            "schema": pg_warehouse.schema}]}, base_dir=tmp_path)
            ctx = MonitorContext(config)
            ctx.store.ensure_schema()
            spool = Spool(tmp_path / "spool")
            with database_down(url):
                result = run_table(ctx, config.table("gone"), spool=spool,
                                   scheduled_at=dt.datetime(2026, 4, 1, tzinfo=UTC))
            spool.replay(ctx.store)
            run = ctx.store.run(result.run_id)
            ctx.store.dispose()
        assert result.status == "failed"
        assert "spool" in result.problems[-1]
        assert run is not None
        assert (run.status, run.error_kind) == ("failed", "ObjectNotFound")


class TestFindingsKeptWhileTheStoreIsDown:
    def test_incident_and_alert_are_decided_at_replay_exactly_once(self, tmp_path: Path) -> None:
        from monitor.run.alert import raise_alerts
        from monitor.run.findings import Finding
        from monitor.store.schema import incidents, outbox

        def failing_check(ctx: MonitorContext, state: Any) -> None:
            state.found.append(Finding(table="orders", check="volume:row_count",
                                       kind="anomaly", severity="critical", failing=True,
                                       at=AS_OF, reason="rows 0, usually 900"))

        with temporary_database("dq_store") as url:
            config = parse_config({"store": url, "warehouses": {"wh": "sqlite://"},
                                   "tables": [{"name": "orders", "warehouse": "wh",
                                               "table": "orders"}]}, base_dir=tmp_path)
            ctx = MonitorContext(config)
            ctx.store.ensure_schema()
            spool = Spool.for_config(config)
            with database_down(url):
                result = run_table(ctx, config.table("orders"), spool=spool,
                                   scheduled_at=AS_OF.replace(tzinfo=UTC),
                                   steps=[failing_check, raise_alerts])
            first = spool.replay(ctx.store)
            second = spool.replay(ctx.store)
            with ctx.store.connect() as conn:
                opened = conn.execute(sa.select(incidents.c.check_key,
                                                incidents.c.status)).all()
                queued = conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar()
            ctx.store.dispose()
        assert result.status == "spooled"
        assert first.replayed == [result.run_id]
        assert not second
        assert opened == [("volume:row_count", "open")]
        assert queued == 1
