"""What a detector says about each point: expected value, band, score, verdict, reason."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import numpy as np


class State(StrEnum):
    """Verdict of one point."""

    OK = "ok"
    ANOMALY = "anomaly"
    LEARNING = "learning"  # too little history to judge; only hard rules apply
    EXPECTED = "expected"  # labeled expected by a user: never an anomaly
    MISSING = "missing"  # no value for this bucket


def _finite_or_none(value: float) -> float | None:
    return value if isinstance(value, float) and math.isfinite(value) else None


@dataclass(frozen=True)
class Detection:
    """The judgement of one point of a series.

    ``score`` is a signed robust z-like score (positive above the expected value);
    ``lower``/``upper`` are the band outside which a point is an anomaly in a watched
    direction. Numbers may be NaN (unknown); :meth:`to_dict` turns those into ``None``.

    >>> d = Detection(datetime(2024, 1, 2), 412.0, 980.0, 870.0, 1090.0, -9.1, True,
    ...               "down", State.ANOMALY, "rows 412 are 58% below the usual 980", "seasonal")
    >>> d.to_dict()["timestamp"], d.to_dict()["state"]
    ('2024-01-02T00:00:00', 'anomaly')
    """

    timestamp: datetime
    value: float
    expected: float
    lower: float
    upper: float
    score: float
    is_anomaly: bool
    direction: str | None
    state: State
    reason: str
    detector: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ISO 8601 timestamp, plain strings, ``None`` for NaN or infinity."""
        return {
            "timestamp": self.timestamp.isoformat(),
            "value": _finite_or_none(float(self.value)),
            "expected": _finite_or_none(float(self.expected)),
            "lower": _finite_or_none(float(self.lower)),
            "upper": _finite_or_none(float(self.upper)),
            "score": _finite_or_none(float(self.score)),
            "is_anomaly": bool(self.is_anomaly),
            "direction": self.direction,
            "state": str(self.state),
            "reason": self.reason,
            "detector": self.detector,
        }


def _nan(size: int) -> np.ndarray:
    return np.full(size, np.nan)


@dataclass
class Bands:
    """Array form of a detector's output, one entry per point, before wording.

    Detectors fill this in a walk over the series and turn it into
    :class:`Detection` objects at the end; benchmarks read the arrays directly.
    ``side`` is +1 above the band, -1 below, 0 inside; ``context`` says which
    baseline judged the point (e.g. a weekday) and ``note`` adds a detail to the reason.
    """

    size: int
    expected: np.ndarray = field(init=False)
    lower: np.ndarray = field(init=False)
    upper: np.ndarray = field(init=False)
    score: np.ndarray = field(init=False)
    side: np.ndarray = field(init=False)
    anomaly: np.ndarray = field(init=False)
    state: list[State] = field(init=False)
    context: list[str] = field(init=False)
    note: list[str] = field(init=False)
    history: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.expected = _nan(self.size)
        self.lower = _nan(self.size)
        self.upper = _nan(self.size)
        self.score = _nan(self.size)
        self.side = np.zeros(self.size, dtype=np.int8)
        self.anomaly = np.zeros(self.size, dtype=bool)
        self.state = [State.OK] * self.size
        self.context = [""] * self.size
        self.note = [""] * self.size
        self.history = np.zeros(self.size, dtype=np.int64)


def side_name(side: int) -> str | None:
    """'up', 'down' or None for a side of +1, -1 or 0."""
    return "up" if side > 0 else "down" if side < 0 else None


def as_datetimes(timestamps: np.ndarray) -> list[datetime]:
    """Naive-UTC datetimes from datetime64 values (microsecond precision)."""
    return timestamps.astype("datetime64[us]").tolist()
