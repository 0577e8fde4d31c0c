"""Precedent: an alert is held back when the series already moved as far, the same way, lately.

Real series have their own storms: a flight table's cancellations jump to 25% on a
blizzard day, a mean delay doubles, a carrier's share moves on a holiday weekend. A band
wide enough for them would hide every real fault, so the band stays narrow, and a point
outside it is only alerted when its deviation from the expected value is larger than
every deviation on the same side among the earlier points of the training window. The
first storm alerts; the next, no bigger, is what the series does. A fault larger than
anything the series did lately still alerts at once.

Chosen on the real-series benchmark's tuning half (see ``docs/detection.md``).
"""

from __future__ import annotations

import math

import numpy as np

# Earlier deviations the window must hold before a precedent counts: a short history
# shows too little of the series' own storms.
MIN_PAST = 20


def precedent(past: np.ndarray, deviation: float) -> float:
    """The largest deviation in ``past`` on the side of ``deviation``, or NaN.

    ``past`` holds value minus expected value of earlier points (NaN for points that
    must not count: labeled incidents, rule hits, patterns not yet tested); with fewer
    than ``MIN_PAST`` finite ones there is no precedent.

    >>> past = np.array([np.nan, 0.1, -0.2, 3.0, 0.0] + [0.05] * 20)
    >>> float(precedent(past, 2.5)), float(precedent(past, -1.0))
    (3.0, 0.2)
    >>> math.isnan(precedent(past[:10], 2.5))
    True
    """
    past = past[np.isfinite(past)]
    if past.size < MIN_PAST or not math.isfinite(deviation) or deviation == 0:
        return math.nan
    same = past[np.sign(past) == np.sign(deviation)]
    return float(np.max(np.abs(same))) if same.size else math.nan


def has_precedent(past: np.ndarray, deviation: float) -> bool:
    """Whether ``past`` holds a deviation at least as large as ``deviation``, same side.

    >>> past = np.r_[np.zeros(19), 4.0, np.zeros(10)]
    >>> has_precedent(past, 3.0), has_precedent(past, 5.0), has_precedent(past, -3.0)
    (True, False, False)
    """
    largest = precedent(past, deviation)
    return math.isfinite(largest) and abs(deviation) <= largest
