"""Expectation results in the store: rows per run, replaced on rerun, read over time."""

from __future__ import annotations

import datetime as dt

from monitor.store.expectations import expectation_history, replace_results, result_rows
from monitor.validation.outcomes import ExpectationOutcome
from tests.helpers.gate import spec

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOT_NULL = spec("column_values_to_not_be_null", suite="s", column="a")
MEAN = spec("column_mean_to_be_between", suite="s", column="b", min_value=0, severity="info",
            index=1)


def _write(store, run_id: str, at: dt.datetime, *outcomes: ExpectationOutcome,
           kind: str = "profile") -> None:
    store.start_run(run_id, "t", kind=kind, as_of=at)
    with store.transaction() as conn:
        replace_results(conn, run_id, "t", at, outcomes)


class TestReplaceResults:
    def test_rerun_replaces_the_rows(self, store) -> None:
        _write(store, "r1", T0, ExpectationOutcome(NOT_NULL, False, unexpected_count=2,
                                                   unexpected_percent=20.0,
                                                   unexpected_values=(None,)))
        _write(store, "r1", T0, ExpectationOutcome(NOT_NULL, True, unexpected_count=0,
                                                   unexpected_percent=0.0))

        [row] = expectation_history(store, "t")

        assert row.success
        assert row.unexpected_count == 0
        assert row.unexpected_values is None

    def test_values_round_trip_as_json(self, store) -> None:
        when = dt.datetime(2026, 1, 1, 12, 30)
        _write(store, "r1", T0, ExpectationOutcome(MEAN, False, observed_value=float("nan")),
               ExpectationOutcome(NOT_NULL, False, unexpected_count=1,
                                  unexpected_values=(when, 1.5)))

        mean, not_null = sorted(expectation_history(store, "t"), key=lambda r: r.column)[::-1]

        assert mean.column == "b"
        assert mean.observed_value is None
        assert mean.severity == "info"
        assert mean.kwargs == {"column": "b", "min_value": 0}
        assert not_null.unexpected_values == ["2026-01-01T12:30:00", 1.5]


class TestExpectationHistory:
    def test_filters_by_expectation_kind_time_and_failure(self, store) -> None:
        for hour, ok in enumerate([True, False, True]):
            _write(store, f"r{hour}", T0 + dt.timedelta(hours=hour),
                   ExpectationOutcome(NOT_NULL, ok), ExpectationOutcome(MEAN, True),
                   kind="gate" if hour == 2 else "profile")

        assert len(expectation_history(store, "t")) == 6
        assert [r.ts.hour for r in expectation_history(store, "t", expectation=NOT_NULL.key)
                ] == [0, 1, 2]
        assert [r.ts.hour for r in expectation_history(store, "t", failed_only=True)] == [1]
        assert [r.run_id for r in expectation_history(store, "t", kind="gate")] == ["r2", "r2"]
        since = expectation_history(store, "t", since=T0 + dt.timedelta(hours=1),
                                    until=T0 + dt.timedelta(hours=1), expectation="a")
        assert [r.run_id for r in since] == ["r1"]
        assert len(expectation_history(store, "t", limit=2)) == 2
        assert expectation_history(store, "t", suite="other") == []


def test_result_rows_keep_one_row_per_suite_and_key() -> None:
    rows = result_rows("r", "t", T0, [ExpectationOutcome(NOT_NULL, True),
                                      ExpectationOutcome(NOT_NULL, False)])
    assert len(rows) == 1
    assert rows[0]["success"] is False
