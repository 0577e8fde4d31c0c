"""Config parsing: the documented minimal config, secrets, and every problem reported."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.config.models import (
    MonitorConfig,
    TableConfig,
    load_config,
    parse_config,
    resolve_relative_url,
)
from monitor.config.secrets import redact
from monitor.detection.settings import (
    DetectionConfig,
    DetectorSettings,
    MetricKind,
    settings_for,
)
from monitor.errors import ConfigError, ExitCode

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
        path = Path(__file__).parents[2] / "config" / "monitor.yaml"

        config = load_config(path, environ={})

        assert {t.name for t in config.tables} >= {"orders", "events", "customers"}
        assert yaml.safe_load(path.read_text())["store"].startswith("sqlite:///")


def problems_of(raw: dict, **kwargs: object) -> list[str]:
    """The problems parse_config reports, one string each."""
    with pytest.raises(ConfigError) as error:
        parse_config(raw, source="cfg.yaml", **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in error.value.details["problems"]]


def one_table(**table: object) -> dict:
    return {"store": "sqlite:///:memory:", "warehouses": {"w": "sqlite:///:memory:"},
            "tables": [{"name": "t", "warehouse": "w", "table": "t", **table}]}


class TestParseConfigRejectsAtLoad:
    """Each of these used to pass the load and fail later: as a bug, or in one command only."""

    @pytest.mark.parametrize("url", ["notaurl", "not a url", "postgresql://h:port/db"])
    def test_a_warehouse_url_that_is_no_url_names_the_warehouse(self, url: str) -> None:
        raw = {"warehouses": {"w": url}}

        assert problems_of(raw) == [
            "warehouses.w: not a database URL; expected one such as "
            "'postgresql+psycopg://user:${PASSWORD}@host/db' or 'sqlite:///file.db'"]

    def test_the_long_form_names_the_url_key(self) -> None:
        raw = {"warehouses": {"w": {"url": "notaurl"}}}

        assert problems_of(raw)[0].startswith("warehouses.w.url: not a database URL")

    def test_an_unknown_database_type_is_named(self) -> None:
        raw = {"warehouses": {"w": "foodb://x/y"}}

        assert problems_of(raw) == ["warehouses.w: unknown database type 'foodb' in the URL "
                                    "(SQLite, DuckDB and PostgreSQL are supported)"]

    def test_a_garbage_store_url_names_the_store(self) -> None:
        raw = {"store": "::garbage::", "warehouses": {}}

        assert problems_of(raw)[0].startswith("store: not a database URL")

    def test_a_store_path_that_is_a_folder(self, tmp_path: Path) -> None:
        raw = {"store": f"sqlite:///{tmp_path}", "warehouses": {}}

        assert problems_of(raw, base_dir=tmp_path) == [
            f"store: {str(tmp_path)!r} is a folder; the URL must name a database file in it, "
            f"such as {str(tmp_path / 'metrics.db')!r}"]

    def test_a_store_path_below_a_file(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("x")
        raw = {"store": "sqlite:///file/sub/m.db", "warehouses": {}}

        assert problems_of(raw, base_dir=tmp_path) == [
            f"store: {str(tmp_path / 'file')!r} is a file, so the folder of "
            f"{str(tmp_path / 'file/sub/m.db')!r} cannot be created"]

    @pytest.mark.parametrize(("value", "message"), [
        (float("inf"), "expected a finite duration"),
        (float("nan"), "expected a finite duration"),
        ("999999d", "at most 24d, got '999999d'"),
        ("25d", "at most 24d, got '25d'"),
    ])
    def test_a_query_timeout_out_of_range(self, value: object, message: str) -> None:
        raw = {"warehouses": {"w": {"url": "sqlite:///:memory:", "query_timeout": value}}}

        problems = problems_of(raw)

        assert len(problems) == 1
        assert problems[0].startswith(f"warehouses.w.query_timeout: {message}")

    def test_a_huge_duration_elsewhere_is_out_of_range(self) -> None:
        raw = {"warehouses": {}, "alerts": {"reminder_interval": "999999d"}}

        assert problems_of(raw) == ["alerts.reminder_interval: at most 3650d, got '999999d'"]

    def test_a_cron_expression_out_of_range(self) -> None:
        problems = problems_of(one_table(schedule="61 * * * *"))

        assert len(problems) == 1
        assert problems[0].startswith("tables[0].schedule (table 't'): '61 * * * *' is not a "
                                      "valid cron expression")
        assert "61" in problems[0].split("expression", 1)[1]

    def test_a_sub_second_interval_is_rejected(self) -> None:
        raw = {"warehouses": {}, "default_schedule": "every 0.5s"}

        assert problems_of(raw) == ["default_schedule: an interval schedule must be at least "
                                    "1s, got 'every 0.5s'"]

    def test_yaml_nested_3000_levels_deep(self, tmp_path: Path) -> None:
        path = write(tmp_path, "warehouses: " + "[" * 3000 + "]" * 3000 + "\n")

        with pytest.raises(ConfigError, match=r"monitor.yaml: not a config file: YAML nested "
                                              r"more than 50 levels deep"):
            load_config(path, environ={})

    def test_data_nested_deeper_than_yaml_allows_for_configs(self) -> None:
        deep: object = "x"
        for _ in range(60):
            deep = [deep]

        assert problems_of({"warehouses": {}, "tables": deep})[0].startswith(
            "tables" + "[0]" * 50 + ": nested more than 50 levels deep")


class TestParseConfigReportsEverything:
    def test_duplicate_names_and_bad_settings_at_once(self) -> None:
        raw = one_table(detection={"volume": {"sensitivity": "extreme"}})
        raw["tables"].append({"name": "t", "warehouse": "w", "table": "u"})

        problems = problems_of(raw)

        assert problems == [
            "tables[0].detection.volume.sensitivity (table 't'): expected low, medium, high or "
            "a number of robust sigmas such as 3.5 (got 'extreme')",
            "tables[1].name (table 't'): duplicate table name 't'",
        ]

    def test_unknown_warehouses_with_other_problems(self) -> None:
        raw = one_table(warehouse="nope", bucket="week")

        assert problems_of(raw) == [
            "tables[0].bucket (table 't'): Input should be 'hour' or 'day'",
            "tables[0].warehouse (table 't'): unknown warehouse 'nope' (defined: w)",
        ]

    def test_a_valid_table_and_cross_reference_problems_have_no_root_prefix(self) -> None:
        raw = one_table()
        raw["tables"].append(dict(raw["tables"][0]))

        problems = problems_of(raw)

        assert problems == ["tables[1].name (table 't'): duplicate table name 't'"]
        assert not any("<root>" in p for p in problems)

    def test_an_unset_optional_secret_is_named_when_it_was_needed(self) -> None:
        raw = {"warehouses": {},
               "alerts": {"slack": {"bot_token": "${SLACK_BOT_TOKEN}", "channel": "#a"}}}

        assert problems_of(raw, environ={}) == [
            "alerts.slack: set 'webhook_url' or 'bot_token' (from ${ENV} variables); not set "
            "in the environment: ${SLACK_BOT_TOKEN} (alerts.slack.bot_token)"]

    def test_an_unset_required_value_is_named(self) -> None:
        raw = {"warehouses": {"w": "${WAREHOUSE_URL}"}}

        assert problems_of(raw, environ={}) == [
            "warehouses.w: expected a URL or a mapping with 'url', got nothing; not set in the "
            "environment: "
            "${WAREHOUSE_URL} (warehouses.w)"]


class TestSecretsInUrls:
    def test_a_password_written_into_a_url_is_masked_too(self) -> None:
        parse_config({"warehouses": {"w": "postgresql+psycopg://etl:Lit3ral%40Pw@db/w"}},
                     environ={})

        assert redact("login Lit3ral@Pw failed; Lit3ral%40Pw") == "login *** failed; ***"

    @pytest.mark.parametrize("password", ["Pw@7fq/3aZ", "a:b@c/d?e#f%g", "plain-Pw7"])
    def test_a_password_is_percent_encoded_into_the_user_info(self, password: str) -> None:
        raw = {"store": "postgresql+psycopg://etl:${PG_PASSWORD}@db.internal:5432/dq",
               "warehouses": {"w": "postgresql+psycopg://${PG_USER}:${PG_PASSWORD}@db/w"}}

        config = parse_config(raw, environ={"PG_PASSWORD": password, "PG_USER": "e@t"})

        store = sa.engine.make_url(config.store)
        warehouse = sa.engine.make_url(config.warehouses["w"].url)
        assert (store.username, store.password, store.host, store.port, store.database) == (
            "etl", password, "db.internal", 5432, "dq")
        assert (warehouse.username, warehouse.password, warehouse.host) == ("e@t", password,
                                                                           "db")

    def test_a_variable_that_is_the_whole_url_is_taken_as_written(self) -> None:
        url = "postgresql+psycopg://etl:Pw%40x@db/w"

        config = parse_config({"warehouses": {"w": "${WAREHOUSE_URL}"}},
                              environ={"WAREHOUSE_URL": url})

        assert config.warehouses["w"].url == url

    def test_values_in_host_and_path_are_not_encoded(self) -> None:
        raw = {"warehouses": {"w": "postgresql+psycopg://etl@${PG_HOST}:5432/${PG_DB}"}}

        config = parse_config(raw, environ={"PG_HOST": "db.internal", "PG_DB": "ware_house"})

        assert config.warehouses["w"].url == "postgresql+psycopg://etl@db.internal:5432/ware_house"


def table_file(tmp_path: Path, **table: object) -> Path:
    """A config file with one table ``t`` (``table`` adds or replaces its keys)."""
    return write(tmp_path, yaml.safe_dump(one_table(**table), sort_keys=False))


#: Bad ``detection:`` sections: the key of the problem each one must name.
KINDS = ("volume", "null_rate", "freshness", "arrival_delay", "distribution", "level", "rows",
         "lag")
UNKNOWN_KIND = st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(lambda k: k not in KINDS)
BAD_DETECTION = st.one_of(
    UNKNOWN_KIND.map(lambda k: ({k: {"sensitivity": 3}}, k)),
    st.from_regex(r"[a-z_]{1,12}", fullmatch=True).filter(
        lambda k: k not in DetectorSettings.model_fields).map(
        lambda k: ({"volume": {k: 1}}, f"volume.{k}")),
    st.floats(max_value=0, allow_nan=False).map(
        lambda v: ({"null_rate.email": {"sensitivity": v}}, "null_rate.email.sensitivity")),
    st.sampled_from([[1], {"a": 1}, "sideways"]).flatmap(
        lambda v: st.sampled_from(["direction", "min_change", "trend", "training_window"]).map(
            lambda k: ({"volume": {k: v}}, f"volume.{k}"))),
)


class TestTableConfig:
    def test_detection_is_parsed_once_at_load_into_typed_settings(self, tmp_path: Path) -> None:
        raw = {"volume": {"sensitivity": "high"}, "null_rate.email": {"min_change": 0.05}}
        path = table_file(tmp_path, detection=raw)

        table = load_config(path).table("t")

        assert isinstance(table.detection, DetectionConfig)
        assert [(e.kind, e.column) for e in table.detection.entries] == [
            (MetricKind.VOLUME, None), (MetricKind.NULL_RATE, "email")]
        assert table.detection.settings("volume") == settings_for("volume", raw["volume"])
        assert table.detection.settings("null_rate", "email").min_change == 0.05

    def test_a_table_built_in_code_takes_a_mapping_or_the_parsed_section(self) -> None:
        parsed = DetectionConfig.parse({"volume": {"sensitivity": 5}})

        from_dict = TableConfig(name="t", warehouse="w", table="t",
                                detection={"volume": {"sensitivity": 5}})
        from_model = TableConfig(name="t", warehouse="w", table="t", detection=parsed)

        assert from_dict.detection == from_model.detection == parsed

    @settings(max_examples=60, deadline=None)
    @given(case=BAD_DETECTION)
    def test_bad_detection_names_the_file_and_the_key(self, case: tuple[dict, str]) -> None:
        detection, key = case
        with tempfile.TemporaryDirectory() as folder:
            path = table_file(Path(folder), detection=detection)

            with pytest.raises(ConfigError) as caught:
                load_config(path)

        text = str(caught.value)
        assert text.startswith(f"{path}: 1 problem in the configuration")
        assert f"tables[0].detection.{key} (table 't'): " in text
        assert caught.value.exit_code == ExitCode.BAD_INPUT

    @pytest.mark.parametrize(("written", "parsed"), [
        ("2026-01-31T06:00:00Z", dt.datetime(2026, 1, 31, 6, tzinfo=dt.UTC)),
        ("2026-01-31T07:00:00+01:00", dt.datetime(2026, 1, 31, 6, tzinfo=dt.UTC)),
        (dt.date(2026, 1, 31), dt.datetime(2026, 1, 31, tzinfo=dt.UTC)),
    ])
    def test_mute_until_is_an_aware_time_from_the_load_on(self, tmp_path: Path, written: Any,
                                                        parsed: dt.datetime) -> None:
        path = table_file(tmp_path, mute_until=written)

        assert load_config(path).table("t").mute_until == parsed

    @settings(max_examples=60, deadline=None)
    @given(value=st.one_of(
        st.text(max_size=20).filter(lambda t: not _is_iso_time(t)),
        st.integers(), st.lists(st.integers(), max_size=2), st.booleans()))
    def test_a_bad_mute_until_names_the_file_and_the_key(self, value: Any) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = table_file(Path(folder), mute_until=value)

            with pytest.raises(ConfigError) as caught:
                load_config(path)

        text = str(caught.value)
        assert text.startswith(f"{path}: 1 problem in the configuration")
        assert "tables[0].mute_until (table 't'): expected an ISO 8601 time" in text


def _is_iso_time(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text.strip().removesuffix("Z").removesuffix("z"))
    except ValueError:
        return False
    return True



class TestSegmentsConfig:
    def test_columns_and_an_expression(self) -> None:
        from monitor.config.models import SegmentExpr

        raw = one_table(timestamp_column="ts", bucket="day",
                        segments=["country", {"expr": "lower(channel)", "name": "channel"}],
                        max_segments=20)

        table = parse_config(raw).table("t")

        assert table.segments == ["country", SegmentExpr(expr="lower(channel)", name="channel")]
        assert table.max_segments == 20

    @pytest.mark.parametrize(("segments", "extra", "wanted"), [
        (["a", "b", "c"], {}, "tables[0].segments"),
        ([{"expr": "1; DROP TABLE t", "name": "x"}], {}, "no ';'"),
        ([{"expr": "a -- b", "name": "x"}], {}, "no '--'"),
        (["country"], {"bucket": None}, "'segments' needs 'bucket'"),
    ])
    def test_rejected_at_load_with_the_key(self, segments: list, extra: dict,
                                           wanted: str) -> None:
        table = {"timestamp_column": "ts", "bucket": "day", "segments": segments, **extra}

        problems = problems_of(one_table(**table))

        assert any(wanted in p for p in problems), problems
