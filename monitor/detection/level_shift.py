"""Level-shift confirmation: when a move away from the baseline has become the new normal.

A shift is confirmed when, over the last ``span`` points (a few days), the *median*
score of the points that can show a shift lies beyond half the band on one side, at
least three of them were beyond the band on that side, and the oldest and the newest
of them are.
The median makes the rule work on noisy series, where a real shift leaves some points
inside the band; requiring the newest point to be shifted keeps an incident that just
ended from being taken as the new level.
"""

from __future__ import annotations

from collections import deque

import numpy as np

MIN_SHIFT_HITS = 3


class ShiftWatch:
    """Scores of recent informative points, to confirm a lasting shift.

    >>> watch = ShiftWatch(span=4, threshold=2.0)
    >>> [watch.add(i, 9.0, 1) for i in range(4)]
    [0, 0, 0, 1]
    >>> watch.start
    0
    """

    def __init__(self, span: int, threshold: float) -> None:
        self.span = span
        self.threshold = threshold
        self.points: deque[tuple[int, float, int]] = deque()
        self.since = 0
        self.streak = 0  # consecutive points beyond the band on one side, for the reason
        self.streak_side = 0

    @property
    def start(self) -> int:
        """Position of the oldest point in the window."""
        return self.points[0][0] if self.points else self.since

    def restart(self, position: int) -> None:
        """Forget everything before ``position`` (after a confirmed shift)."""
        self.points.clear()
        self.since = position
        self.streak = 0
        self.streak_side = 0

    def add(self, position: int, score: float, side: int) -> int:
        """Record a judged point; return +1/-1 when a shift up/down is confirmed, else 0."""
        if side != 0 and side == self.streak_side:
            self.streak += 1
        else:
            self.streak, self.streak_side = (1, side) if side else (0, 0)
        self.points.append((position, score, side))
        while self.points and self.points[0][0] <= position - self.span:
            self.points.popleft()
        if position - self.since + 1 < self.span or len(self.points) < MIN_SHIFT_HITS:
            return 0
        if side == 0 or abs(score) <= self.threshold or np.sign(score) != side:
            return 0
        if self.points[0][2] != side:
            return 0  # the move must span the whole window: a 3-day incident is not a shift
        scores = np.fromiter((item[1] for item in self.points), dtype=float)
        middle = float(np.median(scores))
        if side * middle <= self.threshold:
            return 0
        hits = sum(1 for item in self.points if item[2] == side)
        return side if hits >= MIN_SHIFT_HITS else 0


class PhaseWatch:
    """A shift of one calendar phase: the last few Saturdays (or Mondays 9:00) all moved.

    A weekly pattern can change (a table stops loading on weekends, a Monday batch
    appears). Such points never run consecutively, so :class:`ShiftWatch` does not see
    them, and without this they would be flagged every week forever. Once the last
    ``cycles`` occurrences of a phase were all beyond the band on the same side, the
    phase is re-learned from them.

    >>> watch = PhaseWatch(cycles=3)
    >>> [watch.add(phase=5, position=p, side=-1) for p in (5, 12, 19)]
    [None, None, [5, 12, 19]]
    """

    def __init__(self, cycles: int) -> None:
        self.cycles = cycles
        self.recent: dict[int, deque[tuple[int, int]]] = {}

    def restart(self) -> None:
        self.recent.clear()

    def add(self, phase: int, position: int, side: int) -> list[int] | None:
        """Record a judged point; return the positions that confirm a phase shift."""
        seen = self.recent.setdefault(phase, deque(maxlen=self.cycles))
        seen.append((position, side))
        if side == 0 or len(seen) < self.cycles or any(s != side for _, s in seen):
            return None
        positions = [p for p, _ in seen]
        seen.clear()
        return positions
