"""Time in dq-monitor is UTC. Aware datetimes inside, naive UTC in the store.

>>> parse_time("2026-01-02T03:04:05+01:00").isoformat()
'2026-01-02T02:04:05+00:00'
>>> parse_time("2026-01-02").isoformat()
'2026-01-02T00:00:00+00:00'
>>> now = parse_time("2026-01-02T06:00:00Z")
>>> not_in_future(parse_time("2026-01-02T06:04:00Z"), now).isoformat()  # within the skew
'2026-01-02T06:04:00+00:00'
>>> not_in_future(parse_time("2027-01-01"), now, what="--as-of")  # doctest: +ELLIPSIS
Traceback (most recent call last):
monitor.errors.InputError: --as-of 2027-01-01 00:00 UTC is in the future (it is 2026-01-02 ...
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from monitor.errors import InputError

UTC = dt.UTC
Granularity = Literal["hour", "day"]
#: How far past this machine's clock an as-of time may lie: clocks of hosts drift apart.
CLOCK_SKEW = dt.timedelta(minutes=5)


def utcnow() -> dt.datetime:
    """Now, aware, in UTC, to the microsecond."""
    return dt.datetime.now(UTC)


def as_utc(value: dt.datetime | dt.date) -> dt.datetime:
    """An aware UTC datetime; naive values are taken to be UTC already."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_naive_utc(value: dt.datetime) -> dt.datetime:
    """How times are written to the store (portable across SQLite and PostgreSQL)."""
    return as_utc(value).replace(tzinfo=None)


def parse_time(value: str | dt.datetime | dt.date) -> dt.datetime:
    """Parse an ISO 8601 date or datetime (a trailing ``Z`` is accepted) into aware UTC."""
    if isinstance(value, dt.datetime | dt.date):
        return as_utc(value)
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return as_utc(dt.datetime.fromisoformat(text))
    except ValueError:
        raise ValueError(
            f"expected an ISO 8601 time such as 2026-01-31 or 2026-01-31T06:00:00Z, got {value!r}"
        ) from None


def not_in_future(value: dt.datetime, now: dt.datetime, *,
                  what: str = "as-of time") -> dt.datetime:
    """``value`` in aware UTC; ``InputError`` when it lies beyond ``now`` plus ``CLOCK_SKEW``.

    Every as-of time (``run --as-of``, ``backfill --until``, ``gate.check(as_of=...)``)
    goes through here: a time in the future would judge data that cannot exist yet
    (a month-long freshness incident, empty buckets).
    """
    value, now = as_utc(value), as_utc(now)
    if value > now + CLOCK_SKEW:
        raise InputError(f"{what} {value:%Y-%m-%d %H:%M} UTC is in the future (it is "
                         f"{now:%Y-%m-%d %H:%M} UTC now); give a time up to now")
    return value


def floor_time(value: dt.datetime, granularity: Granularity) -> dt.datetime:
    """Start of the hour or day that contains ``value``."""
    value = as_utc(value)
    if granularity == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def bucket_width(granularity: Granularity) -> dt.timedelta:
    """Length of one bucket."""
    return dt.timedelta(hours=1) if granularity == "hour" else dt.timedelta(days=1)


def iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with an explicit offset, or None."""
    return None if value is None else as_utc(value).isoformat()
