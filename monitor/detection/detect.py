"""The one entry point the app uses: judge a metric's series by its kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from monitor.detection import rules, seasonal, timeliness
from monitor.detection.calendar import holiday_mask
from monitor.detection.combine import combine, flagged_mask
from monitor.detection.result import Detection
from monitor.detection.series import Series
from monitor.detection.settings import DetectorSettings, MetricKind, defaults_for
from monitor.detection.wording import LABEL_FOR_KIND, UNIT_FOR_KIND
from monitor.errors import InputError


class Detector(Protocol):
    """A detector is a pure function of a plain series."""

    def __call__(self, series: Series, settings: DetectorSettings) -> list[Detection]: ...


def _rules_for(
    series: Series, kind: MetricKind, settings: DetectorSettings, sla_seconds: float | None
) -> tuple[list[list[Detection]], np.ndarray]:
    """History-free rules that apply to this kind (strongest first), and the points
    their hits keep out of the learned detector's training."""
    found: list[list[Detection]] = []
    keep_out = np.zeros(len(series), dtype=bool)
    if kind is MetricKind.VOLUME and settings.zero_rows_rule:
        window, _, _ = seasonal.resolved_windows(settings, series.step_seconds)
        zeros = rules.zero_row_hits(series, window=window)
        found.append(zeros.detections)
        keep_out |= zeros.confident
        stalls = rules.stalled_growth(series, window=window)
        found.append(stalls)
        keep_out |= flagged_mask(stalls)
    if kind is MetricKind.FRESHNESS and sla_seconds is not None:
        found.append(rules.freshness_sla(series, sla_seconds))
        keep_out |= flagged_mask(found[-1])
    if kind is MetricKind.NULL_RATE and settings.max_null_rate is not None:
        found.append(rules.null_rate_limit(series, settings.max_null_rate))
        keep_out |= flagged_mask(found[-1])
    return found, keep_out


def _rows_for(series: Series, rows: Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    if rows is None:
        return None
    counts = np.asarray(rows, dtype=float)
    if counts.shape != (len(series),):
        raise InputError(f"rows must have one count per point ({len(series)}), got {counts.shape}")
    return counts


def detect_metric(
    series: Series,
    kind: MetricKind | str,
    settings: DetectorSettings | None = None,
    *,
    sla_seconds: float | None = None,
    label: str | None = None,
    rows: Sequence[float] | np.ndarray | None = None,
    holidays: str | None = None,
) -> list[Detection]:
    """Judge every point of a metric's history, walk-forward, with the right detectors.

    Volume, null rate and distribution metrics use the robust seasonal detector;
    freshness (lag seconds) the stall detector; arrival delay the seasonal detector
    upward. History-free rules (empty bucket, freshness or arrival SLA, maximum null
    rate) run first: a rule hit is an anomaly even while the learned detector is still
    learning, and its points stay out of training.

    ``holidays`` names a public-holiday calendar (``"US"``; off by default): points on
    and next to its holidays get a wider band and stay out of training (volume, null
    rate and distribution metrics).

    >>> days = np.arange("2024-01-01", "2024-01-05", dtype="datetime64[D]")
    >>> out = detect_metric(Series(days, [1200.0, 1150.0, 1230.0, 0.0]), "volume")
    >>> [d.state.value for d in out], out[-1].reason
    (['learning', 'learning', 'learning', 'anomaly'], 'rows 0: the bucket is empty, \
where the last 3 buckets had 1,200 rows on median')
    """
    kind = MetricKind.parse(kind)
    settings = settings or defaults_for(kind)
    unit = UNIT_FOR_KIND[kind]
    if kind is MetricKind.ARRIVAL_DELAY:
        return timeliness.judge_delays(series, settings, sla_seconds=sla_seconds)
    found, flagged = _rules_for(series, kind, settings, sla_seconds)
    if kind is MetricKind.FRESHNESS:
        primary = timeliness.detect_stalls(series, settings, flagged=flagged)
    else:
        primary = seasonal.detect(
            series,
            settings,
            unit=unit,
            label=label or LABEL_FOR_KIND[kind],
            flagged=flagged,
            rows=_rows_for(series, rows),
            holidays=None if holidays is None else holiday_mask(series.timestamps, holidays),
        )
    return combine(primary, found)
