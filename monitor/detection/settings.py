"""How a detector judges one metric: typed settings and good defaults per metric kind.

A table's ``detection:`` section is parsed once, when the config loads, into a
``DetectionConfig``: one ``DetectionOverride`` per entry (``volume``, or a kind and one
column, ``null_rate.email``), each holding the validated settings it sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from monitor.errors import ConfigError


class MetricKind(StrEnum):
    """What a series measures; decides direction, units and floors by default."""

    VOLUME = "volume"  # rows per bucket
    NULL_RATE = "null_rate"  # fraction 0..1
    FRESHNESS = "freshness"  # lag in seconds since the newest loaded row
    ARRIVAL_DELAY = "arrival_delay"  # seconds between a bucket's start and its arrival
    DISTRIBUTION = "distribution"  # mean, stddev, distinct count of a column

    @classmethod
    def parse(cls, name: str) -> MetricKind:
        """Read a kind from config or the CLI; ``level`` is an alias of ``distribution``.

        >>> MetricKind.parse("level")
        <MetricKind.DISTRIBUTION: 'distribution'>
        """
        key = str(name).strip().lower().replace("-", "_")
        key = _KIND_ALIASES.get(key, key)
        try:
            return cls(key)
        except ValueError:
            known = ", ".join(sorted({*(k.value for k in cls), *_KIND_ALIASES}))
            raise ConfigError(f"unknown metric kind {name!r} (known: {known})") from None


_KIND_ALIASES = {"level": "distribution", "rows": "volume", "lag": "freshness"}

# Band half-width in robust sigmas. A larger number means a wider band and fewer alerts:
# "high" sensitivity is the narrow band.
SENSITIVITY_PRESETS: dict[str, float] = {"low": 5.0, "medium": 4.0, "high": 3.0}

Direction = Literal["up", "down", "both"]
Seasonality = Literal["auto", "weekly", "daily", "none"]
Transform = Literal["none", "log"]


class DetectorSettings(BaseModel):
    """Settings of the detectors for one metric (one ``detection:`` entry of the config).

    ``None`` in ``training_window``, ``min_history`` and ``shift_confirm`` means: derive
    from the series' cadence (8 weeks, 1 week and 3 days of points).

    >>> DetectorSettings(sensitivity="high", direction="up").sensitivity
    3.0
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    sensitivity: float = Field(
        SENSITIVITY_PRESETS["medium"],
        gt=0,
        le=50,
        description="band half-width in robust sigmas, or low/medium/high",
    )
    direction: Direction = "both"
    min_change: float = Field(0.0, ge=0, description="absolute change needed before alerting")
    min_relative_change: float = Field(
        0.0, ge=0, description="change as a fraction of the expected value needed to alert"
    )
    min_scale: float = Field(0.0, ge=0, description="floor of the robust scale, metric units")
    seasonality: Seasonality = "auto"
    transform: Transform = Field(
        "none", description="'log' judges relative changes (counts); 'none' absolute ones"
    )
    trend: bool = Field(False, description="add a robust linear trend to the baseline")
    training_window: int | None = Field(None, ge=3, description="past points used for training")
    min_history: int | None = Field(None, ge=1, description="points needed to leave 'learning'")
    shift_confirm: int | None = Field(
        None, ge=2, description="points beyond the band on one side that confirm a level shift"
    )
    max_null_rate: float | None = Field(None, ge=0, le=1, description="absolute null-rate limit")
    zero_rows_rule: bool = Field(
        True,
        description="alert on empty buckets that usually have rows, and on a growing row "
        "count (snapshot) that stopped growing",
    )
    precedent: bool = Field(
        False,
        description="hold back an alert when the series moved as far the same way within "
        "its training window (opt-in)",
    )

    @field_validator("sensitivity", mode="before")
    @classmethod
    def _preset(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in SENSITIVITY_PRESETS:
            return SENSITIVITY_PRESETS[value.strip().lower()]
        if isinstance(value, str) and not value.strip().replace(".", "", 1).isdigit():
            raise ValueError(f"expected {', '.join(SENSITIVITY_PRESETS)} or a number of "
                             f"robust sigmas such as 3.5")
        return value

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None, *, where: str = "detection") -> DetectorSettings:
        """Validate a config mapping; every problem is reported in one :class:`ConfigError`.

        >>> DetectorSettings.parse({"sensitivity": "low"}).sensitivity
        5.0
        """
        return _validated(cls, {}, raw, where)

    def merged(self, overrides: Mapping[str, Any] | None, *, where: str = "detection") -> Self:
        """These settings with ``overrides`` (a config mapping) applied on top.

        >>> defaults_for(MetricKind.NULL_RATE).merged({"min_change": 0.02}).direction
        'up'
        """
        return _validated(type(self), self.model_dump(exclude_unset=False), overrides, where)


def _validated(model: type, base: dict[str, Any], raw: Any, where: str) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a mapping of settings, got {type(raw).__name__}")
    try:
        return model.model_validate({**base, **raw})
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "(settings)"
            if item["type"] == "extra_forbidden":
                allowed = ", ".join(model.model_fields)
                problems.append(f"{where}.{key}: unknown setting (allowed: {allowed})")
            else:
                problems.append(f"{where}.{key}: {item['msg']} (got {item.get('input')!r})")
        raise ConfigError("; ".join(problems), details={"problems": problems}) from None


_DEFAULTS: dict[MetricKind, dict[str, Any]] = {
    # Counts move multiplicatively: judge them in log space. Real daily counts move by
    # 10-20% on schedule changes and holidays (measured on the real-series benchmark's
    # tuning half): a 20% floor keeps those quiet; partial loads and duplicates are larger.
    # Growing tables (row-count snapshots) need the trend, or the band lags behind.
    MetricKind.VOLUME: {
        "direction": "both",
        "transform": "log",
        "min_change": 1.0,
        "min_relative_change": 0.2,
        "trend": True,
    },
    # A fraction 0..1. A floor of one and a half percentage points keeps 0% -> 1% quiet
    # on columns that are normally never null, while 0% -> 2% still fires. (1.5 rather
    # than 1 point: real null counts of flight columns wobble by a point between their
    # storms; the real-series benchmark's tuning half, F1 0.23 -> 0.24, false alarms
    # 0.61 -> 0.57 per series and 30 days.)
    MetricKind.NULL_RATE: {
        "direction": "up",
        "min_change": 0.015,
        "min_scale": 0.0025,
    },
    # Seconds. Ten minutes or a quarter of the usual lag, whichever is larger.
    MetricKind.FRESHNESS: {
        "direction": "up",
        "min_change": 600.0,
        "min_relative_change": 0.25,
        "min_scale": 60.0,
    },
    MetricKind.ARRIVAL_DELAY: {
        "direction": "up",
        "min_change": 900.0,
        "min_relative_change": 0.25,
        "min_scale": 60.0,
    },
    # Mean, stddev, distinct count, shares: both ways. Real shares and means move 3-5% on
    # ordinary days and 5-15% on holiday weekends and schedule changes (a carrier's share
    # of a day's flights; the real-series benchmark's tuning half): a 10% floor (5% there:
    # F1 0.21, 0.71 false alarms per series and 30 days; 10%: 0.22 and 0.54).
    # The trend: a distinct count grows with its table. Judged as they are: on the log
    # scale (``transform: log``) the real-series tuning half's false alarms fell 0.54 ->
    # 0.20 per series and 30 days (means of delays are heavy-tailed upward; F1 0.22 ->
    # 0.21), but the demo's order amounts then raised two false alarms at the 10% floor,
    # so the log scale is an option for heavy-tailed means (docs/detection.md).
    MetricKind.DISTRIBUTION: {
        "direction": "both",
        "min_relative_change": 0.1,
        "trend": True,
    },
}


def defaults_for(kind: MetricKind | str) -> DetectorSettings:
    """Default settings for a metric kind (``MetricKind`` or its name).

    >>> defaults_for("null_rate").direction, defaults_for("volume").direction
    ('up', 'both')
    """
    return DetectorSettings(**_DEFAULTS[MetricKind.parse(kind)])


def settings_for(
    kind: MetricKind | str, overrides: Mapping[str, Any] | None = None, *, where: str = "detection"
) -> DetectorSettings:
    """Defaults for ``kind`` with a config mapping applied, e.g. ``{"sensitivity": "high"}``.

    >>> settings_for("volume", {"sensitivity": "high"}).sensitivity
    3.0
    """
    return defaults_for(kind).merged(overrides, where=where)


class DetectionOverride(BaseModel):
    """One ``detection:`` entry: the settings it sets, for a metric kind or one of its columns.

    >>> entry = DetectionOverride.parse("null_rate.email", {"sensitivity": "high"})
    >>> entry.kind, entry.column, entry.changes()
    (<MetricKind.NULL_RATE: 'null_rate'>, 'email', {'sensitivity': 3.0})
    """

    model_config = ConfigDict(frozen=True)

    key: str  # as written in the config
    kind: MetricKind
    column: str | None = None
    #: Validated; only the settings the entry names (``model_fields_set``) apply.
    settings: DetectorSettings

    @classmethod
    def parse(cls, key: Any, raw: Any) -> DetectionOverride:
        """Validate one entry; ConfigError (``details["problems"]``: ``key.setting: why``)."""
        where = str(key)
        name, _, column = where.partition(".")
        try:
            kind = MetricKind.parse(name)
        except ConfigError as error:
            raise ConfigError(f"{where}: {error}", details={"problems": [
                f"{where}: {error}"]}) from None
        settings = DetectorSettings.parse(raw, where=where) if isinstance(raw, Mapping) else None
        if settings is None:
            problem = f"{where}: expected a mapping of settings, got {type(raw).__name__}"
            raise ConfigError(problem, details={"problems": [problem]})
        return cls(key=where, kind=kind, column=column or None, settings=settings)

    def changes(self) -> dict[str, Any]:
        """The settings this entry sets, validated (presets already numbers)."""
        return {name: getattr(self.settings, name) for name in DetectorSettings.model_fields
                if name in self.settings.model_fields_set}


class DetectionConfig(BaseModel):
    """A table's ``detection:`` section, parsed: the entries in the order written.

    >>> config = DetectionConfig.parse({"volume": {"sensitivity": "low"}})
    >>> config.settings(MetricKind.VOLUME).sensitivity, config.settings("null_rate").sensitivity
    (5.0, 4.0)
    """

    model_config = ConfigDict(frozen=True)

    entries: tuple[DetectionOverride, ...] = ()

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | None) -> DetectionConfig:
        """Validate every entry; one ConfigError lists all problems (``key.setting: why``)."""
        if raw is None:
            return cls()
        if not isinstance(raw, Mapping):
            problem = (f"expected a mapping of metric kinds to settings, got "
                       f"{type(raw).__name__}")
            raise ConfigError(problem, details={"problems": [f": {problem}"]})
        entries, problems = [], []
        for key, value in raw.items():
            try:
                entries.append(DetectionOverride.parse(key, value))
            except ConfigError as error:
                problems += error.details.get("problems") or [f"{key}: {error}"]  # type: ignore[operator]
        if problems:
            raise ConfigError("; ".join(map(str, problems)), details={"problems": problems})
        return cls(entries=tuple(entries))

    def overrides(self, kind: MetricKind | str, column: str = "") -> dict[str, Any]:
        """What the entries set for ``kind``: ``<kind>`` entries, then ``<kind>.<column>``."""
        kind = MetricKind.parse(kind)
        general: dict[str, Any] = {}
        specific: dict[str, Any] = {}
        for entry in self.entries:
            if entry.kind is not kind:
                continue
            if entry.column is None:
                general.update(entry.changes())
            elif entry.column == column:
                specific.update(entry.changes())
        return {**general, **specific}

    def settings(self, kind: MetricKind | str, column: str = "", *,
                 extra: Mapping[str, Any] | None = None) -> DetectorSettings:
        """Defaults for ``kind`` with the entries on top (and ``extra`` under them)."""
        changes = {**(extra or {}), **self.overrides(kind, column)}
        return defaults_for(kind).model_copy(update=changes)
