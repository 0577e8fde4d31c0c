from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.detection.detect import detect_metric
from monitor.detection.result import State
from monitor.detection.series import Series
from monitor.detection.settings import DetectorSettings, defaults_for
from monitor.errors import InputError, MonitorError

from .conftest import MONDAY, daily, hours, weekly_rows


def _flagged(detections) -> list[int]:
    return [i for i, d in enumerate(detections) if d.is_anomaly]


class TestDetectMetric:
    def test_a_drop_to_zero_alarms_on_the_first_day_while_learning(self):
        detections = detect_metric(daily([1200.0, 1150.0, 1230.0, 0.0]), "volume")

        assert [d.state for d in detections] == [State.LEARNING] * 3 + [State.ANOMALY]
        assert detections[3].detector == "rules.zero_rows"
        assert detections[3].direction == "down"

    def test_a_drop_to_zero_in_a_mature_table_reports_the_rule_and_keeps_the_band(self):
        values = weekly_rows(10)
        values[-1] = 0.0

        last = detect_metric(daily(values), "volume")[-1]

        assert last.is_anomaly
        assert last.reason.startswith("rows 0: the bucket is empty")
        assert last.lower > 0
        assert np.isfinite(last.score)

    def test_weekly_volume_and_a_past_incident(self, rows_with_weekend_drop):
        values = rows_with_weekend_drop.values.copy()
        values[[64, 78]] *= 0.45  # the same partial load twice, two weeks apart

        detections = detect_metric(daily(values), "volume")

        assert _flagged(detections) == [64, 78]
        assert "below the usual" in detections[78].reason

    def test_null_rate_wiggle_is_quiet_and_a_jump_is_not(self, null_rate_mostly_zero):
        values = null_rate_mostly_zero.values.copy()
        values[75] = 0.02

        detections = detect_metric(daily(values), "null_rate")

        assert _flagged(detections) == [75]
        assert detections[75].reason.startswith("null rate 2.0% is 2.0 points above the usual 0.0%")

    @pytest.mark.parametrize(("last", "alarm"), [(0.012, False), (0.016, True)])
    def test_a_never_null_column_needs_a_point_and_a_half_to_fire(self, last, alarm):
        # 0% every day: fitted scale 0, so the floors decide: min_scale 0.0025 x 4
        # sigmas = 0.01 up, min_change 0.015 up; the band's top is 0.015.
        values = np.r_[np.zeros(60), last]

        detection = detect_metric(daily(values), "null_rate")[-1]

        assert detection.upper == pytest.approx(0.015)
        assert detection.is_anomaly is alarm

    @pytest.mark.parametrize(("last", "alarm"), [(109.0, False), (111.0, True)])
    def test_a_distribution_moves_a_tenth_before_it_fires(self, last, alarm):
        # A constant mean of 100: the band is the 10% floor, 100 +- 10 = 90..110.
        values = np.r_[np.full(60, 100.0), last]

        detection = detect_metric(daily(values), "distribution")[-1]

        assert (detection.lower, detection.upper) == (pytest.approx(90.0), pytest.approx(110.0))
        assert detection.is_anomaly is alarm

    def test_max_null_rate_applies_from_the_first_point(self):
        tuned = defaults_for("null_rate").merged({"max_null_rate": 0.1})

        detections = detect_metric(daily([0.05, 0.2, 0.05]), "null_rate", tuned)

        assert _flagged(detections) == [1]
        assert detections[1].state is State.ANOMALY
        assert "beyond the allowed maximum" in detections[1].reason

    def test_freshness_uses_the_sla_and_the_stall_detector(self):
        lag = 600.0 + (np.arange(24 * 10) % 4) * 3600.0
        lag[-6:] = lag[-7] + 3600.0 * np.arange(1, 7)

        detections = detect_metric(Series(hours(lag.size), lag), "freshness", sla_seconds=6 * 3600)

        flagged = _flagged(detections)
        assert flagged
        assert min(flagged) >= lag.size - 6
        assert detections[-1].detector == "rules.above_limit"
        assert "freshness SLA" in detections[-1].reason

    def test_arrival_delay_is_watched_upward_only(self):
        delays = 3600 + np.random.default_rng(0).uniform(-120, 120, 40)
        delays[30], delays[35] = 60.0, 5 * 3600

        detections = detect_metric(daily(delays), "arrival_delay")

        assert _flagged(detections) == [35]

    def test_level_is_an_alias_of_distribution(self):
        values = 50 + np.random.default_rng(1).normal(0, 0.5, 40)
        values[-1] = 80

        detections = detect_metric(daily(values), "level")

        assert detections[-1].is_anomaly
        assert detections[-1].detector == "seasonal"
        assert detections[-1].reason.startswith("value 80 is 60% above the usual 50")

    def test_expected_labels_silence_rules_too(self):
        values = [1200.0, 1150.0, 1230.0, 0.0]

        detections = detect_metric(daily(values, expected=[False, False, False, True]), "volume")

        assert detections[3].state is State.EXPECTED
        assert not detections[3].is_anomaly

    def test_custom_settings_and_label(self):
        # Large counts: their Poisson noise (0.5%) is below the 2% day-to-day noise.
        values = weekly_rows(8, weekday=100_000, weekend=40_000, seed=2)
        usual_weekend = np.median(np.log1p(np.concatenate([values[5:-1:7], values[6:-1:7]])))
        values[-1] = 1.07 * np.expm1(usual_weekend)  # inside the 20% floor, outside 2 sigma

        quiet = detect_metric(daily(values), "volume", label="orders")
        loud = detect_metric(
            daily(values),
            "volume",
            DetectorSettings(transform="log", sensitivity=2.0),
            label="orders",
        )

        assert not quiet[-1].is_anomaly
        assert loud[-1].is_anomaly
        assert loud[-1].reason.startswith("orders ")

    def test_unknown_kind_is_a_config_error(self):
        with pytest.raises(MonitorError, match="unknown metric kind"):
            detect_metric(daily([1.0]), "rows per second")

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        data=st.lists(
            st.tuples(
                st.integers(min_value=0, max_value=200),
                st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
            ),
            max_size=60,
        ),
        kind=st.sampled_from(["volume", "null_rate", "freshness", "arrival_delay", "level"]),
    )
    def test_anything_users_send_gives_json_safe_verdicts_or_a_clear_error(self, data, kind):
        pairs = [(MONDAY + np.timedelta64(offset, "h"), value) for offset, value in data]
        if len({offset for offset, _ in data}) < len(data):
            with pytest.raises(InputError, match="duplicated"):
                Series.from_pairs(pairs)
            return

        detections = detect_metric(Series.from_pairs(pairs), kind, sla_seconds=7200)

        assert len(detections) == len(pairs)
        for detection in detections:
            record = detection.to_dict()
            json.dumps(record, allow_nan=False)
            assert record["is_anomaly"] in (True, False)
            assert record["is_anomaly"] == (record["state"] == "anomaly")


class TestRowsOfRates:
    def test_row_counts_keep_a_null_rate_band_at_its_binomial_noise(self):
        rng = np.random.default_rng(11)
        rows = np.full(70, 60.0)
        rate = rng.binomial(60, 0.85, 70) / 60
        rate[-1] = 0.97  # 58 of 60 rows null: within 3.4 binomial sigmas of 85%

        plain = detect_metric(daily(rate), "null_rate")
        counted = detect_metric(daily(rate), "null_rate", rows=rows)

        sd = np.sqrt(0.85 * 0.15 / 60)  # hand computation
        assert counted[-1].expected - counted[-1].lower >= 4 * sd * 0.99
        assert not counted[-1].is_anomaly
        assert plain[-1].upper <= counted[-1].upper

    def test_rows_of_the_wrong_length_are_an_input_error(self):
        with pytest.raises(InputError, match="one count per point"):
            detect_metric(daily([0.1, 0.2, 0.1]), "null_rate", rows=[10, 10])


class TestDefaultsOnRealShapes:
    def test_a_growing_table_with_a_dip_in_history_is_quiet_until_a_partial_load(self):
        values = weekly_rows(12, noise=0.05, seed=4) * np.linspace(1.0, 1.5, 84)
        values[20] *= 0.5  # a holiday
        values[-1] *= 0.45  # a partial load

        flagged = _flagged(detect_metric(daily(values), "volume"))

        assert flagged == [20, 83]


    def test_a_snapshot_row_count_that_stops_growing_alarms_on_that_day(self):
        added = np.random.default_rng(9).poisson(5000, 70).astype(float)
        added[60] = 0.0  # no rows arrived on day 60: the count moves by 0%
        counts = 3e7 + np.cumsum(added)

        detections = detect_metric(daily(counts), "volume")

        assert _flagged(detections) == [60]
        assert detections[60].detector == "rules.stalled_growth"


    @pytest.mark.parametrize("seed", [2, 3, 4, 5])
    def test_a_heavy_tailed_mean_is_quiet_on_the_log_scale(self, seed):
        # A day's mean delay moves multiplicatively (lognormal, a spread of 0.6 in log
        # units): on the raw scale its long upper tail alerts several times in 150 days.
        delay = 12.0 * np.random.default_rng(seed).lognormal(0.0, 0.6, 150)
        delay[-1] = delay[-2] * 60  # minutes written as seconds
        log_scale = defaults_for("distribution").merged({"transform": "log"})

        flagged_raw = _flagged(detect_metric(daily(delay), "distribution"))
        flagged = _flagged(detect_metric(daily(delay), "distribution", log_scale))

        assert flagged == [149]
        assert len(flagged_raw) >= 4


class TestDetectMetricHolidays:
    def _thanksgiving_dip(self) -> Series:
        days = np.arange("2013-09-02", "2013-12-09", dtype="datetime64[D]")  # from a Monday
        rng = np.random.default_rng(12)
        rows = np.where((np.arange(days.size) % 7) >= 5, 600.0, 1000.0)
        rows = rows * rng.lognormal(0.0, 0.03, days.size)
        thanksgiving = int(np.flatnonzero(days == np.datetime64("2013-11-28"))[0])
        rows[thanksgiving] *= 0.55  # real flight counts dip ~45% on Thanksgiving
        return Series(days, rows), thanksgiving

    def test_a_holiday_dip_is_an_alarm_without_the_calendar(self):
        series, thanksgiving = self._thanksgiving_dip()

        assert thanksgiving in _flagged(detect_metric(series, "volume"))

    def test_the_us_calendar_keeps_the_holiday_dip_quiet(self):
        series, thanksgiving = self._thanksgiving_dip()

        assert thanksgiving not in _flagged(detect_metric(series, "volume", holidays="US"))

    def test_a_broken_load_on_a_holiday_still_alarms(self):
        series, thanksgiving = self._thanksgiving_dip()
        values = series.values.copy()
        values[thanksgiving] = 0.1 * values[thanksgiving - 7]  # 90% of the rows missing

        flagged = _flagged(
            detect_metric(Series(series.timestamps, values), "volume", holidays="US")
        )

        assert thanksgiving in flagged
