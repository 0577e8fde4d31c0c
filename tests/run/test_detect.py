"""The detection step: series from the history, verdicts stored, findings for incidents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from monitor.config.models import TableConfig
from monitor.detection import Detection, State
from monitor.detection.feedback import label_point
from monitor.detection.severity import SeveritySettings
from monitor.detection.watch import watches_for
from monitor.metrics.points import MetricPoint
from monitor.run.detect import (
    detect_anomalies,
    judge,
    series_from_points,
    severity_of,
)
from monitor.run.runner import run_table
from monitor.run.state import RunState
from monitor.store.detections import list_detections, replace_detections
from tests.helpers.contexts import make_context
from tests.helpers.warehouses import WarehouseUnderTest

DAY0 = dt.datetime(2026, 1, 5)  # a Monday


def daily_rows(days: int, *, per_day: int = 40, drop_day: int | None = None,
               null_day: int | None = None) -> list[dict]:
    rng = np.random.default_rng(3)
    rows, rid = [], 0
    for d in range(days):
        day = DAY0 + dt.timedelta(days=d)
        n = per_day // 2 if day.weekday() >= 5 else per_day
        if d == drop_day:
            n = 0
        for i in range(n):
            rid += 1
            email = None if (d == null_day and i % 2 == 0) else f"u{rid}@x.org"
            rows.append({"id": rid, "email": email, "amount": float(rng.normal(50, 5)),
                         "created": day + dt.timedelta(minutes=20 * i)})
    return rows


def setup(wh: WarehouseUnderTest, tmp_path: Path, rows: list[dict]):
    wh.create_table("orders", {"id": sa.Integer(), "email": sa.String(40),
                               "amount": sa.Double(), "created": sa.DateTime()}, rows)
    return make_context(tmp_path, warehouses={"wh": wh.url}, tables=[
        {"name": "orders", "warehouse": "wh", "table": "orders", "schema": wh.schema,
         "timestamp_column": "created", "bucket": "day"}])


class TestDetectAnomalies:
    def test_a_drop_to_zero_and_a_null_spike_are_found_and_stored(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        rows = daily_rows(42, drop_day=39, null_day=35)
        ctx = setup(warehouse, tmp_path, rows)

        result = run_table(ctx, ctx.config.table("orders"),
                           as_of=(DAY0 + dt.timedelta(days=42)).replace(tzinfo=dt.UTC))

        found = {(r.metric, r.column, r.ts.date()) for r in list_detections(ctx.store, "orders")}
        assert result.ok
        assert ("row_count", "", (DAY0 + dt.timedelta(days=39)).date()) in found
        assert ("null_rate", "email", (DAY0 + dt.timedelta(days=35)).date()) in found
        # Weekends have half the rows: never an alarm.
        assert not any(m == "row_count" and ts.weekday() >= 5 and ts != (
            DAY0 + dt.timedelta(days=39)).date() for m, _, ts in found)
        stored = list_detections(ctx.store, "orders", anomalies_only=False)
        assert len([r for r in stored if r.metric == "row_count"]) == 42
        volume = next(f for f in result.found if f.check == "volume:row_count")
        assert volume.failing is False  # the newest day is normal again

    def test_feedback_expected_point_is_not_an_anomaly_on_the_next_run(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        rows = daily_rows(40, drop_day=38)
        ctx = setup(warehouse, tmp_path, rows)
        table = ctx.config.table("orders")
        as_of = (DAY0 + dt.timedelta(days=40)).replace(tzinfo=dt.UTC)
        run_table(ctx, table, as_of=as_of)
        label_point(ctx.store, "orders", "row_count", at=DAY0 + dt.timedelta(days=38),
                    label="expected")

        run_table(ctx, table, as_of=as_of)

        rows_now = list_detections(ctx.store, "orders", metric="row_count")
        assert [(r.ts.day, r.state, r.status) for r in rows_now] == [
            ((DAY0 + dt.timedelta(days=38)).day, "expected", "expected")]

    def test_failing_finding_when_the_newest_bucket_is_bad(
            self, warehouse: WarehouseUnderTest, tmp_path: Path) -> None:
        ctx = setup(warehouse, tmp_path, daily_rows(36, null_day=35))
        table = ctx.config.table("orders")

        result = run_table(ctx, table, as_of=(DAY0 + dt.timedelta(days=36)).replace(
            tzinfo=dt.UTC))

        email = next(f for f in result.found if f.check == "null_rate:email")
        assert email.failing
        assert email.observed == pytest.approx(0.5)
        assert email.since == DAY0 + dt.timedelta(days=35)

    def test_severity_follows_the_policy_a_doubled_load_and_a_null_spike_are_critical(
            self, wh: WarehouseUnderTest, tmp_path: Path) -> None:
        # Arrange: 5 weeks of ~40 rows a weekday with no null emails, then a day with
        # twice the rows of which 45% have no email (a 45-point spike)
        rows = daily_rows(35)
        last = DAY0 + dt.timedelta(days=35)  # a Monday, like DAY0
        rows += [{"id": 10_000 + i, "email": None if i % 20 < 9 else f"n{i}@x.org",
                  "amount": 50.0, "created": last + dt.timedelta(minutes=10 * i)}
                 for i in range(80)]
        ctx = setup(wh, tmp_path, rows)
        lenient = make_context(tmp_path / "lenient", warehouses={"wh": wh.url}, tables=[
            {"name": "orders", "warehouse": "wh", "table": "orders", "schema": wh.schema,
             "timestamp_column": "created", "bucket": "day",
             "severity": {"null_rate_points": 50, "checks": {"volume:row_count": "info"}}}])
        as_of = (last + dt.timedelta(days=1)).replace(tzinfo=dt.UTC)

        # Act
        strict = run_table(ctx, ctx.config.table("orders"), as_of=as_of)
        relaxed = run_table(lenient, lenient.config.table("orders"), as_of=as_of)

        # Assert: the hand-computed sizes (ratio 80/40 = 2.0; 45 points) against the
        # defaults (critical at a ratio >= 2 and at >= 10 points)
        found = {f.check: f for f in strict.found if f.failing}
        assert found["volume:row_count"].observed == 80
        assert found["null_rate:email"].observed == pytest.approx(0.45)
        assert (found["volume:row_count"].severity, found["null_rate:email"].severity) == (
            "critical", "critical")
        stored = {(r.metric, r.column): r.severity
                  for r in list_detections(ctx.store, "orders") if r.ts == last}
        assert stored[("row_count", "")] == stored[("null_rate", "email")] == "critical"
        eased = {f.check: f.severity for f in relaxed.found if f.failing}
        assert (eased["volume:row_count"], eased["null_rate:email"]) == ("info", "warning")

    def test_without_a_shape_nothing_is_judged(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "w", "table": "t"}])
        state = RunState(table=ctx.config.table("t"), run_id="r",
                         as_of=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

        detect_anomalies(ctx, state)

        assert state.writers == [] and state.found == []  # noqa: PT018


class TestJudge:
    def test_only_new_points_are_stored_unless_judging_all(self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "w", "table": "t",
                                    "timestamp_column": "ts", "bucket": "day"}])
        table = ctx.config.table("t")
        old = [MetricPoint("t", "", "row_count", "day", DAY0 + dt.timedelta(days=d), 100.0)
               for d in range(20)]
        with ctx.store.transaction() as conn:
            ctx.store.replace_points(conn, "r", old)
        watches = [w for w in watches_for(table, []) if w.metric == "row_count"]
        new = [MetricPoint("t", "", "row_count", "day", DAY0 + dt.timedelta(days=20), 3.0)]
        as_of = (DAY0 + dt.timedelta(days=21)).replace(tzinfo=dt.UTC)

        unjudged = judge(ctx.store, "t", watches, as_of=as_of, pending=new)
        everything = judge(ctx.store, "t", watches, as_of=as_of, judge_all=True)
        with ctx.store.transaction() as conn:
            replace_detections(conn, "r", everything.rows)
        incremental = judge(ctx.store, "t", watches, as_of=as_of, pending=new)

        assert len(unjudged.rows) == 21  # stored points without a verdict are judged too
        assert len(everything.rows) == 20
        assert [(r.ts.day, r.is_anomaly) for r in incremental.rows] == [(25, True)]
        assert incremental.rows[0].severity == "critical"


class TestSeverityOf:
    def test_a_freshness_stall_inside_the_sla_is_a_warning_beyond_it_critical(self) -> None:
        table = TableConfig(name="t", warehouse="w", table="t", timestamp_column="ts",
                            thresholds={"freshness_sla": "30h"})
        (watch,) = [w for w in watches_for(table, ["ts"]) if w.check == "freshness"]

        def stall(hours: float) -> Detection:
            return Detection(DAY0, hours * 3600.0, 20 * 3600.0, 0.0, 24 * 3600.0, 5.0, True,
                             "up", State.ANOMALY, "data age is high", "timeliness.stall")

        assert severity_of(watch, stall(27)) == "warning"
        assert severity_of(watch, stall(31)) == "critical"

    def test_the_table_layer_overrides_the_config_layer(self) -> None:
        table = TableConfig(name="t", warehouse="w", table="t")
        (watch,) = [w for w in watches_for(table, []) if w.check == "volume:row_count"]
        doubled = Detection(DAY0, 2000.0, 1000.0, 900.0, 1100.0, 9.0, True, "up",
                            State.ANOMALY, "rows 2,000", "seasonal")

        assert severity_of(watch, doubled) == "critical"
        assert severity_of(watch, doubled, SeveritySettings(volume_rise=3.0)) == "warning"
        assert severity_of(watch, doubled, SeveritySettings(volume_rise=3.0),
                           SeveritySettings(volume_rise=1.5)) == "critical"


class TestSeriesFromPoints:
    def test_labels_become_masks(self) -> None:
        points = [(DAY0, 1.0), (DAY0 + dt.timedelta(days=1), None)]

        series = series_from_points(points, {DAY0: "incident"})

        assert list(series.excluded) == [True, False]
        assert np.isnan(series.values[1])


class TestRowCountRule:
    def test_minimum_rows_on_the_newest_bucket(self) -> None:
        from monitor.config.models import TableConfig
        from monitor.run.detect import row_count_rule

        table = TableConfig(name="t", warehouse="w", table="t", timestamp_column="ts",
                            bucket="day", thresholds={"min_row_count": 100})
        pts = [MetricPoint("t", "", "row_count", "day", DAY0, 500.0),
               MetricPoint("t", "", "row_count", "day", DAY0 + dt.timedelta(days=1), 40.0),
               MetricPoint("t", "", "row_count", "snapshot", DAY0, 9000.0)]

        finding = row_count_rule(table, pts)
        healthy = row_count_rule(table, pts[:1])
        unset = row_count_rule(TableConfig(name="t", warehouse="w", table="t"), pts)

        assert finding is not None
        assert (finding.failing, finding.severity, finding.observed) == (True, "critical", 40.0)
        assert "below the minimum of 100" in finding.reason
        assert healthy is not None
        assert not healthy.failing
        assert unset is None


class TestNullRateRows:
    def test_row_counts_of_the_table_give_a_null_rate_its_binomial_noise(
            self, tmp_path: Path) -> None:
        ctx = make_context(tmp_path, warehouses={"w": "sqlite://"},
                           tables=[{"name": "t", "warehouse": "w", "table": "t",
                                    "timestamp_column": "ts", "bucket": "day"}])
        table = ctx.config.table("t")
        rng = np.random.default_rng(5)
        days = [DAY0 + dt.timedelta(days=d) for d in range(40)]
        # A column 85% null on 50 rows a day; history smoother than its binomial noise.
        rates = [0.85 + float(rng.normal(0, 0.005)) for _ in days[:-1]] + [0.96]
        points = [MetricPoint("t", "", "row_count", "day", day, 50.0) for day in days]
        points += [MetricPoint("t", "note", "null_rate", "day", day, rate)
                   for day, rate in zip(days, rates, strict=True)]
        with ctx.store.transaction() as conn:
            ctx.store.replace_points(conn, "r", points)
        watches = watches_for(table, ["note"])
        as_of = (days[-1] + dt.timedelta(days=1)).replace(tzinfo=dt.UTC)

        judged = judge(ctx.store, "t", watches, as_of=as_of, judge_all=True)

        last = next(r for r in judged.rows if r.metric == "null_rate" and r.ts == days[-1])
        sd = np.sqrt(0.85 * 0.15 / 50)  # 5 points: 96% is 2.2 binomial sigmas above 85%
        assert not last.is_anomaly
        assert last.upper >= min(1.0, 0.85 + 4 * sd * 0.95)
