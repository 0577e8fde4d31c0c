"""Time in dq-monitor is UTC. Aware datetimes inside, naive UTC in the store.

>>> parse_time("2026-01-02T03:04:05+01:00").isoformat()
'2026-01-02T02:04:05+00:00'
>>> parse_time("2026-01-02").isoformat()
'2026-01-02T00:00:00+00:00'
>>> parse_time("36h", now=parse_time("2026-01-02T06:00:00Z")).isoformat()  # relative to now
'2025-12-31T18:00:00+00:00'
>>> parse_time("yesterday", now=parse_time("2026-01-02T06:00:00Z")).isoformat()
'2026-01-01T00:00:00+00:00'
>>> now = parse_time("2026-01-02T06:00:00Z")
>>> not_in_future(parse_time("2026-01-02T06:04:00Z"), now).isoformat()  # within the skew
'2026-01-02T06:04:00+00:00'
>>> not_in_future(parse_time("2027-01-01"), now, what="--as-of")  # doctest: +ELLIPSIS
Traceback (most recent call last):
monitor.errors.InputError: --as-of 2027-01-01 00:00 UTC is in the future (it is 2026-01-02 ...
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from monitor.errors import InputError

UTC = dt.UTC
Granularity = Literal["hour", "day"]
#: How far past this machine's clock an as-of time may lie: clocks of hosts drift apart.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: ``7d``, ``36h``, ``90m``, ``2w``, ``30s``, optionally followed by ``ago``: that long before now.
_AGO = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])(?:\s+ago)?$", re.IGNORECASE)
_AGO_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
#: Named days: the start (00:00 UTC) of that day; ``now`` is now.
_NAMED_DAYS = {"today": 0, "yesterday": 1}


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


def parse_time(value: str | dt.datetime | dt.date, *,
               now: dt.datetime | None = None) -> dt.datetime:
    """Parse an ISO 8601 date or datetime (a trailing ``Z`` is accepted) into aware UTC.

    Given ``now`` (the command line passes its clock), times relative to it are
    accepted too: ``7d``, ``36h``, ``90m``, ``2w`` (that long before now, ``ago``
    may follow), ``today`` and ``yesterday`` (00:00 UTC of that day) and ``now``.
    Config files give absolute times only: they are read long after they are written.
    """
    if isinstance(value, dt.datetime | dt.date):
        return as_utc(value)
    text = str(value).strip()
    if now is not None:
        relative = _relative(text, as_utc(now))
        if relative is not None:
            return relative
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return as_utc(dt.datetime.fromisoformat(text))
    except ValueError:
        relative_forms = ", or 7d, 36h, today, yesterday" if now is not None else ""
        raise ValueError(
            f"expected an ISO 8601 time such as 2026-01-31 or 2026-01-31T06:00:00Z"
            f"{relative_forms}, got {value!r}"
        ) from None


def _relative(text: str, now: dt.datetime) -> dt.datetime | None:
    """A time relative to ``now``, or None when ``text`` is not one."""
    lowered = text.lower()
    if lowered == "now":
        return now
    if lowered in _NAMED_DAYS:
        return floor_time(now, "day") - dt.timedelta(days=_NAMED_DAYS[lowered])
    match = _AGO.match(text)
    if match is None:
        return None
    amount, unit = match.groups()
    try:
        return now - dt.timedelta(seconds=float(amount) * _AGO_UNITS[unit.lower()])
    except OverflowError:
        raise ValueError(f"{text!r} lies before the year 1") from None


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
