"""Retries with exponential backoff and jitter, for transient errors only.

>>> calls = []
>>> def flaky():
...     calls.append(1)
...     if len(calls) < 3:
...         raise WarehouseUnavailable("connection refused")
...     return "ok"
>>> call_with_retry(flaky, RetryPolicy(attempts=5, base_delay=0, max_delay=0))
('ok', 2)
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from monitor.errors import WarehouseUnavailable, is_transient

log = logging.getLogger(__name__)
T = TypeVar("T")

__all__ = ["RetryPolicy", "WarehouseUnavailable", "call_with_retry"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to try again."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: float = 0.5  # each delay is multiplied by a random factor in [1-j, 1+j]

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        base = min(self.max_delay, self.base_delay * (2 ** (retry - 1)))
        factor = 1.0 + (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * factor)


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy, *,
                    what: str = "operation", sleep: Callable[[float], None] = time.sleep,
                    on_retry: Callable[[int, BaseException], None] | None = None
                    ) -> tuple[T, int]:
    """Call ``fn``; retry transient errors with backoff. Returns (result, retries used).

    A terminal error, or the last transient one, is raised with ``retries``
    set on it so the caller can record how hard it tried.
    """
    retries = 0
    while True:
        try:
            return fn(), retries
        except Exception as error:
            if not is_transient(error) or retries + 1 >= policy.attempts:
                error.retries = retries  # type: ignore[attr-defined]
                raise
            retries += 1
            delay = policy.delay(retries)
            log.warning("%s failed (%s); retry %d of %d in %.1fs", what, error, retries,
                        policy.attempts - 1, delay)
            if on_retry:
                on_retry(retries, error)
            sleep(delay)
