"""Acknowledging and resolving incidents, muting tables; what a resolution teaches the
detectors (points resolved as false positives rejoin their training)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from monitor.alerts.actions import (
    RESOLUTIONS,
    acknowledge,
    incident_id_of,
    mute_incident,
    mute_table,
    muted_until,
    resolution_reason,
    resolve,
    unmute_table,
)
from monitor.config.models import TableConfig
from monitor.detection import Series, detect_metric
from monitor.detection.watch import Watch, watches_for
from monitor.errors import InputError
from monitor.metrics.points import MetricPoint
from monitor.run.detect import judge
from monitor.store import SqlMetricStore
from monitor.store.detections import replace_detections
from monitor.store.feedback import list_labels
from monitor.store.incidents import Incident, save
from monitor.store.schema import incidents
from monitor.timeutil import utcnow

NOW = dt.datetime(2026, 4, 6)


def incident(store: SqlMetricStore, status: str = "open") -> int:
    with store.transaction() as conn:
        return conn.execute(incidents.insert().values(
            table_name="orders", check_key="volume:row_count", status=status,
            severity="critical", title="rows low", opened_at=NOW, updated_at=NOW,
            last_seen_at=NOW)).inserted_primary_key[0]


def status_of(store: SqlMetricStore, incident_id: int) -> tuple:
    with store.connect() as conn:
        return conn.execute(sa.select(incidents.c.status, incidents.c.acknowledged_by,
                                      incidents.c.muted_until).where(
            incidents.c.incident_id == incident_id)).one()


class TestAcknowledge:
    def test_open_incident_becomes_acknowledged(self, store: SqlMetricStore) -> None:
        incident_id = incident(store)

        acknowledge(store, incident_id, by="ana")

        assert status_of(store, incident_id)[:2] == ("acknowledged", "ana")

    def test_unknown_and_resolved_incidents(self, store: SqlMetricStore) -> None:
        resolved = incident(store, "resolved")

        with pytest.raises(InputError, match="no incident with id 999"):
            acknowledge(store, 999)
        with pytest.raises(InputError, match="already resolved"):
            acknowledge(store, resolved)


class TestAcknowledgeTimes:
    def test_records_when(self, store: SqlMetricStore) -> None:
        incident_id = incident(store)
        before = utcnow().replace(tzinfo=None)

        acknowledge(store, incident_id, by="ana")

        with store.connect() as conn:
            when = conn.execute(sa.select(incidents.c.acknowledged_at).where(
                incidents.c.incident_id == incident_id)).scalar()
        assert before <= when <= utcnow().replace(tzinfo=None)


class TestResolutionReason:
    @pytest.mark.parametrize(("text", "reason"), [
        ("false-positive", "false-positive"), ("False positive", "false-positive"),
        ("no_action_needed", "no-action-needed"), (" fixed ", "fixed"),
        ("EXPECTED", "expected")])
    def test_spellings_of_one_reason(self, text: str, reason: str) -> None:
        assert resolution_reason(text) == reason

    @given(st.text(max_size=30))
    def test_anything_else_names_the_choices(self, text: str) -> None:
        if "-".join(text.strip().lower().replace("_", " ").split()) in RESOLUTIONS:
            return
        with pytest.raises(InputError, match="choose one of fixed, expected, false-positive, "
                                             "no-action-needed"):
            resolution_reason(text)


class TestIncidentIdOf:
    def test_number_with_or_without_hash(self) -> None:
        assert (incident_id_of("12"), incident_id_of("#12"), incident_id_of(7)) == (12, 12, 7)

    @pytest.mark.parametrize("text", ["", "#", "twelve", "suite:customers:e4339a", "-3", "1.5"])
    def test_not_a_number(self, text: str) -> None:
        with pytest.raises(InputError, match="an incident id is a number such as 12"):
            incident_id_of(text)


class TestResolve:
    def test_open_incident_is_resolved_with_who_and_why(self, store: SqlMetricStore) -> None:
        incident_id = incident(store)
        acknowledge(store, incident_id, by="ana")

        done = resolve(store, incident_id, reason="no action needed", by="bob",
                       note="a known late partner file")

        resolved = done.incident
        assert (resolved.status, resolved.resolved_by, resolved.resolution,
                resolved.resolution_note, resolved.acknowledged_by) == (
            "resolved", "bob", "no-action-needed", "a known late partner file", "ana")
        assert resolved.resolved_at is not None
        assert resolved.acknowledged_at is not None
        assert resolved.acknowledged_at <= resolved.resolved_at
        assert done.points == ()  # no finding stored: nothing to label

    def test_unknown_resolved_and_bad_reason(self, store: SqlMetricStore) -> None:
        resolved = incident(store, "resolved")

        with pytest.raises(InputError, match="no incident with id 999"):
            resolve(store, 999, reason="fixed")
        with pytest.raises(InputError, match="already resolved"):
            resolve(store, resolved, reason="fixed")
        with pytest.raises(InputError, match="unknown resolution 'oops'"):
            resolve(store, resolved, reason="oops")

    def test_an_expectation_incident_labels_no_points(self, store: SqlMetricStore) -> None:
        with store.transaction() as conn:
            saved = save(conn, Incident(
                None, "orders", "suite:orders:e4339a0c5d1f", "open", "critical",
                "orders: 3% nulls", NOW, NOW, NOW, details={"finding": {
                    "kind": "expectation", "metric": "expect_column_values_to_not_be_null",
                    "column": "email", "at": NOW.isoformat()}}))
        assert saved.incident_id is not None

        done = resolve(store, saved.incident_id, reason="false-positive", by="ana")

        assert done.points == ()
        assert list_labels(store, "orders") == []


# -- what the detectors learn --------------------------------------------------------
DAY0 = dt.datetime(2026, 1, 5)
DAYS = 40
#: Days of a false alarm: the rows of a partner's monthly file, say (100 rows a day else).
SPIKES = (24, 27, 30, 33, 36)


def day(d: int) -> dt.datetime:
    return DAY0 + dt.timedelta(days=d)


def row_counts() -> list[float]:
    values = (100 + np.random.default_rng(7).normal(0, 4, DAYS).round()).tolist()
    for d in SPIKES:
        values[d] = 170.0
    return values


def volume_watch() -> Watch:
    table = TableConfig(name="orders", warehouse="w", table="orders", timestamp_column="ts",
                        bucket="day")
    return next(w for w in watches_for(table, []) if w.metric == "row_count")


def oracle(watch: Watch, *, expected: bool = False, excluded: bool = False) -> list:
    """The detector on the plain series, with the spike days labelled by hand."""
    mask = np.isin(np.arange(DAYS), SPIKES)
    series = Series(np.array([np.datetime64(day(d), "ns") for d in range(DAYS)]),
                    np.array(row_counts()), mask if excluded else None,
                    mask if expected else None)
    return detect_metric(series, watch.kind, watch.settings, sla_seconds=None,
                         label=watch.label)


def band(detection: object) -> tuple:
    return tuple(round(float(getattr(detection, k)), 9) for k in ("expected", "lower", "upper"))


def judged_incident(store: SqlMetricStore, watch: Watch) -> int:
    """History to the day before the last, judged and stored, and the volume incident
    its spikes opened (from the first spike to the last)."""
    values = row_counts()
    with store.transaction() as conn:
        store.replace_points(conn, "r1", [MetricPoint("orders", "", "row_count", "day",
                                                      day(d), values[d])
                                          for d in range(DAYS - 1)])
    first = judge(store, "orders", [watch], as_of=day(DAYS - 1).replace(tzinfo=dt.UTC),
                  judge_all=True, since=DAY0)
    with store.transaction() as conn:
        replace_detections(conn, "r1", first.rows)
        saved = save(conn, Incident(
            None, "orders", watch.check, "open", "warning", "orders: rows 170", day(SPIKES[0]),
            day(SPIKES[-1]), day(SPIKES[-1]), details={
                "since": day(SPIKES[0]).isoformat(), "finding": {
                    "kind": "anomaly", "metric": "row_count", "column": None,
                    "at": day(SPIKES[-1]).isoformat()}}))
    assert {r.ts for r in first.rows if r.is_anomaly} == {day(d) for d in SPIKES}
    assert saved.incident_id is not None
    return saved.incident_id


def next_detection(store: SqlMetricStore, watch: Watch) -> object:
    """The next run: the last day arrives and is judged."""
    new = MetricPoint("orders", "", "row_count", "day", day(DAYS - 1), row_counts()[-1])
    (row,) = judge(store, "orders", [watch], as_of=day(DAYS).replace(tzinfo=dt.UTC),
                   pending=[new], since=DAY0).rows
    return row


class TestResolveTeachesTheDetectors:
    def test_the_spikes_change_the_band_when_trained_on(self) -> None:
        # The premise of the tests below: training on the spikes moves some band.
        watch = volume_watch()

        assert [band(d) for d in oracle(watch, expected=True)] != [
            band(d) for d in oracle(watch)]

    @pytest.mark.parametrize("reason", ["false-positive", "expected"])
    def test_false_positive_points_rejoin_training(self, sqlite_store: SqlMetricStore,
                                                   reason: str) -> None:
        watch = volume_watch()
        incident_id = judged_incident(sqlite_store, watch)

        done = resolve(sqlite_store, incident_id, reason=reason, by="ana")
        row = next_detection(sqlite_store, watch)

        labels = list_labels(sqlite_store, "orders", "row_count")
        assert done.points == tuple(day(d) for d in SPIKES)
        assert [(x.ts, x.label, x.author) for x in labels] == [
            (day(d), "expected", "ana") for d in SPIKES]
        assert labels[0].note == f"incident #{incident_id} resolved: " + (
            "false positive" if reason == "false-positive" else "expected")
        # The next detection's baseline is the one trained on the spikes.
        assert band(row) == band(oracle(watch, expected=True)[-1])

    @pytest.mark.parametrize("reason", ["fixed", "no-action-needed"])
    def test_fixed_points_stay_out_of_training(self, sqlite_store: SqlMetricStore,
                                               reason: str) -> None:
        watch = volume_watch()
        incident_id = judged_incident(sqlite_store, watch)

        done = resolve(sqlite_store, incident_id, reason=reason, by="ana", note="reloaded")
        row = next_detection(sqlite_store, watch)
        rejudged = judge(sqlite_store, "orders", [watch], as_of=day(DAYS).replace(
            tzinfo=dt.UTC), judge_all=True, since=DAY0).rows

        labels = list_labels(sqlite_store, "orders", "row_count")
        assert done.points == tuple(day(d) for d in SPIKES)
        assert {(x.label, x.note) for x in labels} == {
            ("incident", f"incident #{incident_id} resolved: "
                         f"{reason.replace('-', ' ')}; reloaded")}
        assert band(row) == band(oracle(watch, excluded=True)[-1]) == band(oracle(watch)[-1])
        spikes = [r for r in rejudged if r.ts in {day(d) for d in SPIKES}]
        assert all("kept out of training" in r.reason for r in spikes)

    def test_a_recovered_incident_teaches_nothing(self, sqlite_store: SqlMetricStore) -> None:
        # Auto-resolution (the check passed again) goes through the run, not resolve():
        # the points keep their verdicts and no label is written.
        watch = volume_watch()
        judged_incident(sqlite_store, watch)

        row = next_detection(sqlite_store, watch)

        assert list_labels(sqlite_store, "orders") == []
        assert band(row) == band(oracle(watch)[-1])


class TestMuteIncident:
    def test_sets_the_end_of_the_mute(self, store: SqlMetricStore) -> None:
        incident_id = incident(store)

        mute_incident(store, incident_id, until=NOW + dt.timedelta(hours=2))

        assert status_of(store, incident_id)[2] == NOW + dt.timedelta(hours=2)
        with pytest.raises(InputError):
            mute_incident(store, 12345, until=NOW)


class TestMuteTable:
    def test_mute_and_unmute(self, store: SqlMetricStore) -> None:
        until = utcnow() + dt.timedelta(hours=1)

        mute_table(store, "orders", until=until, reason="backfill", by="ana")
        mute_table(store, "orders", until=until + dt.timedelta(hours=1))

        assert muted_until(store, "orders") == (until + dt.timedelta(hours=1)).replace(
            tzinfo=None)
        assert muted_until(store, "orders", now=until + dt.timedelta(hours=3)) is None
        assert unmute_table(store, "orders") is True
        assert muted_until(store, "orders") is None
        assert unmute_table(store, "orders") is False

    def test_mute_must_end_in_the_future(self, store: SqlMetricStore) -> None:
        with pytest.raises(InputError, match="must end in the future"):
            mute_table(store, "orders", until=utcnow() - dt.timedelta(minutes=1))
