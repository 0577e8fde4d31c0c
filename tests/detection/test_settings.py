from __future__ import annotations

import pydantic
import pytest

from monitor.detection.settings import (
    SENSITIVITY_PRESETS,
    DetectorSettings,
    MetricKind,
    defaults_for,
    settings_for,
)
from monitor.errors import ConfigError


class TestMetricKind:
    @pytest.mark.parametrize(
        ("name", "kind"),
        [
            ("volume", MetricKind.VOLUME),
            ("NULL-RATE", MetricKind.NULL_RATE),
            ("level", MetricKind.DISTRIBUTION),
            ("lag", MetricKind.FRESHNESS),
        ],
    )
    def test_parse_accepts_names_and_aliases(self, name, kind):
        assert MetricKind.parse(name) is kind

    def test_parse_refuses_unknown_kinds_with_the_known_ones(self):
        with pytest.raises(ConfigError, match=r"unknown metric kind 'rowz'.*volume"):
            MetricKind.parse("rowz")


class TestDetectorSettings:
    @pytest.mark.parametrize(("preset", "sigmas"), [("low", 5.0), ("medium", 4.0), ("high", 3.0)])
    def test_sensitivity_presets_are_band_widths(self, preset, sigmas):
        assert DetectorSettings(sensitivity=preset).sensitivity == sigmas

    def test_high_sensitivity_is_the_narrowest_band(self):
        assert SENSITIVITY_PRESETS["high"] < SENSITIVITY_PRESETS["medium"]
        assert SENSITIVITY_PRESETS["medium"] < SENSITIVITY_PRESETS["low"]

    def test_is_frozen(self):
        settings = DetectorSettings()

        with pytest.raises(pydantic.ValidationError):
            settings.sensitivity = 2.0  # type: ignore[misc]

    def test_parse_reports_every_problem_with_its_key(self):
        raw = {"sensitivity": "extreme", "direction": "sideways", "min_chnage": 3}

        with pytest.raises(ConfigError) as caught:
            DetectorSettings.parse(raw, where="tables.orders.detection.volume")

        message = str(caught.value)
        assert "tables.orders.detection.volume.sensitivity" in message
        assert "tables.orders.detection.volume.direction" in message
        assert "min_chnage: unknown setting (allowed: sensitivity" in message
        assert len(caught.value.details["problems"]) == 3

    def test_parse_refuses_a_non_mapping(self):
        with pytest.raises(ConfigError, match="expected a mapping"):
            DetectorSettings.parse(["high"])  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "raw",
        [{"sensitivity": 0}, {"min_change": -1}, {"max_null_rate": 1.5}, {"training_window": 2}],
    )
    def test_out_of_range_values_are_config_errors(self, raw):
        with pytest.raises(ConfigError):
            DetectorSettings.parse(raw)

    def test_merged_keeps_the_defaults_it_does_not_override(self):
        base = defaults_for(MetricKind.NULL_RATE)

        tuned = base.merged({"min_change": 0.02})

        assert tuned.min_change == 0.02
        assert tuned.direction == "up"
        assert tuned.min_scale == base.min_scale


class TestDefaultsFor:
    @pytest.mark.parametrize(
        ("kind", "direction"),
        [
            ("volume", "both"),
            ("null_rate", "up"),
            ("freshness", "up"),
            ("arrival_delay", "up"),
            ("distribution", "both"),
        ],
    )
    def test_direction_per_kind(self, kind, direction):
        assert defaults_for(kind).direction == direction

    def test_null_rate_needs_more_than_half_a_point_to_move(self):
        settings = defaults_for(MetricKind.NULL_RATE)

        assert settings.min_change > 0.005

    def test_volume_is_judged_in_relative_terms(self):
        assert defaults_for("volume").transform == "log"


class TestSettingsFor:
    def test_config_mapping_applies_on_top_of_the_kind_defaults(self):
        settings = settings_for("null_rate", {"sensitivity": "high", "max_null_rate": 0.1})

        assert settings.sensitivity == 3.0
        assert settings.max_null_rate == 0.1
        assert settings.direction == "up"

    def test_bad_keys_name_where_they_are(self):
        with pytest.raises(ConfigError, match=r"detection\.volume\.sensitivity"):
            settings_for("volume", {"sensitivity": "loud"}, where="detection.volume")
