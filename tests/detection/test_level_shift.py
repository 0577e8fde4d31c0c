from __future__ import annotations

from monitor.detection.level_shift import PhaseWatch, ShiftWatch


def _feed(watch: ShiftWatch, scores: list[float], band: float = 4.0) -> list[int]:
    out = []
    for position, score in enumerate(scores):
        side = 1 if score > band else -1 if score < -band else 0
        out.append(watch.add(position, score, side))
    return out


class TestShiftWatch:
    def test_confirms_once_the_move_spans_the_window(self):
        watch = ShiftWatch(span=4, threshold=2.0)

        confirmed = _feed(watch, [0.1, -0.3, 9.0, 8.0, 9.5, 8.7])

        assert confirmed == [0, 0, 0, 0, 0, 1]
        assert watch.start == 2

    def test_a_short_incident_that_ended_is_not_a_shift(self):
        watch = ShiftWatch(span=4, threshold=2.0)

        confirmed = _feed(watch, [0.0, -9.0, -9.0, -9.0, 0.2, -0.1, 0.3])

        assert set(confirmed) == {0}

    def test_a_noisy_shift_with_points_back_in_the_band_is_confirmed(self):
        watch = ShiftWatch(span=6, threshold=2.0)

        confirmed = _feed(watch, [0.0, 5.0, 3.5, 6.0, 4.5, 2.5, 5.5])

        assert confirmed[-1] == 1

    def test_counts_a_streak_for_the_reason(self):
        watch = ShiftWatch(span=10, threshold=2.0)

        _feed(watch, [5.0, 6.0, -5.0, -6.0, -7.0])

        assert (watch.streak, watch.streak_side) == (3, -1)

    def test_restart_forgets_the_window(self):
        watch = ShiftWatch(span=3, threshold=2.0)
        _feed(watch, [9.0, 9.0])

        watch.restart(2)

        assert watch.add(2, 9.0, 1) == 0
        assert watch.start == 2


class TestPhaseWatch:
    def test_confirms_after_the_same_phase_moved_three_times_in_a_row(self):
        watch = PhaseWatch(cycles=3)

        results = [watch.add(5, position, -1) for position in (5, 12, 19)]

        assert results == [None, None, [5, 12, 19]]

    def test_an_ordinary_occurrence_in_between_resets(self):
        watch = PhaseWatch(cycles=3)

        results = [watch.add(5, p, side) for p, side in ((5, -1), (12, 0), (19, -1), (26, -1))]

        assert results == [None, None, None, None]

    def test_phases_are_tracked_apart(self):
        watch = PhaseWatch(cycles=2)

        assert watch.add(1, 1, 1) is None
        assert watch.add(2, 2, 1) is None
        assert watch.add(1, 8, 1) == [1, 8]
