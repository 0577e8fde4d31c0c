from __future__ import annotations

import numpy as np
import pytest

from monitor.detection.result import State
from monitor.detection.series import Series
from monitor.detection.timeliness import (
    arrival_delays,
    detect_late_arrivals,
    detect_stalls,
    judge_delays,
    load_cadence,
    load_gap,
)
from monitor.errors import InputError

from .conftest import days, hours


def _saw_tooth(count: int, every_hours: int, seed: int = 0) -> np.ndarray:
    """Freshness lag (seconds) at hourly checks when a load lands every few hours."""
    jitter = np.random.default_rng(seed).uniform(0, 120, count)
    return 600.0 + (np.arange(count) % every_hours) * 3600.0 + jitter


def _flagged(detections) -> list[int]:
    return [i for i, d in enumerate(detections) if d.is_anomaly]


class TestLoadCadence:
    def test_median_gap_between_distinct_loads(self):
        arrived = ["2024-01-01T01:00", "2024-01-01T02:00", "2024-01-01T02:00", "2024-01-01T03:30"]
        arrived.append("2024-01-01T04:30")  # gaps 1h, 1h30, 1h

        assert load_cadence(arrived) == 3600.0

    def test_unknown_with_fewer_than_two_loads(self):
        assert np.isnan(load_cadence(["2024-01-01"]))


class TestArrivalDelays:
    def test_delay_is_arrival_minus_bucket_start(self):
        series = arrival_delays(["2024-01-01", "2024-01-02"], ["2024-01-01T02:30", None])

        assert series.values[0] == 2.5 * 3600
        assert np.isnan(series.values[1])

    def test_a_bucket_still_waiting_counts_its_wait_so_far(self):
        series = arrival_delays(["2024-01-02"], [None], now="2024-01-02T07:00")

        assert series.values.tolist() == [7 * 3600.0]

    def test_lengths_must_match(self):
        with pytest.raises(InputError, match="2 bucket starts but 1 arrival"):
            arrival_delays(["2024-01-01", "2024-01-02"], ["2024-01-01T01:00"])


class TestDetectLateArrivals:
    def test_a_late_bucket_is_flagged_against_the_usual_delay(self):
        starts = days(40)
        delays = 7200 + np.random.default_rng(1).uniform(-300, 300, 40)
        delays[-1] = 6 * 3600
        arrived = starts + (delays * 1e9).astype("timedelta64[ns]")

        detections = detect_late_arrivals(starts, arrived)

        assert _flagged(detections) == [39]
        assert detections[-1].reason.startswith("arrival delay 6h is ")
        assert detections[-1].expected == pytest.approx(np.median(delays[-57:-1]), rel=0.05)

    def test_early_arrivals_are_not_alerts(self):
        starts = days(40)
        delays = 7200 + np.random.default_rng(2).uniform(-300, 300, 40)
        delays[-1] = 60
        arrived = starts + (delays * 1e9).astype("timedelta64[ns]")

        assert _flagged(detect_late_arrivals(starts, arrived)) == []

    def test_the_sla_applies_from_the_first_bucket(self):
        starts = days(3)
        arrived = starts + np.array([1, 1, 9], dtype="timedelta64[h]")

        detections = detect_late_arrivals(starts, arrived, sla_seconds=4 * 3600)

        assert _flagged(detections) == [2]
        assert "beyond the arrival SLA" in detections[2].reason


class TestJudgeDelays:
    def test_learning_until_enough_buckets(self):
        detections = judge_delays(Series(days(3), [3600.0, 3700.0, 3650.0]))

        assert [d.state for d in detections] == [State.LEARNING] * 3


class TestDetectStalls:
    def test_a_stall_is_flagged_once_a_load_is_overdue(self):
        lag = _saw_tooth(24 * 14, every_hours=6)
        lag[-10:] = lag[-11] + 3600.0 * np.arange(1, 11)  # the loads stop

        detections = detect_stalls(Series(hours(lag.size), lag))

        cycle = 6 * 3600.0  # loads every six hours: overdue a quarter cycle after the next
        limit = cycle + max(600, 0.25 * cycle)
        over = [i for i in range(lag.size - 10, lag.size) if lag[i] > limit]
        assert _flagged(detections) == over[1:]  # from the second hourly check past it
        assert "no new data since" in detections[-1].reason

    def test_a_regular_saw_tooth_is_quiet(self):
        lag = _saw_tooth(24 * 21, every_hours=6, seed=3)

        assert _flagged(detect_stalls(Series(hours(lag.size), lag))) == []

    def test_a_slower_cadence_is_learned_after_three_cycles(self):
        lag = np.concatenate(
            [_saw_tooth(24 * 14, every_hours=1), _saw_tooth(24 * 7, every_hours=6)]
        )

        detections = detect_stalls(Series(hours(lag.size), lag))

        flagged = _flagged(detections)
        assert flagged
        assert max(flagged) < 24 * 14 + 3 * 6
        assert any("new cadence" in d.reason for d in detections)

    def test_missing_checks_are_missing(self):
        lag = _saw_tooth(24 * 10, every_hours=2)
        lag[100] = np.nan

        detections = detect_stalls(Series(hours(lag.size), lag))

        assert detections[100].state is State.MISSING


class TestLoadGap:
    def test_reads_the_load_cycle_back_from_the_lags(self):
        checks = np.arange(10) * 3600.0
        lags = 600.0 + (np.arange(10) % 3) * 3600.0  # a load 10 minutes past every 3rd hour

        assert load_gap(checks, lags) == 3 * 3600.0

    def test_needs_three_loads(self):
        assert np.isnan(load_gap(np.array([0.0, 3600.0]), np.array([60.0, 60.0])))


class TestSeasonalFreshness:
    def test_a_nightly_gap_that_recurs_raises_no_alarm_but_a_daytime_stall_does(self):
        stamps = hours(24 * 28)
        hour = np.arange(stamps.size) % 24
        # Rows stream in from 06:00 to 22:00; overnight the age grows to 8 hours.
        lag = np.where((hour >= 6) & (hour <= 22), 300.0, (((hour - 22) % 24) * 3600.0))
        lag = lag + np.random.default_rng(2).uniform(0, 120, stamps.size)
        stalled = lag.copy()
        stalled[-12:] = lag[-13] + 3600.0 * np.arange(1, 13)  # no rows since 11:00 today

        quiet = detect_stalls(Series(stamps, lag))
        loud = detect_stalls(Series(stamps, stalled))

        assert not any(d.is_anomaly for d in quiet)
        assert [d.is_anomaly for d in loud[-12:]].index(True) <= 2

    def test_a_daily_check_at_another_hour_is_judged_by_the_load_cycle(self):
        # Daily checks at 06:00 of a table loaded at 01:00; then one check at 11:00.
        stamps = days(30) + np.timedelta64(6, "h")
        lag = 5 * 3600.0 + np.random.default_rng(3).uniform(-600, 600, 30)
        later = np.append(stamps, stamps[-1] + np.timedelta64(5, "h"))
        checked_later = np.append(lag, lag[-1] + 5 * 3600.0)
        missed = np.append(stamps, stamps[-1] + np.timedelta64(2, "D"))
        load_missed = np.append(lag, lag[-1] + 2 * 86400.0)  # the next two loads never came

        assert not detect_stalls(Series(later, checked_later))[-1].is_anomaly
        assert detect_stalls(Series(missed, load_missed))[-1].is_anomaly


def _call_centre_lag(weeks: int) -> np.ndarray:
    """Hourly freshness lag (seconds) of a table fed from 07:00 to 20:30 on weekdays only:
    zero while open, growing through every night and from Friday night to Monday."""
    stamps = hours(weeks * 7 * 24)
    seconds = (stamps - stamps[0]).astype("timedelta64[s]").astype(float)
    lag = np.empty(stamps.size)
    last = -np.inf
    for i, t in enumerate(seconds):
        day, clock = divmod(t, 86400.0)
        if day % 7 < 5 and 7 * 3600 <= clock <= 20.5 * 3600:
            last = t  # a row landed at this check
        elif day % 7 < 5 and clock > 20.5 * 3600:
            last = day * 86400 + 20.5 * 3600
        lag[i] = t - last if np.isfinite(last) else np.nan
    return lag


class TestWeekendAndWorkdayStalls:
    def test_the_weekend_gap_is_routine_but_a_workday_stall_is_not(self):
        lag = _call_centre_lag(6)
        quiet = detect_stalls(Series(hours(lag.size), lag))
        stalled = lag.copy()
        start = (4 * 7 + 2) * 24 + 12  # week 5, Wednesday 12:00: the feed stops for 6 hours
        stalled[start : start + 6] = 3600.0 * np.arange(1, 7)

        flagged = _flagged(detect_stalls(Series(hours(lag.size), stalled)))

        assert _flagged(quiet) == []  # nights and weekends, seen every week, never alert
        assert flagged
        assert start <= flagged[0] <= start + 2
        assert flagged == list(range(flagged[0], start + 6))  # one episode, to the stall's end

    def test_one_late_check_that_the_next_load_answers_is_not_an_alert(self):
        lag = _saw_tooth(24 * 14, every_hours=1, seed=5)  # a load every hour
        lag[-30] = 4 * 3600.0  # one check found the data four hours old, then loads resumed

        detections = detect_stalls(Series(hours(lag.size), lag))

        assert _flagged(detections) == []

    def test_a_stall_alerts_until_a_load_lands_even_where_such_a_lag_is_usual(self):
        # Loads every hour by day, none from 22:00 to 06:00 (the nightly gap is routine).
        clock = np.arange(24 * 21) % 24
        night = (clock >= 22) | (clock < 6)
        lag = np.where(night, ((clock - 22) % 24 + 1) * 3600.0, 900.0)
        stalled = lag.copy()
        start = 24 * 19 + 18  # day 20, 18:00: loads stop; the next morning's load comes
        stalled[start : start + 13] = 900.0 + 3600.0 * np.arange(1, 14)

        flagged = _flagged(detect_stalls(Series(hours(lag.size), stalled)))

        assert _flagged(detect_stalls(Series(hours(lag.size), lag))) == []
        assert flagged == list(range(flagged[0], start + 13))  # through the night, one run
        assert flagged[0] <= start + 3

    def test_a_check_labeled_expected_inside_an_alerted_stall_is_not_an_alert(self):
        lag = _saw_tooth(24 * 14, every_hours=1, seed=2)
        lag[-8:] = lag[-9] + 3600.0 * np.arange(1, 9)  # loads stop for eight hours
        labels = np.zeros(lag.size, dtype=bool)
        labels[-3] = True  # the owner said this check was fine (a planned pause)

        detections = detect_stalls(Series(hours(lag.size), lag, expected=labels))

        assert detections[-4].is_anomaly
        assert detections[-3].state is State.EXPECTED
        assert not detections[-3].is_anomaly
