"""Detectors on plain metric series: robust seasonal baseline, rules, timeliness, schema diff.

Everything here is a pure function of arrays; nothing touches a database. The app calls
:func:`detect_metric`; the CLI's backtest uses :mod:`monitor.detection.backtest`; distribution drift
(quantile sketches, value shares) is :mod:`monitor.detection.drift`.
"""

from monitor.detection.backtest import backtest, read_series_csv, sensitivity_sweep
from monitor.detection.detect import Detector, detect_metric
from monitor.detection.result import Detection, State
from monitor.detection.schema_change import ChangeKind, SchemaChange, diff_schema
from monitor.detection.series import Series
from monitor.detection.settings import (
    SENSITIVITY_PRESETS,
    DetectorSettings,
    MetricKind,
    defaults_for,
    settings_for,
)
from monitor.detection.timeliness import arrival_delays, detect_late_arrivals, detect_stalls

__all__ = [
    "SENSITIVITY_PRESETS",
    "ChangeKind",
    "Detection",
    "Detector",
    "DetectorSettings",
    "MetricKind",
    "SchemaChange",
    "Series",
    "State",
    "arrival_delays",
    "backtest",
    "defaults_for",
    "detect_late_arrivals",
    "detect_metric",
    "detect_stalls",
    "diff_schema",
    "read_series_csv",
    "sensitivity_sweep",
    "settings_for",
]
