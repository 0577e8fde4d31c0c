"""Config parsing: the documented minimal config, secrets, and every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config import MonitorConfig, load_config, parse_config, resolve_relative_url
from monitor.errors import ConfigError
from monitor.secrets import redact

MINIMAL = """
store: sqlite:///.dq-monitor/metrics.db
warehouses:
  sample: sqlite:///.dq-monitor/sample.db
  prod: postgresql+psycopg://etl:${PG_PASSWORD}@db.internal/warehouse
tables:
  - name: orders                  # the monitor's name for the table
    warehouse: sample
    table: orders
    schema: main                  # optional
    timestamp_column: created_at  # optional: freshness and time buckets
    bucket: day                   # optional: hour | day
    owners: ["@data-eng"]         # optional
"""


def write(tmp_path: Path, text: str, name: str = "monitor.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestLoadConfig:
    def test_the_documented_minimal_config_works_as_written(self, tmp_path: Path) -> None:
        path = write(tmp_path, MINIMAL)

        config = load_config(path, environ={"PG_PASSWORD": "pw-from-env"})

        orders = config.table("orders")
        assert (orders.schema, orders.timestamp_column, orders.bucket) == ("main", "created_at",
                                                                          "day")
        assert config.warehouses["prod"].url.endswith("etl:pw-from-env@db.internal/warehouse")
        assert config.resolve_url(config.store) == (
            f"sqlite:///{(tmp_path / '.dq-monitor/metrics.db').resolve()}")

    def test_environment_variable_chooses_the_file(self, tmp_path: Path) -> None:
        path = write(tmp_path, MINIMAL, "other.yaml")

        config = load_config(None, environ={"DQ_MONITOR_CONFIG": str(path), "PG_PASSWORD": "x"})

        assert config.source == str(path)

    def test_missing_file_names_it(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="nope.yaml: config file not found"):
            load_config(tmp_path / "nope.yaml", environ={})

    def test_broken_yaml_names_file_and_line(self, tmp_path: Path) -> None:
        path = write(tmp_path, "store: x\nwarehouses: {a: b\n  tables: [\n")

        with pytest.raises(ConfigError, match=r"monitor.yaml: not valid YAML at line \d+"):
            load_config(path, environ={})

    def test_unset_secret_in_a_url_is_reported_with_its_key(self, tmp_path: Path) -> None:
        path = write(tmp_path, MINIMAL)

        with pytest.raises(ConfigError, match=r"warehouses.prod: environment variable "
                                              r"PG_PASSWORD is not set"):
            load_config(path, environ={})

    def test_secret_value_never_appears_in_errors(self, tmp_path: Path) -> None:
        text = MINIMAL + "  - name: orders\n    warehouse: prod\n    table: x\n"
        path = write(tmp_path, text)

        with pytest.raises(ConfigError) as error:
            load_config(path, environ={"PG_PASSWORD": "hunter2-secret"})

        assert "duplicate table name" in str(error.value)
        assert redact("url with hunter2-secret") == "url with ***"


class TestParseConfig:
    def test_every_problem_is_reported_with_its_key_path(self) -> None:
        raw = {"warehouses": {"w": "sqlite:///x.db"},
               "tables": [{"name": "a", "warehouse": "w", "table": "a", "colour": "red"},
                          {"warehouse": "w"},
                          {"name": "c", "warehouse": "w", "table": "c", "bucket": "week"}],
               "default_schedule": "sometimes"}

        with pytest.raises(ConfigError) as error:
            parse_config(raw, source="cfg.yaml")

        text = str(error.value)
        assert text.startswith("cfg.yaml: 5 problems")
        assert "tables[0].colour (table 'a'): unknown key" in text
        assert "tables[1].name: required key is missing" in text
        assert "tables[1].table: required key is missing" in text
        assert "tables[2].bucket (table 'c')" in text
        assert "default_schedule: expected a five-field cron expression" in text

    def test_cross_references_are_checked(self) -> None:
        raw = {"warehouses": {"w": "sqlite:///x.db"},
               "tables": [{"name": "a", "warehouse": "nope", "table": "a"}]}

        with pytest.raises(ConfigError, match="unknown warehouse 'nope' \\(defined: w\\)"):
            parse_config(raw)

    def test_bucket_needs_a_timestamp_column(self) -> None:
        raw = {"warehouses": {"w": "sqlite:///x.db"},
               "tables": [{"name": "a", "warehouse": "w", "table": "a", "bucket": "day"}]}

        with pytest.raises(ConfigError, match="'bucket' needs 'timestamp_column'"):
            parse_config(raw)

    def test_optional_secret_left_unset_counts_as_not_given(self) -> None:
        raw = {"warehouses": {},
               "alerts": {"slack": {"webhook_url": "${HOOK}", "bot_token": "${TOKEN}"}}}

        config = parse_config(raw, environ={"HOOK": "https://hooks.example/T1"})

        assert config.alerts.slack is not None
        assert config.alerts.slack.bot_token is None

    def test_defaults_and_overrides_resolve_per_table(self) -> None:
        raw = {"warehouses": {"w": {"url": "sqlite:///x.db", "distinct": "exact"}},
               "profiling": {"lookback_buckets": 3},
               "tables": [{"name": "a", "warehouse": "w", "table": "a"},
                          {"name": "b", "warehouse": "w", "table": "b", "distinct": "off",
                           "lookback_buckets": 0, "schedule": "*/5 * * * *"}]}

        config = parse_config(raw)

        a, b = config.table("a"), config.table("b")
        assert (config.distinct_for(a), config.distinct_for(b)) == ("exact", "off")
        assert (config.lookback_for(a), config.lookback_for(b)) == (3, 0)
        assert str(config.schedule_for(a)) == "every 1h"
        assert config.schedule_for(b).cron == "*/5 * * * *"

    def test_unknown_table_lists_the_known_ones(self) -> None:
        config = parse_config({"warehouses": {"w": "sqlite://"},
                               "tables": [{"name": "a", "warehouse": "w", "table": "a"}]})

        with pytest.raises(ConfigError, match=r"no table named 'b' \(configured: a\)"):
            config.table("b")

    def test_top_level_must_be_a_mapping(self) -> None:
        with pytest.raises(ConfigError, match="top level must be a mapping"):
            parse_config(["not", "a", "mapping"])

    @settings(max_examples=150, deadline=None)
    @given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.sampled_from(
                            ["store", "warehouses", "tables", "name", "table", "warehouse",
                             "bucket", "schedule", "thresholds", "alerts", "x"]), inner,
                            max_size=4), max_leaves=12))
    def test_any_yaml_document_is_a_config_or_a_config_error(self, raw: object) -> None:
        try:
            config = parse_config(raw)
        except ConfigError as error:
            assert str(error)
        else:
            assert isinstance(config, MonitorConfig)


class TestResolveRelativeUrl:
    @pytest.mark.parametrize(("url", "expected"), [
        ("sqlite:///a/b.db", "sqlite:////base/a/b.db"),
        ("sqlite:////abs/b.db", "sqlite:////abs/b.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("duckdb:///w.duckdb?access_mode=read_only", "duckdb:////base/w.duckdb?access_mode=read_only"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
    ])
    def test_file_urls_resolve_against_the_config_folder(self, url: str, expected: str) -> None:
        assert resolve_relative_url(url, Path("/base")) == expected


class TestShippedConfig:
    def test_config_monitor_yaml_is_valid(self) -> None:
        path = Path(__file__).parents[1] / "config" / "monitor.yaml"

        config = load_config(path, environ={})

        assert {t.name for t in config.tables} >= {"orders", "events", "customers"}
        assert yaml.safe_load(path.read_text())["store"].startswith("sqlite:///")
