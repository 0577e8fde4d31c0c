"""The severity policy on plain numbers: defaults by kind and size, and the config layers."""

from __future__ import annotations

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.config.models import parse_config
from monitor.detection.severity import (
    SeverityPolicy,
    SeveritySettings,
    fixed_severity,
    gate_severity,
    policy_for,
)
from monitor.errors import ConfigError

HOUR = 3600.0


class TestSeverityPolicyGrade:
    """Each expected level is worked out by hand from the documented defaults."""

    @pytest.mark.parametrize(("value", "expected", "level"), [
        (2000.0, 1000.0, "critical"),  # a doubled load: ratio 2.0 >= 2.0
        (1900.0, 1000.0, "warning"),  # +90%: an anomaly, not doubled
        (500.0, 1000.0, "critical"),  # halved: ratio 0.5 <= 0.5
        (510.0, 1000.0, "warning"),
        (0.0, 1000.0, "critical"),
        (5.0, 0.0, "warning"),  # rows where none are usual: no ratio to grade
        (80.0, 40.00000000000001, "critical"),  # doubled, but for a rounding error
    ])
    def test_volume_by_ratio_to_the_expected(self, value: float, expected: float,
                                             level: str) -> None:
        assert SeverityPolicy().grade("volume", value=value, expected=expected) == level

    @pytest.mark.parametrize(("value", "expected", "level"), [
        (0.43, 0.03, "critical"),  # a 40-point spike
        (0.13, 0.03, "critical"),  # exactly 10 points
        (0.12, 0.03, "warning"),  # 9 points
    ])
    def test_null_rate_by_percentage_points(self, value: float, expected: float,
                                            level: str) -> None:
        assert SeverityPolicy().grade("null_rate", value=value, expected=expected) == level

    def test_freshness_inside_its_sla_is_a_warning_and_beyond_it_critical(self) -> None:
        policy = SeverityPolicy()

        inside = policy.grade("freshness", value=27 * HOUR, expected=20 * HOUR,
                              upper=24 * HOUR, sla_seconds=30 * HOUR,
                              detector="timeliness.stall")
        beyond = policy.grade("freshness", value=31 * HOUR, expected=20 * HOUR,
                              upper=24 * HOUR, sla_seconds=30 * HOUR,
                              detector="timeliness.stall")

        assert (inside, beyond) == ("warning", "critical")

    def test_lag_without_an_sla_by_multiples_of_the_usual_maximum(self) -> None:
        policy = SeverityPolicy()

        assert policy.grade("arrival_delay", value=47 * HOUR, expected=10 * HOUR,
                            upper=24 * HOUR) == "warning"  # 47 < 2 x 24
        assert policy.grade("arrival_delay", value=48 * HOUR, expected=10 * HOUR,
                            upper=24 * HOUR) == "critical"

    def test_distribution_by_band_half_widths(self) -> None:
        policy = SeverityPolicy()

        # expected 50, upper 55: half-width 5; 64 is 2.8 widths away, 65 is 3.0
        assert policy.grade("distribution", value=64.0, expected=50.0, upper=55.0,
                            lower=45.0) == "warning"
        assert policy.grade("distribution", value=65.0, expected=50.0, upper=55.0,
                            lower=45.0) == "critical"
        assert policy.grade("distribution", value=30.0, expected=50.0, upper=55.0,
                            lower=45.0) == "critical"  # 4 widths below

    def test_a_broken_rule_is_critical_whatever_its_size(self) -> None:
        assert SeverityPolicy().grade("volume", value=990.0, expected=1000.0,
                                      detector="rules.zero_rows") == "critical"

    def test_a_fixed_severity_wins(self) -> None:
        policy = SeverityPolicy(fixed="info")

        assert policy.grade("volume", value=0.0, expected=1000.0,
                            detector="rules.zero_rows") == "info"

    def test_without_an_expected_value_it_is_a_warning(self) -> None:
        assert SeverityPolicy().grade("volume", value=10.0,
                                      expected=float("nan")) == "warning"


class TestPolicyFor:
    def test_config_then_table_then_check(self) -> None:
        config = SeveritySettings(null_rate_points=20, volume_rise=3.0)
        table = SeveritySettings(null_rate_points=5, checks={
            "null_rate:note": "info", "null_rate:email": {"null_rate_points": 1}})

        general = policy_for("null_rate:id", config, table)
        email = policy_for("null_rate:email", config, table)
        note = policy_for("null_rate:note", config, table)

        assert (general.null_rate_points, general.volume_rise, general.fixed) == (
            5.0, 3.0, None)
        assert email.null_rate_points == 1.0
        assert note.fixed == "info"

    def test_without_layers_the_documented_defaults(self) -> None:
        assert policy_for("volume:row_count") == SeverityPolicy(
            volume_drop=0.5, volume_rise=2.0, null_rate_points=10.0, lag_factor=2.0,
            band_multiple=3.0)


class TestFixedSeverity:
    def test_the_check_override_or_the_default(self) -> None:
        table = SeveritySettings(checks={"schema": "warning"})

        assert fixed_severity("schema", "critical", table) == "warning"
        assert fixed_severity("rule:min_row_count", "critical", table) == "critical"


class TestGateSeverity:
    def test_gate_checks_follow_their_run_time_check_keys(self) -> None:
        table = SeveritySettings(checks={"volume:row_count": "warning", "freshness": "info"})

        assert gate_severity("volume", "critical", table) == "warning"
        assert gate_severity("freshness", "critical", table) == "info"
        assert gate_severity("suite:s:x", "critical", table) == "critical"


class TestSeveritySettings:
    def test_bad_values_are_config_errors_naming_the_key(self) -> None:
        raw = {"warehouses": {"w": "sqlite://"}, "severity": {"volume_drop": 1.5},
               "tables": [{"name": "t", "warehouse": "w", "table": "t",
                           "severity": {"checks": {"schema": "loud"}, "nul_rate": 3}}]}

        with pytest.raises(ConfigError) as error:
            parse_config(raw, source="monitor.yaml")

        message = str(error.value)
        assert "severity.volume_drop" in message
        assert "checks.schema: expected one of critical, warning, info" in message
        assert "tables[0].severity.nul_rate (table 't')" in message

    @given(st.one_of(st.floats(allow_nan=False, max_value=0.0),
                     st.floats(min_value=1.0, allow_nan=False)))
    def test_volume_drop_must_be_a_share(self, drop: float) -> None:
        with pytest.raises(pydantic.ValidationError):
            SeveritySettings(volume_drop=drop if drop != 0.0 else -0.1)

    @given(st.text(min_size=1, max_size=12).filter(
        lambda s: s not in ("critical", "warning", "info")))
    def test_a_check_level_must_be_a_known_one(self, level: str) -> None:
        with pytest.raises(pydantic.ValidationError):
            SeveritySettings(checks={"schema": level})
