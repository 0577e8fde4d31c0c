"""Outcome values: reasons people read, JSON that stores."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np

from monitor.validation.gx import GxValidator
from monitor.validation.outcomes import ExpectationOutcome, Validator, jsonable, to_json
from monitor.validation.pushdown import PushdownValidator
from tests.helpers.gate import spec
from tests.helpers.protocols import protocol_mismatches

NOT_NULL = spec("column_values_to_not_be_null", column="a")


class TestReason:
    def test_counts_observed_errors_and_details(self) -> None:
        assert ExpectationOutcome(NOT_NULL, True, unexpected_count=0).reason == (
            "values_to_not_be_null(a): no unexpected values")
        assert ExpectationOutcome(NOT_NULL, False, observed_value=[1, 2]).reason == (
            "values_to_not_be_null(a): observed [1, 2]")
        assert ExpectationOutcome(NOT_NULL, False, error="boom").reason.endswith(": boom")
        assert ExpectationOutcome(NOT_NULL, False, details="gone").reason.endswith(": gone")
        assert ExpectationOutcome(NOT_NULL, False).reason.endswith(": failed")

    def test_blocking_only_for_failed_critical(self) -> None:
        info = spec("column_values_to_not_be_null", column="a", severity="info")
        assert ExpectationOutcome(NOT_NULL, False).blocking
        assert not ExpectationOutcome(info, False).blocking


class TestJsonable:
    def test_plain_json_values(self) -> None:
        value = {"t": dt.datetime(2026, 1, 1), "d": decimal.Decimal("1.5"),
                 "n": float("nan"), "np": np.int64(3), "l": (1, {2})}
        assert jsonable(value) == {"t": "2026-01-01T00:00:00", "d": 1.5, "n": None, "np": 3,
                                   "l": [1, [2]]}
        assert to_json(None) is None
        assert to_json([1]) == "[1]"


class TestValidator:
    def test_both_validators_are_true_to_the_protocol(self) -> None:
        assert protocol_mismatches(PushdownValidator(), Validator) == []
        assert protocol_mismatches(GxValidator(), Validator) == []
