"""Turn a detector's arrays into :class:`Detection` objects with one-line reasons."""

from __future__ import annotations

import math

import numpy as np

from monitor.detection.result import Bands, Detection, State, as_datetimes, side_name
from monitor.detection.series import Series
from monitor.detection.wording import Unit, deviation_reason, within_reason


def _reason(bands: Bands, i: int, value: float, label: str, unit: Unit, min_history: int) -> str:
    state = bands.state[i]
    expected, lower, upper = bands.expected[i], bands.lower[i], bands.upper[i]
    context = bands.context[i]
    if state is State.MISSING:
        text = "no value for this bucket"
    elif state is State.LEARNING:
        text = (
            f"learning: {bands.history[i]} of {min_history} points of history so far; "
            "only hard rules apply"
        )
    elif not math.isfinite(expected):
        text = "no baseline for this point"
    elif bands.side[i] or bands.anomaly[i]:
        text = deviation_reason(label, value, expected, lower, upper, unit, context)
    else:
        text = within_reason(label, value, lower, upper, unit, context)
    if state is State.EXPECTED:
        text = f"labeled expected by a user ({text})"
    if bands.note[i]:
        text = f"{text}; {bands.note[i]}"
    return text


def _direction(bands: Bands, i: int) -> str | None:
    if bands.side[i]:
        return side_name(int(bands.side[i]))
    score = float(bands.score[i])
    return side_name(int(np.sign(score))) if math.isfinite(score) else None


def explain(
    series: Series,
    bands: Bands,
    *,
    label: str,
    unit: Unit,
    detector: str,
    min_history: int = 0,
) -> list[Detection]:
    """One :class:`Detection` per point of ``series`` from the arrays in ``bands``."""
    stamps = as_datetimes(series.timestamps)
    out: list[Detection] = []
    for i, stamp in enumerate(stamps):
        value = float(series.values[i])
        reason = _reason(bands, i, value, label, unit, min_history)
        if series.excluded[i]:
            reason += "; labeled incident by a user, kept out of training"
        anomaly = bool(bands.anomaly[i])
        out.append(
            Detection(
                timestamp=stamp,
                value=value,
                expected=float(bands.expected[i]),
                lower=float(bands.lower[i]),
                upper=float(bands.upper[i]),
                score=float(bands.score[i]),
                is_anomaly=anomaly,
                direction=_direction(bands, i) if anomaly else None,
                state=bands.state[i],
                reason=reason,
                detector=detector,
            )
        )
    return out
