"""Which series are watched on a table, and with which settings."""

from __future__ import annotations

import pytest

from monitor.config.models import TableConfig, parse_config
from monitor.detection import MetricKind, defaults_for
from monitor.detection.watch import settings_of, watches_for
from monitor.errors import ConfigError


def table(**kw: object) -> TableConfig:
    base = {"name": "orders", "warehouse": "w", "table": "orders"}
    return TableConfig(**{**base, **kw})  # type: ignore[arg-type]


class TestWatchesFor:
    def test_bucketed_table_with_load_times(self) -> None:
        t = table(timestamp_column="ts", loaded_at_column="loaded", bucket="day",
                  distribution_columns=["amount", "gone"], thresholds={"freshness_sla": "26h"})

        watched = {(w.metric, w.column, w.granularity): w for w in
                   watches_for(t, ["id", "amount", "ts", "loaded"])}

        assert watched[("row_count", "", "day")].kind is MetricKind.VOLUME
        assert watched[("null_rate", "amount", "day")].kind is MetricKind.NULL_RATE
        assert watched[("freshness_seconds", "", "snapshot")].sla_seconds == 26 * 3600
        assert watched[("arrival_delay_seconds", "", "day")].kind is MetricKind.ARRIVAL_DELAY
        assert {k for k in watched if k[1] == "amount" and k[0] != "null_rate"} == {
            ("mean", "amount", "day"), ("stddev", "amount", "day"),
            ("distinct_count", "amount", "day")}
        assert not any(k[1] == "gone" for k in watched)

    def test_plain_table_is_judged_per_run(self) -> None:
        watched = watches_for(table(), ["a"])

        assert [(w.metric, w.granularity) for w in watched] == [("row_count", "snapshot"),
                                                                 ("null_rate", "snapshot")]
        assert [w.check for w in watched] == ["volume:row_count", "null_rate:a"]

    def test_history_needed_is_three_training_windows(self) -> None:
        daily = watches_for(table(timestamp_column="ts", bucket="day"), [])[0]

        assert daily.history_points() == 3 * 56


class TestSettingsOf:
    def test_kind_then_column_overrides_on_defaults(self) -> None:
        t = table(detection={"null_rate": {"min_change": 0.05},
                             "null_rate.email": {"direction": "both"},
                             "volume": {"sensitivity": "high"}},
                  columns={"phone": {"max_null_rate": 0.3}}, thresholds={"max_null_rate": 0.1})

        email = settings_of(t, MetricKind.NULL_RATE, "email")
        phone = settings_of(t, MetricKind.NULL_RATE, "phone")
        other = settings_of(t, MetricKind.NULL_RATE, "other")

        assert (email.min_change, email.direction, email.max_null_rate) == (0.05, "both", 0.1)
        assert (phone.direction, phone.max_null_rate) == ("up", 0.3)
        assert other.min_scale == defaults_for("null_rate").min_scale
        assert settings_of(t, MetricKind.VOLUME).sensitivity == 3.0

    def test_bad_detection_config_names_the_key(self) -> None:
        raw = {"warehouses": {"w": "sqlite://"},
               "tables": [{"name": "t", "warehouse": "w", "table": "t",
                           "detection": {"volume": {"sensitivty": 3}}}]}

        with pytest.raises(ConfigError, match=r"tables\[0\]\.detection\.volume\.sensitivty "
                                              r"\(table 't'\): unknown setting"):
            parse_config(raw)
