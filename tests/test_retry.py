"""Retries: transient errors only, exponential backoff with jitter."""

from __future__ import annotations

import random

import pytest

from monitor.errors import ObjectNotFound, WarehouseUnavailable
from monitor.retry import RetryPolicy, call_with_retry


class Flaky:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


class TestCallWithRetry:
    def test_transient_errors_are_retried_with_growing_delays(self) -> None:
        fn, slept = Flaky(2, WarehouseUnavailable("connection refused")), []
        policy = RetryPolicy(attempts=4, base_delay=1.0, max_delay=10.0, jitter=0.0)

        result = call_with_retry(fn, policy, sleep=slept.append)

        assert result == ("done", 2)
        assert slept == [1.0, 2.0]

    def test_terminal_errors_are_not_retried(self) -> None:
        fn = Flaky(5, ObjectNotFound("no such table"))

        with pytest.raises(ObjectNotFound) as error:
            call_with_retry(fn, RetryPolicy(attempts=4), sleep=lambda s: None)

        assert fn.calls == 1
        assert error.value.retries == 0  # type: ignore[attr-defined]

    def test_gives_up_after_the_last_attempt(self) -> None:
        fn = Flaky(10, WarehouseUnavailable("down"))

        with pytest.raises(WarehouseUnavailable) as error:
            call_with_retry(fn, RetryPolicy(attempts=3, base_delay=0), sleep=lambda s: None)

        assert fn.calls == 3
        assert error.value.retries == 2  # type: ignore[attr-defined]


class TestRetryPolicy:
    def test_delay_is_capped_and_jittered_within_bounds(self) -> None:
        policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.5)
        rng = random.Random(1)

        delays = [policy.delay(n, rng) for n in range(1, 8)]

        assert all(0.5 * min(8.0, 2 ** (n - 1)) <= d <= 1.5 * min(8.0, 2 ** (n - 1))
                   for n, d in zip(range(1, 8), delays, strict=True))
