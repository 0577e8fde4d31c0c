"""Typed values of config files: durations and timeouts with limits, schedules, URLs.

Each is checked when the file is loaded, so that a value which would only fail
later (a cron field out of range, ``query_timeout: .inf``, a URL of no dialect)
is a config error naming its key.

>>> seconds("15m"), check_url("sqlite:///:memory:")
(900.0, 'sqlite:///:memory:')
>>> seconds(float("inf"))
Traceback (most recent call last):
ValueError: expected a finite duration such as '30s', '15m' or '2h', got inf
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import BeforeValidator, ValidationInfo

from monitor import formatting
from monitor.config.durations import Schedule, parse_duration, parse_schedule
from monitor.dialects import capabilities_for_url
from monitor.optional import missing_dialect, missing_extra

#: The longest duration any setting takes: longer ones overflow clocks and timers.
MAX_DURATION = 3650 * 86400.0
#: PostgreSQL's statement_timeout is a 32-bit count of milliseconds (24.8 days).
MAX_TIMEOUT = 24 * 86400.0


def seconds(value: Any, limit: float = MAX_DURATION) -> float:
    seconds = parse_duration(value)
    if not math.isfinite(seconds):
        raise ValueError(f"expected a finite duration such as '30s', '15m' or '2h', "
                         f"got {value!r}")
    if seconds > limit:
        raise ValueError(f"at most {formatting.duration(limit)}, got {value!r}")
    return seconds


def timeout(value: Any) -> float:
    return seconds(value, MAX_TIMEOUT)


Seconds = Annotated[float, BeforeValidator(seconds)]
Timeout = Annotated[float, BeforeValidator(timeout)]


class Problems(ValueError):
    """Several problems found by one validator, each with its key path below the model's."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {message}" if path else message
                                   for path, message in self.problems))


def schedule(value: Any) -> Schedule:
    if isinstance(value, Schedule):
        return value
    schedule = parse_schedule(value)
    if schedule.kind == "cron":
        from monitor.serve.scheduling import trigger_for  # scheduling imports this module

        try:
            trigger_for(schedule, "config")
        except (ValueError, TypeError, KeyError) as error:
            raise ValueError(f"{schedule.cron!r} is not a valid cron expression: {error}"
                             ) from None
    elif (schedule.interval_seconds or 0) < 1:
        raise ValueError(f"an interval schedule must be at least 1s, got {value!r}")
    elif (schedule.interval_seconds or 0) > MAX_DURATION:
        raise ValueError(f"an interval schedule must be at most "
                         f"{formatting.duration(MAX_DURATION)}, got {value!r}")
    return schedule


def check_url(value: str, base_dir: Path | None = None) -> str:
    """``value`` if it is a SQLAlchemy URL of an installed dialect; ValueError otherwise.

    With ``base_dir``, a SQLite or DuckDB file must be creatable: not a folder,
    and not below a file.
    """
    try:
        url = sa.engine.make_url(value)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        raise ValueError("not a database URL; expected one such as "
                         "'postgresql+psycopg://user:${PASSWORD}@host/db' or "
                         "'sqlite:///file.db'") from None
    try:
        url.get_dialect()
    except ImportError as error:  # the dialect is installed, a package it imports is not
        missing = missing_extra(error, f"a {url.get_backend_name()} URL")
        if missing is None:
            raise
        raise ValueError(str(missing)) from None
    except sa.exc.NoSuchModuleError:
        missing = missing_dialect(url.get_backend_name())
        if missing is not None:
            raise ValueError(str(missing)) from None
        raise ValueError(f"unknown database type {url.drivername!r} in the URL (SQLite, "
                         f"DuckDB and PostgreSQL are supported)") from None
    database = capabilities_for_url(url).database_file(url)
    if base_dir is None or database is None:
        return value
    path = database
    path = path if path.is_absolute() else Path(base_dir) / path
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a folder; the URL must name a database file "
                         f"in it, such as {str(path / 'metrics.db')!r}")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ValueError(f"{str(ancestor)!r} is a file, so the folder of "
                         f"{str(path)!r} cannot be created")
    return value


def url_field(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str):
        return value  # pydantic reports the wrong type
    base = (info.context or {}).get("base_dir")
    return check_url(value, Path(base) if base is not None else None)


ScheduleField = Annotated[Schedule, BeforeValidator(schedule)]
