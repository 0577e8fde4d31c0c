"""Table health: the rules on hand-made states, and the overview built from the store."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config.durations import parse_schedule
from monitor.config.models import TableConfig, parse_config
from monitor.dashboard import health

NOW = dt.datetime(2026, 3, 1, 12, 0)
HOURLY = parse_schedule("every 1h")
TABLE = TableConfig(name="orders", warehouse="w", table="orders",
                    thresholds={"freshness_sla": "26h"})


def healthy(**changes: Any) -> dict[str, Any]:
    """The state of a table whose last hourly run succeeded ten minutes ago."""
    state = {"table_name": "orders", "runs": 48, "successes": 48, "last_status": "success",
             "last_started_at": NOW - dt.timedelta(minutes=10),
             "last_success_at": NOW - dt.timedelta(minutes=9),
             "snapshot_at": NOW - dt.timedelta(minutes=10), "freshness_seconds": 600.0,
             "row_count": 1000.0, "open_incidents": 0, "critical_incidents": 0,
             "watched_series": 3, "anomalies": 0, "learning_series": 0,
             "failed_expectations": 0, "failed_critical_expectations": 0,
             "gate_verdict": None, "last_error": None, "last_error_kind": None}
    state.update(changes)
    return state


def judge(state: dict[str, Any] | None, table: TableConfig = TABLE,
          schedule: str = "every 1h") -> health.Health:
    return health.judge(state, table, schedule=parse_schedule(schedule), now=NOW)


class TestJudge:
    def test_healthy(self):
        assert judge(healthy()) == health.Health("ok")
        assert judge(healthy()).reason == "all checks pass"

    def test_never_run_is_stale(self):
        assert judge(None) == health.Health("stale", ("no run recorded yet",))

    @pytest.mark.parametrize(("changes", "reason"), [
        ({"last_status": "failed", "last_error_kind": "QueryTimeout"},
         "last run failed: QueryTimeout"),
        ({"last_status": "lost", "last_error": "worker died\nstack"}, "last run lost: worker died"),
        ({"last_status": "interrupted"}, "last run interrupted"),
        ({"open_incidents": 2, "critical_incidents": 2}, "2 critical incidents open"),
        ({"failed_expectations": 1, "failed_critical_expectations": 1},
         "1 critical expectation failed"),
        ({"gate_verdict": "blocked"}, "last batch blocked by the gate"),
    ])
    def test_failing(self, changes: dict[str, Any], reason: str):
        assert judge(healthy(**changes)) == health.Health("failing", (reason,))

    def test_no_successful_run_for_two_intervals_is_stale(self):
        state = healthy(last_success_at=NOW - dt.timedelta(hours=2, minutes=11))

        assert judge(state).status == "stale"
        assert judge(state).reasons == ("no successful run for 2h 11m (schedule every 1h)",)

    def test_two_intervals_plus_grace_is_not_yet_stale(self):
        assert judge(healthy(last_success_at=NOW - dt.timedelta(hours=2, minutes=9))).status \
            == "ok"

    def test_cron_schedules_are_not_judged_by_gap(self):
        state = healthy(last_success_at=NOW - dt.timedelta(days=3))

        assert judge(state, schedule="0 6 * * 1").status == "ok"

    def test_freshness_over_sla_is_stale(self):
        state = healthy(freshness_seconds=25 * 3600.0, snapshot_at=NOW - dt.timedelta(hours=2))

        assert judge(state).reasons == ("newest data is 1d 3h old (SLA 1d 2h)",)

    def test_no_successful_run_yet(self):
        state = healthy(successes=0, last_success_at=None, last_status="running")

        assert judge(state) == health.Health("stale", ("no successful run yet",))

    @pytest.mark.parametrize(("changes", "reason"), [
        ({"open_incidents": 1}, "1 incident open"),
        ({"anomalies": 2}, "2 anomalies in the latest points"),
        ({"failed_expectations": 3}, "3 expectations failed"),
    ])
    def test_warning(self, changes: dict[str, Any], reason: str):
        assert judge(healthy(**changes)) == health.Health("warning", (reason,))

    def test_learning(self):
        assert judge(healthy(learning_series=2)).reasons == (
            "2 metrics still learning the normal range",)
        assert judge(healthy(runs=1, successes=1, watched_series=0)).reasons == (
            "only one successful run so far",)

    def test_worst_status_wins_and_every_reason_is_kept(self):
        state = healthy(last_status="failed", anomalies=1, learning_series=1,
                        freshness_seconds=30 * 3600.0)

        verdict = judge(state)

        assert verdict.status == "failing"
        assert verdict.reason == ("last run failed; newest data is 1d 6h old (SLA 1d 2h); "
                                  "1 anomaly in the latest points; "
                                  "1 metric still learning the normal range")

    def test_pandas_missing_values_count_as_missing(self):
        state = healthy(gate_verdict=math.nan, last_error_kind=pd.NaT, anomalies=math.nan)

        assert judge(state).status == "ok"


class TestDataAgeSeconds:
    def test_age_at_snapshot_plus_time_since(self):
        state = healthy(freshness_seconds=600.0, snapshot_at=NOW - dt.timedelta(hours=1))

        assert health.data_age_seconds(state, NOW) == 600.0 + 3600.0

    def test_unknown(self):
        assert health.data_age_seconds(None, NOW) is None
        assert health.data_age_seconds(healthy(freshness_seconds=None), NOW) is None


def config(*tables: dict[str, Any]) -> Any:
    return parse_config({"store": "sqlite:///:memory:", "warehouses": {"w": "sqlite://"},
                         "default_schedule": "every 1h", "tables": list(tables)})


class TestOverview:
    def test_most_urgent_first_with_every_configured_table(self):
        cfg = config(
            {"name": "a_ok", "warehouse": "w", "table": "a", "owners": ["@x"], "tags": ["t1"]},
            {"name": "b_fail", "warehouse": "w", "table": "b", "owners": ["@y", "@z"]},
            {"name": "c_never", "warehouse": "w", "table": "c"},
            {"name": "d_warn", "warehouse": "w", "table": "d"},
            {"name": "e_fail", "warehouse": "w", "table": "e"})
        latest = pd.DataFrame([
            healthy(table_name="a_ok"),
            healthy(table_name="b_fail", last_status="failed"),
            healthy(table_name="d_warn", anomalies=1),
            healthy(table_name="e_fail", open_incidents=3, critical_incidents=1,
                    muted_until=NOW + dt.timedelta(hours=1)),
            healthy(table_name="not_configured", last_status="failed"),
        ])
        trends = pd.DataFrame({"table_name": ["a_ok", "a_ok"], "ts": [NOW, NOW],
                               "value": [1.0, 2.0]})

        out = health.overview(cfg, latest, trends, NOW)

        assert out["table"].tolist() == ["e_fail", "b_fail", "c_never", "d_warn", "a_ok"]
        assert out["status"].tolist() == ["failing", "failing", "stale", "warning", "ok"]
        assert out["open_incidents"].tolist() == [3, 0, 0, 0, 0]
        assert out["trend"].tolist() == [[], [], [], [], [1.0, 2.0]]
        assert out.loc[out["table"] == "b_fail", "owners"].item() == "@y, @z"
        assert out.loc[out["table"] == "a_ok", "data_age"].item() == "20m"
        assert out.loc[out["table"] == "e_fail", "muted_until"].item() == \
            NOW + dt.timedelta(hours=1)
        assert pd.isna(out.loc[out["table"] == "c_never", "row_count"].item())

    def test_expired_mutes_are_not_shown(self):
        cfg = config({"name": "a", "warehouse": "w", "table": "a"})
        latest = pd.DataFrame([healthy(table_name="a", muted_until=NOW - dt.timedelta(1))])

        out = health.overview(cfg, latest, pd.DataFrame(columns=["table_name", "ts", "value"]),
                              NOW)

        assert out["muted_until"].isna().all()


def frame_of(rows: list[tuple[str, list[str], list[str]]]) -> pd.DataFrame:
    return pd.DataFrame({"table": [f"t{i}" for i in range(len(rows))],
                         "status": [r[0] for r in rows], "owner_list": [r[1] for r in rows],
                         "tag_list": [r[2] for r in rows]})


people = st.lists(st.sampled_from(["@a", "@b", "@c"]), max_size=2, unique=True)
labels = st.lists(st.sampled_from(["x", "y", "z"]), max_size=2, unique=True)


class TestFilterOverview:
    @given(rows=st.lists(st.tuples(st.sampled_from(health.STATUSES), people, labels),
                         max_size=12),
           owners=people, tags=labels,
           statuses=st.lists(st.sampled_from(health.STATUSES), max_size=3, unique=True))
    def test_matches_any_chosen_value_of_each_filter(self, rows, owners, tags, statuses):
        frame = frame_of(rows)

        kept = health.filter_overview(frame, owners=owners, tags=tags, statuses=statuses)

        expected = [f"t{i}" for i, (status, who, what) in enumerate(rows)
                    if (not owners or set(who) & set(owners))
                    and (not tags or set(what) & set(tags))
                    and (not statuses or status in statuses)]
        assert kept["table"].tolist() == expected


class TestStatusCounts:
    def test_every_status_in_order(self):
        frame = frame_of([("ok", [], []), ("failing", [], []), ("ok", [], [])])

        counts = health.status_counts(frame)

        assert list(counts) == list(health.STATUSES)
        assert counts == {"failing": 1, "stale": 0, "warning": 0, "learning": 0, "ok": 2}


class TestValue:
    @pytest.mark.parametrize("missing", [None, math.nan, pd.NaT])
    def test_missing(self, missing: Any):
        assert health.value({"k": missing}, "k") is None
        assert health.value(None, "k") is None

    def test_present(self):
        assert health.value({"k": 0}, "k") == 0
