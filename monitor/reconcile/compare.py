"""Row counts and sums per bucket, one aggregate query per side, compared with a tolerance.

>>> close(100, 100.05, 0.001), close(100, 101, 0.001), close(None, None, 0)
(True, False, True)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from monitor.metrics.definitions import parse_db_time
from monitor.reconcile.plan import SidePlan, run_query
from monitor.reconcile.result import BucketDiff
from monitor.timeutil import to_naive_utc

#: Float sums add up in a different order on each engine: this much never counts.
FLOAT_SLACK = 1e-9


def close(source: float | None, target: float | None, tolerance: float) -> bool:
    """Whether two counts or sums match within a relative ``tolerance``."""
    if source is None or target is None:
        return source is None and target is None
    allowed = max(tolerance, FLOAT_SLACK) * max(abs(source), abs(target))
    return abs(source - target) <= allowed


def _number(value: Any) -> float | None:  # Decimal from PostgreSQL, int from SQLite
    if value is None:
        return None
    return float(value)


def _by_bucket(plan: SidePlan) -> dict[dt.datetime | None, tuple[int, list[float | None]]]:
    rows = run_query(plan, plan.bucket_aggregates(), "counts and sums")
    out: dict[dt.datetime | None, tuple[int, list[float | None]]] = {}
    bucketed = bool(plan.entry.bucket)
    for row in rows:
        values = list(row)
        bucket = None
        if bucketed:
            start = parse_db_time(values.pop(0))
            bucket = to_naive_utc(start) if start is not None else None
        out[bucket] = (int(values[0] or 0), [_number(v) for v in values[1:]])
    return out


def compare_buckets(source: SidePlan, target: SidePlan) -> list[BucketDiff]:
    """Each bucket of either side with both sides' rows and sums, judged with the
    entry's tolerance; a bucket one side lacks counts as 0 rows there."""
    entry = source.entry
    left, right = _by_bucket(source), _by_bucket(target)
    empty: tuple[int, list[float | None]] = (0, [None] * len(entry.sums))
    out = []
    for bucket in sorted(set(left) | set(right), key=lambda b: (b is not None, b)):
        (s_rows, s_sums), (t_rows, t_sums) = left.get(bucket, empty), right.get(bucket, empty)
        sums = {c: (s, t) for c, s, t in zip(entry.sums, s_sums, t_sums, strict=True)}
        matched = close(s_rows, t_rows, entry.tolerance) and all(
            close(s, t, entry.tolerance) for s, t in sums.values())
        out.append(BucketDiff(bucket, s_rows, t_rows, sums, matched))
    return out


def totals(buckets: Sequence[BucketDiff]) -> tuple[int, int]:
    """Rows of the source and of the target over every bucket."""
    return sum(b.source_rows for b in buckets), sum(b.target_rows for b in buckets)
