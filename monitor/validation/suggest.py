"""Draft a GX 1.x suite for a table from its stored profile history (no warehouse query).

From the metric points of one granularity (the table's buckets, or its runs):

- ``not_be_null`` where a column was never null in any stored point;
- ``be_between`` for numbers: from the observed quantiles (lowest p1, highest p99) with
  ``mostly: 0.99`` where the column is a distribution column, else from the observed
  min and max; widened by ``MARGIN`` of the range each side (not below 0 for a column
  never negative);
- ``be_in_set`` for text columns whose top-value shares covered every non-null row of
  every point (at most ``TOP_K`` values: a low-cardinality column);
- ``be_unique`` where the distinct count equalled the row count (the newest run of a
  table profiled whole, or every bucket of a bucketed one: unique within each bucket).

Each expectation is ``warning`` (a draft to review) and says its evidence in
``meta.evidence``.

>>> import datetime as dt
>>> from monitor.metrics.points import MetricPoint
>>> ts = dt.datetime(2026, 1, 1)
>>> pts = [MetricPoint("t", "", "row_count", "snapshot", ts, 3.0),
...        MetricPoint("t", "id", "null_count", "snapshot", ts, 0.0)]
>>> [e["type"] for e in suggest_suite("t", pts, [("id", "INTEGER")])["expectations"]]
['expect_column_values_to_not_be_null']
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from typing import Any

from monitor.metrics.distribution import SHARE_PREFIX, TOP_K
from monitor.metrics.points import MetricPoint

#: Share of the observed range added below and above a suggested range.
MARGIN = 0.1
#: ``mostly`` of a range drawn from p1 .. p99 (values beyond them exist by definition).
QUANTILE_MOSTLY = 0.99
#: A suggestion's own namespace, for stable expectation ids (the same draft, the same ids).
_NAMESPACE = uuid.UUID("6f1c7a52-8d0e-4f3b-9a51-3f0c2d7e9b14")

Columns = Sequence[tuple[str, str]]


def _series(points: Sequence[MetricPoint]) -> dict[tuple[str, str], dict[dt.datetime, float]]:
    out: dict[tuple[str, str], dict[dt.datetime, float]] = {}
    for p in points:
        if p.value is not None:
            out.setdefault((p.column, p.metric), {})[p.ts] = float(p.value)
    return out


def _span(stamps: Sequence[dt.datetime], granularity: str) -> str:
    unit = {"day": "days", "hour": "hours"}.get(granularity, "runs")
    first, last = min(stamps), max(stamps)
    return f"{len(stamps)} {unit}, {first:%Y-%m-%d} to {last:%Y-%m-%d}"


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 6)


def _expectation(suite: str, type_: str, kwargs: dict[str, Any], evidence: str
                 ) -> dict[str, Any]:
    key = json.dumps({"type": type_, "kwargs": kwargs}, sort_keys=True, default=str)
    return {"id": str(uuid.uuid5(_NAMESPACE, f"{suite}:{key}")), "kwargs": kwargs,
            "meta": {"evidence": evidence, "suggested_by": "dq-monitor suites suggest"},
            "severity": "warning", "type": type_}


def _range(suite: str, column: str, series: dict, where: str) -> dict[str, Any] | None:
    p1, p99 = series.get((column, "p1")), series.get((column, "p99"))
    low_min, high_max = series.get((column, "min")), series.get((column, "max"))
    kwargs: dict[str, Any] = {"column": column}
    if p1 and p99:
        low, high = min(p1.values()), max(p99.values())
        kwargs["mostly"] = QUANTILE_MOSTLY
        seen = f"p1 >= {low:,.6g} and p99 <= {high:,.6g}"
        if low_min and high_max:
            seen += f" (min {min(low_min.values()):,.6g}, max {max(high_max.values()):,.6g})"
    elif low_min and high_max:
        low, high = min(low_min.values()), max(high_max.values())
        seen = f"values from {low:,.6g} to {high:,.6g}"
    else:
        return None
    margin = MARGIN * (high - low)
    lower = low - margin
    never_negative = min((low_min or p1 or {0: low}).values()) >= 0
    if never_negative:
        lower = max(0.0, lower)
    kwargs["min_value"] = _num(lower)
    note = f"{seen} in {where}; {MARGIN:.0%} margin" + (", not below 0" if never_negative
                                                       else "")
    if high_max and grows(high_max):
        kwargs.pop("mostly", None)
        note += "; no upper bound: its maximum grows over time (an id, a counter)"
    else:
        kwargs["max_value"] = _num(high + margin)
    return _expectation(suite, "expect_column_values_to_be_between", kwargs, note)


def grows(maxima: dict[dt.datetime, float]) -> bool:
    """True when a column's maximum keeps rising with time (Spearman rho >= 0.9 over at
    least 5 points): new ids or counters, for which an upper bound would soon fail.

    >>> import datetime as dt
    >>> grows({dt.datetime(2026, 1, d): float(d * 10) for d in range(1, 8)})
    True
    """
    if len(maxima) < 5:
        return False
    stamps = sorted(maxima)
    values = [maxima[t] for t in stamps]
    if len(set(values)) == 1:
        return False
    from scipy import stats  # only when suggesting

    rho = stats.spearmanr(range(len(values)), values).statistic
    return bool(rho >= 0.9)


def _value_set(suite: str, column: str, series: dict, stamps: list[dt.datetime],
               where: str) -> dict[str, Any] | None:
    shares = {m[len(SHARE_PREFIX):]: v for (c, m), v in series.items()
              if c == column and m.startswith(SHARE_PREFIX)}
    if not shares or len(shares) > TOP_K or any("~" in value for value in shares):
        return None
    nulls = series.get((column, "null_rate"), {})
    for ts in stamps:
        covered = sum(v.get(ts, 0.0) for v in shares.values()) + nulls.get(ts, 0.0)
        if abs(covered - 1.0) > 1e-9:
            return None  # values outside the top k that day: not a small set
    values = sorted(shares)
    mean = {v: sum(shares[v].values()) / len(stamps) for v in values}
    usual = ", ".join(f"{v} {mean[v]:.0%}" for v in sorted(values, key=lambda v: -mean[v]))
    return _expectation(suite, "expect_column_values_to_be_in_set",
                        {"column": column, "value_set": values},
                        f"only these {len(values)} values in {where} (shares: {usual})")


def suggest_suite(name: str, points: Sequence[MetricPoint], columns: Columns, *,
                  granularity: str = "snapshot") -> dict[str, Any]:
    """A suite (the JSON GX writes) drafted from the points of one granularity."""
    series = _series([p for p in points if p.granularity == granularity])
    rows = series.get(("", "row_count"), {})
    stamps = sorted(ts for ts, n in rows.items() if n > 0)
    if not stamps:
        raise ValueError(f"no stored {granularity} points with rows for {name!r}")
    where = _span(stamps, granularity)
    out: list[dict[str, Any]] = []
    for column, _type in columns:
        nulls = series.get((column, "null_count"), {})
        if nulls and all(nulls.get(ts) == 0 for ts in stamps):
            seen = (f"{rows[stamps[-1]]:,.0f} rows now" if granularity == "snapshot"
                    else f"{sum(rows[t] for t in stamps):,.0f} rows")
            out.append(_expectation(name, "expect_column_values_to_not_be_null",
                                    {"column": column}, f"never null in {where} ({seen})"))
        distinct = series.get((column, "distinct_count"), {})
        judged = [ts for ts in stamps if ts in distinct]
        if granularity == "snapshot":
            judged = judged[-1:]  # the table now: earlier runs saw fewer rows
        if judged and all(distinct[ts] == rows[ts] for ts in judged):
            scope = (f"in the newest run ({rows[judged[-1]]:,.0f} rows)"
                     if granularity == "snapshot" else
                     f"within each of {_span(judged, granularity)} (not measured across them)")
            out.append(_expectation(name, "expect_column_values_to_be_unique",
                                    {"column": column},
                                    f"distinct count equals row count {scope}"))
        if (column, "min_length") in series:
            found = _value_set(name, column, series, stamps, where)
        else:
            found = _range(name, column, series, where) if (column, "mean") in series else None
        if found:
            out.append(found)
    return {"expectations": out, "id": str(uuid.uuid5(_NAMESPACE, name)),
            "meta": {"great_expectations_version": _gx_version(),
                     "suggested_from": f"dq-monitor's stored profile: {where}"},
            "name": name, "notes": None}


def _gx_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("great_expectations")
    except PackageNotFoundError:  # pragma: no cover - GX is a core dependency
        return "1.x"


def suite_text(suite: dict[str, Any]) -> str:
    """The suite as its file holds it (the layout of the files in ``expectations/``)."""
    return json.dumps(suite, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
