"""Typed configuration: what to monitor, where, and how.

Parsed once at the edge (``load_config``) from YAML plus ``${ENV}`` variables;
every problem is reported at once with its key path and the file name.

>>> cfg = parse_config({"store": "sqlite:///:memory:",
...                     "warehouses": {"w": "sqlite:///:memory:"},
...                     "tables": [{"name": "orders", "warehouse": "w", "table": "orders"}]})
>>> cfg.table("orders").table
'orders'
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlalchemy as sa
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.config.custom_metrics import CustomMetric
from monitor.config.durations import Schedule, parse_schedule
from monitor.config.fields import Problems, ScheduleField, Seconds, Timeout, url_field
from monitor.config.problems import (
    MAX_DEPTH,
    Interpolation,
    raw_references,
    reference_problems,
    table_label,
    validation_problems,
)
from monitor.config.secrets import REGISTRY
from monitor.config.sources import TableSource
from monitor.detection.settings import DetectionConfig
from monitor.detection.severity import SeveritySettings
from monitor.dialects import file_url_prefixes
from monitor.errors import ConfigError
from monitor.spark.session import SparkSettings, spark_url
from monitor.timeutil import parse_time

DEFAULT_CONFIG_PATH = Path("config/monitor.yaml")
CONFIG_ENV_VAR = "DQ_MONITOR_CONFIG"
DistinctMode = Literal["auto", "exact", "approx", "off"]
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class WarehouseConfig(_Model):
    """A named warehouse: a SQLAlchemy URL (or Spark settings) and how to query it."""

    url: str
    query_timeout: Timeout = 300.0
    connect_timeout: Timeout = 10.0
    distinct: DistinctMode | None = None
    #: ``spark: {master: "local[2]", conf: {...}}`` or ``spark: {remote: "sc://host:15002"}``
    #: instead of a URL (it becomes the ``spark:///?...`` URL).
    spark: SparkSettings | None = None

    _check_url = field_validator("url")(url_field)

    @model_validator(mode="before")
    @classmethod
    def _spark_url(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and data.get("spark") is not None and "url" not in data:
            try:
                return {**data, "url": spark_url(data["spark"])}
            except (ValidationError, ValueError, TypeError):
                return {**data, "url": "spark:///"}  # the ``spark`` field reports it
        return data


class ProfilingConfig(_Model):
    """Defaults for profiling; a table may override ``distinct`` and ``lookback``."""

    distinct: DistinctMode = "auto"
    lookback_buckets: int = Field(default=2, ge=0, le=1000)
    max_retries: int = Field(default=3, ge=0, le=20)


class ColumnConfig(_Model):
    """Per-column settings: tags such as ``pii`` switch off sampling of values."""

    tags: list[str] = Field(default_factory=list)
    max_null_rate: float | None = Field(default=None, ge=0, le=1)


class SegmentExpr(_Model):
    """A segment given as SQL (``{expr: "lower(country)", name: country}``): the config
    owner's own SQL, run in the warehouse's read-only session, one statement only."""

    expr: str = Field(min_length=1, max_length=2000)
    name: str = Field(min_length=1, max_length=64)

    @field_validator("expr")
    @classmethod
    def _one_expression(cls, value: str) -> str:
        for token in (";", "--", "/*"):
            if token in value:
                raise ValueError(f"a segment expression is one SQL expression: no {token!r}")
        return value


class Thresholds(_Model):
    """Rules that need no history: limits a table must always respect."""

    freshness_sla: Seconds | None = None
    arrival_sla: Seconds | None = None
    max_null_rate: float | None = Field(default=None, ge=0, le=1)
    min_row_count: int | None = Field(default=None, ge=0)
    min_batch_ratio: float = Field(default=0.5, ge=0, le=1)


class TableConfig(_Model):
    """A monitored table."""

    name: str = Field(min_length=1)
    warehouse: str
    #: A table (or view) name, or files read as a table (``monitor.config.sources``).
    table: Annotated[str, Field(min_length=1)] | TableSource
    schema_: str | None = Field(default=None, alias="schema")
    timestamp_column: str | None = None
    loaded_at_column: str | None = None
    bucket: Literal["hour", "day"] | None = None
    lookback_buckets: int | None = Field(default=None, ge=0, le=1000)
    distinct: DistinctMode | None = None
    owners: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    schedule: ScheduleField | None = None
    suites: list[str] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    columns: dict[str, ColumnConfig] = Field(default_factory=dict)
    #: ``detection:`` parsed at load: per metric kind (or ``kind.column``), the detector
    #: settings to use instead of the defaults (``monitor.detection.settings``).
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    #: Columns whose mean, stddev and distinct count are watched per bucket.
    distribution_columns: list[str] = Field(default_factory=list)
    #: Row count and change time from the engine's catalog, no scan (``monitor.metrics.
    #: metadata``): ``true`` adds them to each run, ``only`` makes them the whole run.
    metadata: bool | Literal["only"] = False
    #: Metrics computed by SQL of the user's own (``monitor.config.custom_metrics``).
    metrics: list[CustomMetric] = Field(default_factory=list)
    #: Metrics per segment (``monitor.metrics.segments``): one or two columns or expressions.
    segments: list[str | SegmentExpr] = Field(default_factory=list, max_length=2)
    #: Segments kept by volume; the rest are one "other" segment.
    max_segments: int = Field(default=50, ge=1, le=1000)
    #: The severity policy of this table (``monitor.detection.severity``).
    severity: SeveritySettings = Field(default_factory=SeveritySettings)
    slack_channel: str | None = None
    mute_until: dt.datetime | None = None  # aware UTC

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("mute_until", mode="before")
    @classmethod
    def _mute_until_is_a_time(cls, value: Any) -> Any:
        # YAML reads an unquoted 2026-01-31T06:00:00Z as a datetime: accept both.
        if value is None:
            return None
        if not isinstance(value, str | dt.datetime | dt.date):
            raise ValueError(f"expected an ISO 8601 time such as 2026-01-31T06:00:00Z, "
                             f"got {type(value).__name__}")
        return parse_time(value)

    @model_validator(mode="after")
    def _bucket_needs_timestamp(self) -> TableConfig:
        if self.bucket and not self.timestamp_column:
            raise ValueError("'bucket' needs 'timestamp_column' (the column to bucket by)")
        if self.segments and not self.bucket:
            raise ValueError("'segments' needs 'bucket' (segments are measured per bucket)")
        return self

    @model_validator(mode="after")
    def _custom_metrics(self) -> TableConfig:
        problems = []
        seen: set[str] = set()
        for i, metric in enumerate(self.metrics):
            if metric.name in seen:
                problems.append((f"metrics[{i}].name", f"{metric.name!r} is defined twice"))
            seen.add(metric.name)
            if metric.uses_bucket_filter and not self.timestamp_column:
                problems.append((f"metrics[{i}].sql", "{bucket_filter} needs "
                                 "'timestamp_column' (the column it filters on)"))
        if problems:
            raise Problems(problems)
        return self

    @model_validator(mode="after")
    def _files_have_no_schema(self) -> TableConfig:
        if isinstance(self.table, TableSource) and self.schema_:
            raise ValueError("'schema' does not apply to a 'table' read from files "
                             "('table: {path: ...}'): leave it out")
        return self

    @field_validator("detection", mode="before")
    @classmethod
    def _detection_settings(cls, value: Any) -> DetectionConfig:
        """``detection:`` keys are a metric kind, or ``kind.column``; values are settings."""
        if isinstance(value, DetectionConfig):
            return value
        try:
            return DetectionConfig.parse(value)
        except ConfigError as error:
            found = error.details.get("problems") or [str(error)]
            problems = []
            for problem in found:  # type: ignore[union-attr]
                path, _, message = str(problem).partition(": ")
                problems.append((path, message.removeprefix("Value error, ")))
            raise Problems(problems) from None

    @property
    def schema(self) -> str | None:  # type: ignore[override]
        return self.schema_

    @property
    def relation(self) -> str:
        """The name queries use: the table's, or for files the view named after ``name``."""
        return self.name if isinstance(self.table, TableSource) else self.table

    @property
    def qualified(self) -> str:
        """``schema.table`` (or the files' path) as written in the config, for messages."""
        if isinstance(self.table, TableSource):
            return self.table.path
        return f"{self.schema_}.{self.table}" if self.schema_ else self.table

    def pii_columns(self) -> set[str]:
        return {name for name, col in self.columns.items() if "pii" in col.tags}


class ReconcileSide(_Model):
    """One side of a reconciliation: a table in a configured warehouse."""

    warehouse: str
    table: str = Field(min_length=1)
    schema_: str | None = Field(default=None, alias="schema")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def schema(self) -> str | None:  # type: ignore[override]
        return self.schema_

    @property
    def qualified(self) -> str:
        return f"{self.warehouse}:{self.schema_ + '.' if self.schema_ else ''}{self.table}"


class ReconcileConfig(_Model):
    """A ``reconcile:`` entry: a source and a target table that must hold the same rows
    (``monitor.reconcile``; docs/reconcile.md)."""

    name: str = Field(min_length=1)
    source: ReconcileSide
    target: ReconcileSide
    timestamp_column: str | None = None
    bucket: Literal["hour", "day"] | None = None
    #: Numeric columns summed per bucket, and compared per key (changed rows).
    sums: list[str] = Field(default_factory=list)
    #: Key columns (integers): with a key, missing, extra and changed keys are found.
    key: list[str] = Field(default_factory=list)
    #: Relative difference of a count or a sum that still matches (0.001 = 0.1%).
    tolerance: float = Field(default=0.0, ge=0, le=1)
    #: Decimals at which summed values are compared per key.
    decimals: int = Field(default=2, ge=0, le=6)
    #: A key range with at most this many rows (either side) is fetched and diffed.
    fetch_threshold: int = Field(default=64, ge=1, le=100_000)
    #: Sub-ranges a differing key range is split into.
    fanout: int = Field(default=16, ge=2, le=256)
    #: Keys of each kind (missing, extra, changed) kept as a sample.
    samples: int = Field(default=10, ge=0, le=1000)

    @model_validator(mode="after")
    def _bucket_needs_timestamp(self) -> ReconcileConfig:
        if self.bucket and not self.timestamp_column:
            raise ValueError("'bucket' needs 'timestamp_column' (the column to bucket by)")
        return self


class ValidationConfig(_Model):
    """How expectation suites are evaluated and what their results keep."""

    unexpected_samples: int = Field(default=5, ge=0, le=100)  # never for pii columns
    engine: Literal["auto", "gx"] = "auto"  # auto: SQL pushdown, GX for the rest


class IngestConfig(_Model):
    """Write-audit-publish ingestion (``dq-monitor ingest``)."""

    mode: Literal["all_or_nothing", "publish_good"] = "all_or_nothing"
    volume_history: int = Field(default=10, ge=1, le=1000)


class SlackConfig(_Model):
    """Slack delivery: an incoming webhook, or a bot token with a default channel."""

    webhook_url: str | None = None
    bot_token: str | None = None
    channel: str | None = None
    base_url: str | None = None
    timeout: Seconds = 10.0

    @model_validator(mode="after")
    def _one_way_to_deliver(self) -> SlackConfig:
        if not self.webhook_url and not self.bot_token:
            raise ValueError("set 'webhook_url' or 'bot_token' (from ${ENV} variables)")
        if self.bot_token and not self.channel:
            raise ValueError("'bot_token' needs a default 'channel', such as '#data-alerts'")
        return self


class EmailConfig(_Model):
    """E-mail through an SMTP server (the standard library's smtplib)."""

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)  # 587, 465 (ssl) or 25 (none)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None  # from ${ENV}
    sender: str
    to: list[str] = Field(min_length=1)
    subject_prefix: str = "[dq-monitor]"
    #: A CA bundle (PEM) to trust besides the system's, for a server with a private CA.
    ca_file: str | None = None
    timeout: Seconds = 10.0

    @model_validator(mode="after")
    def _login_needs_both(self) -> EmailConfig:
        if bool(self.username) != bool(self.password):
            raise ValueError("set both 'username' and 'password' (from ${ENV}), or neither")
        return self

    @property
    def resolved_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class PagerDutyConfig(_Model):
    """PagerDuty Events API v2: trigger on a new incident, resolve on recovery."""

    routing_key: str  # the integration key, from ${ENV}
    base_url: str = "https://events.pagerduty.com"
    source: str = "dq-monitor"
    #: Dedup keys are ``<prefix>/<table>/<incident id>``: one PagerDuty alert per incident.
    dedup_prefix: str = "dq-monitor"
    timeout: Seconds = 10.0


class WebhookConfig(_Model):
    """A generic JSON webhook (``format: teams`` posts a Microsoft Teams Adaptive Card)."""

    url: str  # from ${ENV}: the URL is usually the secret
    format: Literal["json", "teams"] = "json"
    headers: dict[str, str] = Field(default_factory=dict)  # values from ${ENV}
    timeout: Seconds = 10.0


NotifierName = Literal["slack", "email", "pagerduty", "webhook", "console"]
NOTIFIER_NAMES: tuple[str, ...] = ("slack", "email", "pagerduty", "webhook", "console")


class RouteMatch(_Model):
    """What a route matches: every given key must match (a list means any of them)."""

    severity: list[Literal["critical", "warning", "info"]] | None = None
    #: Table names or shell patterns (``orders*``) of the config's table names.
    table: list[str] | None = None
    event: list[Literal["opened", "update", "reminder", "resolved"]] | None = None

    @field_validator("severity", "table", "event", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Route(_Model):
    """Send the messages that ``match`` to the notifiers in ``notify``."""

    match: RouteMatch = Field(default_factory=RouteMatch)
    notify: list[NotifierName] = Field(min_length=1)
    #: Stop at this route when it matches (otherwise later matching routes add notifiers).
    stop: bool = False

    @field_validator("notify", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class AlertsConfig(_Model):
    """How incidents are raised, repeated, resolved and delivered."""

    slack: SlackConfig | None = None
    email: EmailConfig | None = None
    pagerduty: PagerDutyConfig | None = None
    webhook: WebhookConfig | None = None
    #: Which notifiers get which messages (``monitor.alerts.routes``); none: the default one.
    routes: list[Route] = Field(default_factory=list)
    reminder_interval: Seconds = 4 * 3600.0
    resolve_after_runs: int = Field(default=2, ge=1, le=100)
    max_attempts: int = Field(default=5, ge=1, le=100)
    rate_limit_per_hour: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _routes_name_configured_notifiers(self) -> AlertsConfig:
        configured = set(self.configured_notifiers())
        problems = [
            (f"routes[{i}].notify[{j}]",
             f"notifier {name!r} is not configured (configured: "
             f"{', '.join(sorted(configured))}; add an 'alerts.{name}' section)")
            for i, route in enumerate(self.routes) for j, name in enumerate(route.notify)
            if name not in configured]
        if problems:
            raise Problems(problems)
        return self

    def configured_notifiers(self) -> list[str]:
        """Names of the notifiers this config sets up, and ``console`` (the log) always."""
        return [n for n in ("slack", "email", "pagerduty", "webhook")
                if getattr(self, n) is not None] + ["console"]


class SchedulerConfig(_Model):
    """The ``serve`` scheduler."""

    workers: int = Field(default=2, ge=1, le=64)
    misfire_grace: Seconds = 300.0
    spool_dir: str | None = None
    shutdown_grace: Seconds = 30.0  # on SIGTERM, how long running jobs may take to finish
    #: Port of /metrics, /healthz and /readyz (None: not served; 0: any free port).
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    metrics_host: str = "0.0.0.0"  # noqa: S104  (Prometheus scrapes from outside the container)


class LineageConfig(_Model):
    """OpenLineage run events (``monitor.lineage``): the transport and the job namespace.

    ``http`` posts each event to ``url`` + ``endpoint`` (Marquez, DataHub, ...; ``api_key``
    from ``${ENV}`` becomes a Bearer token); ``file`` appends one JSON event a line to
    ``path``; ``console`` logs each event (logger ``openlineage.client.transport.console``).
    """

    transport: Literal["http", "file", "console"] = "http"
    url: str | None = None
    endpoint: str = "api/v1/lineage"
    api_key: str | None = None  # from ${ENV}
    path: str | None = None
    namespace: str = "dq-monitor"
    timeout: Seconds = 5.0
    retries: int = Field(default=1, ge=0, le=10)

    @model_validator(mode="after")
    def _destination(self) -> LineageConfig:
        if self.transport == "http" and not self.url:
            raise ValueError("lineage.url is required with transport http")
        if self.transport == "file" and not self.path:
            raise ValueError("lineage.path is required with transport file")
        return self


class MonitorConfig(_Model):
    """The whole configuration file."""

    store: str = "sqlite:///.dq-monitor/metrics.db"
    warehouses: dict[str, WarehouseConfig]
    tables: list[TableConfig] = Field(default_factory=list)
    reconcile: list[ReconcileConfig] = Field(default_factory=list)
    profiling: ProfilingConfig = Field(default_factory=ProfilingConfig)
    expectations_dir: str | None = None
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    default_schedule: ScheduleField = Field(default_factory=lambda: parse_schedule("every 1h"))
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig)
    dashboard_url: str | None = None
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    #: The severity policy of every table (a table's ``severity`` overrides it).
    severity: SeveritySettings = Field(default_factory=SeveritySettings)
    #: OpenLineage events of every run and ingest batch (None: none are sent).
    lineage: LineageConfig | None = None
    base_dir: str = Field(default=".", exclude=True)
    source: str = Field(default="<config>", exclude=True)

    _check_store = field_validator("store")(url_field)

    @field_validator("warehouses", mode="before")
    @classmethod
    def _url_shorthand(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: {"url": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _references(self) -> MonitorConfig:
        problems = reference_problems([(t.name, t.warehouse) for t in self.tables],
                                      self.warehouses)
        known = ", ".join(sorted(self.warehouses)) or "none"
        seen: set[str] = set()
        for i, entry in enumerate(self.reconcile):
            for side in ("source", "target"):
                name = getattr(entry, side).warehouse
                if name not in self.warehouses:
                    problems.append((f"reconcile[{i}].{side}.warehouse",
                                     f"unknown warehouse {name!r} (defined: {known})"))
            if entry.name in seen:
                problems.append((f"reconcile[{i}].name",
                                 f"duplicate reconcile name {entry.name!r}"))
            seen.add(entry.name)
        if problems:
            raise Problems(problems)
        return self

    def table(self, name: str) -> TableConfig:
        """The table called ``name``; ConfigError listing the known names otherwise."""
        for table in self.tables:
            if table.name == name:
                return table
        known = ", ".join(t.name for t in self.tables) or "none"
        raise ConfigError(f"{self.source}: no table named {name!r} (configured: {known})")

    def reconciliation(self, name: str) -> ReconcileConfig:
        """The ``reconcile:`` entry called ``name``; ConfigError listing the known names."""
        for entry in self.reconcile:
            if entry.name == name:
                return entry
        known = ", ".join(e.name for e in self.reconcile) or "none"
        raise ConfigError(f"{self.source}: no reconcile entry named {name!r} "
                          f"(configured: {known})")

    def schedule_for(self, table: TableConfig) -> Schedule:
        return table.schedule or self.default_schedule

    def distinct_for(self, table: TableConfig) -> DistinctMode:
        warehouse = self.warehouses[table.warehouse]
        return table.distinct or warehouse.distinct or self.profiling.distinct

    def lookback_for(self, table: TableConfig) -> int:
        if table.lookback_buckets is not None:
            return table.lookback_buckets
        return self.profiling.lookback_buckets

    def resolve_url(self, url: str) -> str:
        """Make relative SQLite/DuckDB file paths relative to the config file's folder."""
        return resolve_relative_url(url, Path(self.base_dir))

    def expectations_path(self) -> Path:
        base = Path(self.base_dir)
        if self.expectations_dir:
            path = Path(self.expectations_dir)
            return path if path.is_absolute() else base / path
        return base / "expectations"


def resolve_relative_url(url: str, base: Path) -> str:
    """``sqlite:///x.db`` -> ``sqlite:////abs/base/x.db``; other URLs unchanged."""
    for prefix in file_url_prefixes():
        if url.startswith(prefix):
            path = url[len(prefix) :]
            query = ""
            if "?" in path:
                path, query = path.split("?", 1)
                query = "?" + query
            if not path or path.startswith(":memory:") or path.startswith("/"):
                return url
            return f"{prefix}{(base / path).resolve()}{query}"
    return url


def parse_config(raw: Any, *, source: str = "<config>", base_dir: Path | str = ".",
                 environ: Mapping[str, str] | None = None) -> MonitorConfig:
    """Validate a parsed YAML document; ConfigError lists every problem with its key path."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: the top level must be a mapping of keys, "
                          f"got {type(raw).__name__}")
    # Values read from the environment go straight into the process-wide registry, so
    # they are masked in every message from here on, this function's included.
    env = Interpolation(os.environ if environ is None else environ, REGISTRY)
    data = env.resolve(raw)
    found = list(env.problems)
    config = None
    try:
        config = MonitorConfig.model_validate(
            {**data, "base_dir": str(base_dir), "source": source},
            context={"base_dir": str(base_dir)},
        )
    except ValidationError as error:
        found += validation_problems(error, raw)
        # The cross-reference check runs after the models; when they failed, run it here.
        found += [p for p in raw_references(data) if p not in found]
    except RecursionError:
        found.append(("", f"nested more than {MAX_DEPTH} levels deep"))
    problems = [f"{path}{table_label(path, raw)}: {message}{env.unset_below(path)}"
                if path else f"{message}{env.unset_below(path)}" for path, message in found]
    if problems:
        lines = "\n".join(f"  - {REGISTRY.redact(p)}" for p in problems)
        count = len(problems)
        raise ConfigError(f"{source}: {count} problem{'s' if count > 1 else ''} "
                          f"in the configuration:\n{lines}",
                          details={"problems": problems, "file": source})
    assert config is not None
    # A password written into a URL as it is (not from ${VAR}) is a secret all the same.
    for url in (config.store, *(w.url for w in config.warehouses.values())):
        password = sa.engine.make_url(url).password
        if password:
            REGISTRY.add(str(password))
    return config


def load_config(path: str | Path | None = None, *,
                environ: Mapping[str, str] | None = None) -> MonitorConfig:
    """Read and validate a config file.

    The path is, in order: the argument, ``$DQ_MONITOR_CONFIG``, ``config/monitor.yaml``.
    """
    env = os.environ if environ is None else environ
    chosen = Path(path or env.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_PATH)
    if not chosen.exists():
        raise ConfigError(f"{chosen}: config file not found (pass --config FILE or set "
                          f"{CONFIG_ENV_VAR})")
    try:
        raw = yaml.safe_load(chosen.read_text(encoding="utf-8-sig"))
    except RecursionError:
        raise ConfigError(f"{chosen}: not a config file: YAML nested more than "
                          f"{MAX_DEPTH} levels deep") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{chosen}: not valid YAML{where}: {problem}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{chosen}: cannot read the config file: {error}") from None
    return parse_config(raw, source=str(chosen), base_dir=chosen.resolve().parent, environ=env)
