"""Public holidays as a calendar mask: days a data owner expects traffic to be unusual.

Opt-in (``detect_metric(..., holidays="US")``): nothing here is applied by default,
because which calendar a table follows is the data owner's knowledge, not the series'.
"""

from __future__ import annotations

import numpy as np

from monitor.errors import ConfigError

# Days on either side of a holiday that count as part of it (the Sunday before Memorial
# Day, the weekend of Labor Day, the days around Christmas).
HOLIDAY_MARGIN_DAYS = 1
CALENDARS = ("US",)


def _us_holidays(first: np.datetime64, last: np.datetime64) -> np.ndarray:
    from pandas.tseries.holiday import USFederalHolidayCalendar

    years = range(int(str(first)[:4]) - 1, int(str(last)[:4]) + 2)
    federal = USFederalHolidayCalendar().holidays(f"{years[0]}-01-01", f"{years[-1]}-12-31")
    days = federal.to_numpy().astype("datetime64[D]")
    extra = [np.datetime64(f"{y}-{md}") for y in years for md in ("12-24", "12-31")]
    return np.unique(np.concatenate([days, np.array(extra, dtype="datetime64[D]")]))


def holiday_mask(
    timestamps: np.ndarray, calendar: str = "US", margin_days: int = HOLIDAY_MARGIN_DAYS
) -> np.ndarray:
    """Which points fall on a public holiday of ``calendar`` or within ``margin_days`` of one.

    US: the federal holidays (pandas' ``USFederalHolidayCalendar``, observed dates),
    Christmas Eve and New Year's Eve.

    >>> days = np.arange("2013-11-26", "2013-12-01", dtype="datetime64[D]")
    >>> holiday_mask(days, "US").tolist()  # Thanksgiving was on 28 November 2013
    [False, True, True, True, False]
    """
    if calendar.upper() not in CALENDARS:
        raise ConfigError(f"unknown holiday calendar {calendar!r} (known: {', '.join(CALENDARS)})")
    stamps = np.asarray(timestamps).astype("datetime64[D]")
    if stamps.size == 0:
        return np.zeros(0, dtype=bool)
    holidays = _us_holidays(stamps.min(), stamps.max())
    near = np.zeros(stamps.size, dtype=bool)
    for shift in range(-margin_days, margin_days + 1):
        near |= np.isin(stamps + np.timedelta64(shift, "D"), holidays)
    return near
