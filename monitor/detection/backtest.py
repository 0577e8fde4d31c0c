"""Backtests: read a ``timestamp,value`` CSV, judge it walk-forward, count alerts per preset."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from monitor.detection.detect import detect_metric
from monitor.detection.series import Series
from monitor.detection.settings import (
    SENSITIVITY_PRESETS,
    DetectorSettings,
    MetricKind,
    defaults_for,
)
from monitor.errors import InputError

_MISSING = {"", "nan", "null", "none", "na", "n/a"}
_LABELS = {"": None, "expected": "expected", "incident": "incident"}


def _is_header(row: list[str]) -> bool:
    return bool(row) and row[0].strip().lower() in {"timestamp", "ts", "time", "date"}


def _value(text: str, where: str) -> float:
    if text.strip().lower() in _MISSING:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{where}: value {text!r} is not a number") from None


def read_series_csv(path: str | Path) -> Series:
    """Read a CSV of ``timestamp,value`` rows (a header row is optional).

    Timestamps are ISO 8601 (``2024-01-31``, ``2024-01-31T14:00:00Z``; naive ones are
    UTC). An empty value or ``nan``/``null`` is a missing point. A third column
    ``label`` (with a header) may say ``expected`` or ``incident``. Malformed rows
    raise :class:`InputError` naming the file and line; a UTF-8 BOM is fine.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("timestamp,value\\n2024-01-01,10\\n2024-01-02,\\n")
    >>> read_series_csv(f.name).values.tolist()
    [10.0, nan]
    >>> os.unlink(f.name)
    """
    import pandas as pd

    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [(number, row) for number, row in enumerate(csv.reader(handle), start=1)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise InputError(f"{path}: cannot be read as a UTF-8 CSV: {error}") from error
    rows = [(number, row) for number, row in rows if any(cell.strip() for cell in row)]
    has_labels = False
    if rows and _is_header(rows[0][1]):
        header = [cell.strip().lower() for cell in rows[0][1]]
        has_labels = len(header) >= 3 and header[2] == "label"
        rows = rows[1:]
    if not rows:
        raise InputError(f"{path}: no data rows (expected lines of timestamp,value)")
    width = 3 if has_labels else 2
    stamps, values, expected, excluded = [], [], [], []
    for number, row in rows:
        where = f"{path}, line {number}"
        if not (2 <= len(row) <= width):
            raise InputError(
                f"{where}: expected {width if has_labels else 2} fields "
                f"(timestamp,value{',label' if has_labels else ''}), got {len(row)}: {row!r}"
            )
        stamps.append(row[0].strip())
        values.append(_value(row[1], where))
        label = row[2].strip().lower() if len(row) > 2 else ""
        if label not in _LABELS:
            raise InputError(f"{where}: label {row[2]!r} is not 'expected' or 'incident'")
        expected.append(label == "expected")
        excluded.append(label == "incident")
    parsed = pd.to_datetime(
        pd.Series(stamps, dtype=object), utc=True, errors="coerce", format="ISO8601"
    )
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        number = rows[bad[0]][0]
        raise InputError(
            f"{path}, line {number}: timestamp {stamps[bad[0]]!r} is not ISO 8601 "
            "(e.g. 2024-01-31 or 2024-01-31T14:00:00Z)"
        )
    moments = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    seen: dict[np.datetime64, int] = {}
    for position, moment in enumerate(moments):
        if moment in seen:
            raise InputError(
                f"{path}, line {rows[position][0]}: timestamp {stamps[position]!r} repeats "
                f"line {seen[moment]}"
            )
        seen[moment] = rows[position][0]
    return Series(moments, np.array(values), np.array(excluded), np.array(expected))


def backtest(
    series: Series,
    kind: MetricKind | str,
    settings: DetectorSettings | None = None,
    *,
    sla_seconds: float | None = None,
) -> list[dict[str, Any]]:
    """JSON-ready records, one per point, judged walk-forward.

    Each record has ``timestamp`` (ISO 8601), ``value``, ``expected``, ``lower``,
    ``upper``, ``score``, ``is_anomaly``, ``direction``, ``state``, ``reason`` and
    ``detector``; unknown numbers are ``None``.

    >>> days = np.arange("2024-01-01", "2024-01-04", dtype="datetime64[D]")
    >>> records = backtest(Series(days, [5.0, 6.0, float("nan")]), "level")
    >>> records[2]["timestamp"], records[2]["value"], records[2]["state"]
    ('2024-01-03T00:00:00', None, 'missing')
    """
    detections = detect_metric(series, kind, settings, sla_seconds=sla_seconds)
    return [detection.to_dict() for detection in detections]


def sensitivity_sweep(
    series: Series,
    kind: MetricKind | str,
    settings: DetectorSettings | None = None,
    *,
    sla_seconds: float | None = None,
) -> dict[str, int]:
    """How many points each sensitivity preset would have flagged over the series.

    >>> days = np.arange("2024-01-01", "2024-03-01", dtype="datetime64[D]")
    >>> rows = np.round(1000 * np.exp(np.random.default_rng(1).normal(0, 0.05, days.size)))
    >>> rows[-1] = 770.0
    >>> sensitivity_sweep(Series(days, rows), "volume")
    {'low': 0, 'medium': 1, 'high': 1}
    """
    base = settings or defaults_for(kind)
    counts = {}
    for name in SENSITIVITY_PRESETS:
        tuned = base.merged({"sensitivity": name})
        detections = detect_metric(series, kind, tuned, sla_seconds=sla_seconds)
        counts[name] = sum(detection.is_anomaly for detection in detections)
    return counts
