from __future__ import annotations

from typing import Any

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.detection.settings import (
    SENSITIVITY_PRESETS,
    DetectionConfig,
    DetectionOverride,
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

    def test_null_rate_floor_is_one_and_a_half_points(self):
        assert defaults_for(MetricKind.NULL_RATE).min_change == 0.015

    def test_distribution_floor_is_a_tenth_of_the_expected_value(self):
        settings = defaults_for(MetricKind.DISTRIBUTION)

        assert (settings.min_change, settings.min_relative_change) == (0.0, 0.1)

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


KINDS = ("volume", "null_rate", "freshness", "arrival_delay", "distribution", "level", "rows",
         "lag")
#: Not a kind, however it is spelled (MetricKind.parse lowercases and maps - to _).
NOT_A_KIND = st.text(min_size=1, max_size=12).filter(
    lambda k: k.split(".", 1)[0].strip().lower().replace("-", "_") not in KINDS)
#: What a setting that wants a number or a word cannot be.
WRONG_TYPES = st.one_of(st.lists(st.integers(), max_size=2),
                        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


class TestDetectionOverride:
    def test_an_entry_keeps_what_it_sets_validated(self):
        entry = DetectionOverride.parse("null_rate.email", {"sensitivity": "low",
                                                            "direction": "both"})

        assert (entry.kind, entry.column) == (MetricKind.NULL_RATE, "email")
        assert entry.changes() == {"sensitivity": 5.0, "direction": "both"}

    def test_an_alias_names_its_kind(self):
        assert DetectionOverride.parse("level", {}).kind is MetricKind.DISTRIBUTION

    @given(key=NOT_A_KIND)
    def test_an_unknown_kind_is_named_with_its_key(self, key: str):
        with pytest.raises(ConfigError) as caught:
            DetectionOverride.parse(key, {"sensitivity": 3})

        (problem,) = caught.value.details["problems"]
        assert problem.startswith(f"{key}: unknown metric kind")

    @given(raw=st.one_of(st.none(), st.integers(), st.text(max_size=5),
                         st.lists(st.integers(), max_size=2)))
    def test_settings_that_are_not_a_mapping_are_named(self, raw: Any):
        with pytest.raises(ConfigError) as caught:
            DetectionOverride.parse("volume", raw)

        assert caught.value.details["problems"] == [
            f"volume: expected a mapping of settings, got {type(raw).__name__}"]

    @given(setting=st.text(min_size=1, max_size=12).filter(
        lambda s: s not in DetectorSettings.model_fields))
    def test_an_unknown_setting_is_named_with_its_key(self, setting: str):
        with pytest.raises(ConfigError) as caught:
            DetectionOverride.parse("volume", {setting: 1})

        (problem,) = caught.value.details["problems"]
        assert problem.startswith(f"volume.{setting}: unknown setting (allowed: sensitivity")

    @given(value=WRONG_TYPES,
           setting=st.sampled_from(["sensitivity", "direction", "min_change", "trend",
                                    "training_window", "max_null_rate"]))
    def test_a_wrong_type_is_named_with_its_key(self, value: Any, setting: str):
        with pytest.raises(ConfigError) as caught:
            DetectionOverride.parse("null_rate.email", {setting: value})

        (problem,) = caught.value.details["problems"]
        assert problem.startswith(f"null_rate.email.{setting}: ")

    @given(sensitivity=st.one_of(st.floats(max_value=0.0, allow_nan=False),
                                 st.integers(max_value=0)))
    def test_a_sensitivity_of_zero_or_less_is_refused(self, sensitivity: float):
        with pytest.raises(ConfigError, match=r"^volume\.sensitivity: "):
            DetectionOverride.parse("volume", {"sensitivity": sensitivity})


class TestDetectionConfig:
    def test_entries_apply_on_the_defaults_kind_first_then_the_column(self):
        config = DetectionConfig.parse({"null_rate.email": {"direction": "both"},
                                        "null_rate": {"min_change": 0.05,
                                                      "direction": "up"}})

        email = config.settings(MetricKind.NULL_RATE, "email")
        other = config.settings("null_rate", "phone")

        assert (email.direction, email.min_change) == ("both", 0.05)
        assert (other.direction, other.min_change) == ("up", 0.05)
        assert other.min_scale == defaults_for("null_rate").min_scale

    def test_the_settings_are_those_of_the_dict_they_were_parsed_from(self):
        raw = {"volume": {"sensitivity": "high", "training_window": 30},
               "distribution.amount": {"min_relative_change": 0.1}}

        config = DetectionConfig.parse(raw)

        assert config.settings("volume") == settings_for("volume", raw["volume"])
        assert config.settings("distribution", "amount") == settings_for(
            "distribution", raw["distribution.amount"])
        assert config.settings("distribution") == defaults_for("distribution")

    def test_extra_settings_lie_under_the_entries(self):
        config = DetectionConfig.parse({"null_rate.email": {"max_null_rate": 0.4}})

        email = config.settings("null_rate", "email", extra={"max_null_rate": 0.1})
        phone = config.settings("null_rate", "phone", extra={"max_null_rate": 0.1})

        assert (email.max_null_rate, phone.max_null_rate) == (0.4, 0.1)

    def test_nothing_configured_is_the_defaults(self):
        assert DetectionConfig.parse(None).settings("volume") == defaults_for("volume")

    def test_every_bad_entry_is_reported_at_once(self):
        with pytest.raises(ConfigError) as caught:
            DetectionConfig.parse({"volum": {}, "volume": {"sensitivity": -1},
                                   "null_rate.email": {"sensitivty": 3}})

        paths = [p.split(": ", 1)[0] for p in caught.value.details["problems"]]
        assert paths == ["volum", "volume.sensitivity", "null_rate.email.sensitivty"]

    @given(raw=st.one_of(st.integers(), st.text(max_size=5), st.lists(st.integers())))
    def test_a_section_that_is_not_a_mapping_is_refused(self, raw: Any):
        with pytest.raises(ConfigError, match="expected a mapping of metric kinds"):
            DetectionConfig.parse(raw)
