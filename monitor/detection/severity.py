"""Severity policy: how bad an anomaly is, by metric kind and the size of the deviation.

Limits you configured yourself (an empty bucket, a freshness or arrival SLA, a
``max_null_rate``) are rules: breaking one is ``critical``. Anomalies the
detectors learned are graded by how far they are from the expected value:

==============  ===========================================  =================
kind            critical when                                setting (default)
==============  ===========================================  =================
volume          rows at or below a share of the expected,    ``volume_drop``
                or at or above a multiple of it              (0.5),
                                                             ``volume_rise``
                                                             (2.0)
null_rate       the rate rises by at least these many        ``null_rate_points``
                percentage points over the expected          (10)
freshness,      beyond the SLA (a rule); without an SLA at   ``lag_factor``
arrival_delay   or above a multiple of the usual maximum     (2.0)
distribution    at least these many band half-widths away    ``band_multiple``
                from the expected value                      (3.0)
==============  ===========================================  =================

Everything else that is anomalous is a ``warning``. The settings come from
``severity:`` at the top of the config, then the table's ``severity:``, then
``severity.checks.<check>`` (a mapping of the same settings, or a fixed
``critical`` / ``warning`` / ``info``), each overriding the one before.

>>> policy = SeverityPolicy()
>>> policy.grade("volume", value=2000.0, expected=1000.0, upper=1200.0)
'critical'
>>> policy.grade("null_rate", value=0.43, expected=0.03, upper=0.05)
'critical'
>>> policy.grade("freshness", value=27 * 3600.0, expected=20 * 3600.0,
...              upper=24 * 3600.0, sla_seconds=30 * 3600.0)
'warning'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Level = Literal["critical", "warning", "info"]
LEVELS: tuple[Level, ...] = ("critical", "warning", "info")
#: Detector names whose hits are broken rules (``rules.zero_rows``, ``rules.above_limit``).
RULE_PREFIX = "rules"


class SeverityThresholds(BaseModel):
    """The policy's numbers as written in the config; ``None`` inherits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    volume_drop: float | None = Field(default=None, ge=0, lt=1)
    volume_rise: float | None = Field(default=None, gt=1)
    null_rate_points: float | None = Field(default=None, gt=0, le=100)
    lag_factor: float | None = Field(default=None, gt=1)
    band_multiple: float | None = Field(default=None, gt=0)


class SeveritySettings(SeverityThresholds):
    """``severity:`` of the config or of a table: thresholds plus per-check overrides."""

    #: By check key (``volume:row_count``, ``null_rate:email``, ``freshness``, ``schema``,
    #: ``rule:min_row_count``): fixed severity, or thresholds for that check only.
    checks: dict[str, Level | SeverityThresholds] = Field(default_factory=dict)

    @field_validator("checks", mode="before")
    @classmethod
    def _one_error_per_check(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, str) and item not in LEVELS:
                    raise ValueError(f"checks.{key}: expected one of {', '.join(LEVELS)} "
                                     f"or a mapping of thresholds, got {item!r}")
        return value


@dataclass(frozen=True)
class SeverityPolicy:
    """Resolved thresholds for one check, and a fixed severity if the config sets one."""

    volume_drop: float = 0.5
    volume_rise: float = 2.0
    null_rate_points: float = 10.0
    lag_factor: float = 2.0
    band_multiple: float = 3.0
    fixed: Level | None = None

    def merged(self, layer: SeverityThresholds | None) -> SeverityPolicy:
        """This policy with the settings ``layer`` sets on top."""
        if layer is None:
            return self
        changes = {f.name: getattr(layer, f.name) for f in fields(self)
                   if f.name != "fixed" and getattr(layer, f.name, None) is not None}
        return replace(self, **changes)

    def grade(self, kind: str, *, value: float, expected: float, upper: float | None = None,
              lower: float | None = None, detector: str = "", direction: str | None = None,
              sla_seconds: float | None = None) -> Level:
        """The severity of an anomalous point (call it only for anomalies)."""
        if self.fixed is not None:
            return self.fixed
        if detector.split(".", 1)[0] == RULE_PREFIX:
            return "critical"
        if not (_finite(value) and _finite(expected)):
            return "warning"
        kind = str(getattr(kind, "value", kind))
        if kind == "volume":
            return _at_least(self._volume(value, expected))
        if kind == "null_rate":
            return _at_least(_reaches((value - expected) * 100.0, self.null_rate_points))
        if kind in ("freshness", "arrival_delay"):
            if sla_seconds is not None:
                return _at_least(value > sla_seconds)
            usual = upper if upper is not None and _finite(upper) and upper > 0 else expected
            return _at_least(usual > 0 and _reaches(value, self.lag_factor * usual))
        bound = upper if value >= expected else lower
        if bound is None or not _finite(bound) or bound == expected:
            return "warning"
        return _at_least(_reaches(abs(value - expected),
                                  self.band_multiple * abs(bound - expected)))

    def _volume(self, value: float, expected: float) -> bool:
        if expected <= 0:  # rows where none are usual: a rise, but not measurable as a ratio
            return False
        ratio = value / expected
        return _reaches(self.volume_drop, ratio) or _reaches(ratio, self.volume_rise)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(float(value))


def _reaches(value: float, limit: float) -> bool:
    """``value >= limit``, where a value a rounding error short counts (80 / 40.00000000000001)."""
    return value >= limit or math.isclose(value, limit, rel_tol=1e-9)


def _at_least(critical: bool) -> Level:
    return "critical" if critical else "warning"


def policy_for(check: str, *layers: SeveritySettings | None) -> SeverityPolicy:
    """The policy of one check: defaults, then each layer (config, table) in order.

    >>> table = SeveritySettings(null_rate_points=5, checks={"null_rate:note": "info"})
    >>> policy_for("null_rate:email", table).null_rate_points
    5.0
    >>> policy_for("null_rate:note", table).fixed
    'info'
    """
    policy = SeverityPolicy()
    for layer in layers:
        if layer is None:
            continue
        policy = policy.merged(layer)
        override = layer.checks.get(check)
        if isinstance(override, str):
            policy = replace(policy, fixed=override)
        elif override is not None:
            policy = replace(policy.merged(override), fixed=None)
    return policy


def fixed_severity(check: str, default: Level, *layers: SeveritySettings | None) -> Level:
    """A finding's severity with ``checks.<check>`` applied (schema, rules, gate checks)."""
    return policy_for(check, *layers).fixed or default


#: The gate's own checks, by the check key their run-time counterparts use in ``checks``.
GATE_CHECKS = {"volume": "volume:row_count", "freshness": "freshness"}


def gate_severity(check: str, default: Level, *layers: SeveritySettings | None) -> Level:
    """A gate check's severity (critical blocks) with ``checks.<check>`` applied.

    The gate's ``volume`` and ``freshness`` follow ``volume:row_count`` and
    ``freshness``; suite checks their ``suite:...`` key.

    >>> table = SeveritySettings(checks={"volume:row_count": "warning"})
    >>> gate_severity("volume", "critical", table)
    'warning'
    """
    return fixed_severity(GATE_CHECKS.get(check, check), default, *layers)
