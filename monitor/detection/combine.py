"""Merge the verdicts of several detectors on the same series into one per point."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from monitor.detection.result import Detection, State


def flagged_mask(detections: Sequence[Detection]) -> np.ndarray:
    """Boolean array: which points a detector flagged."""
    return np.fromiter((d.is_anomaly for d in detections), dtype=bool, count=len(detections))


def combine(primary: Sequence[Detection], rules: Sequence[Sequence[Detection]]) -> list[Detection]:
    """The primary (learned) verdict per point, overridden where a rule fired.

    A rule hit makes the point an anomaly even while the primary detector is
    learning; its reason wins because a broken hard limit is the clearer story. The
    first rule in ``rules`` that fired is reported; the band and score stay those of
    the primary detector, so the point can still be drawn against its band.

    >>> from datetime import datetime
    >>> ok = Detection(datetime(2024, 1, 1), 0.0, math.nan, math.nan, math.nan, math.nan,
    ...                False, None, State.LEARNING, "learning", "seasonal")
    >>> hit = dataclasses.replace(ok, is_anomaly=True, direction="down", state=State.ANOMALY,
    ...                           reason="rows 0: the bucket is empty", detector="rules.zero_rows")
    >>> merged = combine([ok], [[hit]])[0]
    >>> merged.state.value, merged.detector
    ('anomaly', 'rules.zero_rows')
    """
    out: list[Detection] = []
    for i, base in enumerate(primary):
        hit = next((rule[i] for rule in rules if rule[i].is_anomaly), None)
        if hit is None:
            out.append(base)
            continue
        expected = base.expected if math.isfinite(base.expected) else hit.expected
        out.append(
            dataclasses.replace(
                base,
                expected=expected,
                upper=base.upper if math.isfinite(base.upper) else hit.upper,
                is_anomaly=True,
                direction=hit.direction,
                state=State.ANOMALY,
                reason=hit.reason,
                detector=hit.detector,
            )
        )
    return out
