"""What a reconciliation found: per-bucket counts and sums, key differences, the cost.

>>> import datetime as dt
>>> diff = KeyDiff(missing=(7, 9), extra=(), changed=(), missing_count=2)
>>> result = ReconcileResult("orders_mart", dt.datetime(2026, 3, 1), (), diff)
>>> result.matched, result.reason
(False, '2 keys missing in the target (first: 7, 9)')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from monitor import formatting
from monitor.metrics.points import SNAPSHOT, MetricPoint
from monitor.run.findings import Finding
from monitor.timeutil import to_naive_utc


@dataclass(frozen=True)
class BucketDiff:
    """One bucket's (or the whole table's, ``bucket`` None) counts and sums on each side."""

    bucket: dt.datetime | None
    source_rows: int
    target_rows: int
    sums: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    matched: bool = True

    def describe(self) -> str:
        """``2026-03-01: rows 1,200 vs 1,195; sum(amount) 51,000.5 vs 50,700``."""
        where = self.bucket.date().isoformat() if self.bucket else "table"
        parts = [f"rows {formatting.number(self.source_rows)} vs "
                 f"{formatting.number(self.target_rows)}"]
        parts += [f"sum({c}) {formatting.number(s)} vs {formatting.number(t)}"
                  for c, (s, t) in self.sums.items() if s != t]
        return f"{where}: {'; '.join(parts)}"


@dataclass(frozen=True)
class KeyDiff:
    """Keys in the source only (missing), in the target only (extra), with other values
    (changed): samples and exact counts, and what finding them cost."""

    missing: tuple[Any, ...] = ()
    extra: tuple[Any, ...] = ()
    changed: tuple[Any, ...] = ()
    missing_count: int = 0
    extra_count: int = 0
    changed_count: int = 0
    rows_moved: int = 0  # rows fetched from both sides to diff them
    queries: int = 0  # fingerprint and fetch queries, both sides
    ranges_compared: int = 0
    table_rows: int = 0  # rows of the larger side

    @property
    def matched(self) -> bool:
        return not (self.missing_count or self.extra_count or self.changed_count)


@dataclass(frozen=True)
class ReconcileResult:
    """The outcome of one reconciliation."""

    name: str
    at: dt.datetime
    buckets: tuple[BucketDiff, ...]
    keys: KeyDiff | None = None
    seconds: float = 0.0

    @property
    def mismatched_buckets(self) -> list[BucketDiff]:
        return [b for b in self.buckets if not b.matched]

    @property
    def matched(self) -> bool:
        return not self.mismatched_buckets and (self.keys is None or self.keys.matched)

    @property
    def reason(self) -> str:
        """One line for a data owner: what differs, or that nothing does."""
        parts = []
        bad = self.mismatched_buckets
        if bad:
            shown = "; ".join(b.describe() for b in bad[:3])
            more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
            parts.append(f"{len(bad)} bucket(s) differ: {shown}{more}")
        keys = self.keys
        if keys is not None:
            for count, sample, what in ((keys.missing_count, keys.missing, "missing in the target"),
                                        (keys.extra_count, keys.extra, "only in the target"),
                                        (keys.changed_count, keys.changed, "with other values")):
                if count:
                    first = ", ".join(str(k) for k in sample[:5])
                    parts.append(f"{count:,} key{'s' if count != 1 else ''} {what} "
                                 f"(first: {first})")
        if not parts:
            return "source and target match"
        return "; ".join(parts)

    def finding(self, table: str | None = None) -> Finding:
        """The result as a check of the monitor (``reconcile:NAME``), for incidents."""
        return Finding(table=table or self.name, check=f"reconcile:{self.name}", kind="rule",
                       severity="critical", failing=not self.matched, at=self.at,
                       reason=f"reconcile {self.name}: {self.reason}", metric="reconcile",
                       observed=float(self._differences()), expected=0.0)

    def _differences(self) -> int:
        keys = self.keys
        found = len(self.mismatched_buckets)
        if keys is not None:
            found += keys.missing_count + keys.extra_count + keys.changed_count
        return found

    def points(self, table: str | None = None) -> list[MetricPoint]:
        """The history of the check: one snapshot point per figure."""
        ts = to_naive_utc(self.at)
        name = table or self.name
        values: dict[str, float] = {
            "reconcile_source_rows": float(sum(b.source_rows for b in self.buckets)),
            "reconcile_target_rows": float(sum(b.target_rows for b in self.buckets)),
            "reconcile_mismatched_buckets": float(len(self.mismatched_buckets))}
        if self.keys is not None:
            values.update({"reconcile_missing_keys": float(self.keys.missing_count),
                           "reconcile_extra_keys": float(self.keys.extra_count),
                           "reconcile_changed_keys": float(self.keys.changed_count),
                           "reconcile_rows_moved": float(self.keys.rows_moved)})
        return [MetricPoint(name, "", metric, SNAPSHOT, ts, value)
                for metric, value in values.items()]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "at": self.at.isoformat(), "matched": self.matched,
                "reason": self.reason, "seconds": self.seconds,
                "buckets": [{**asdict(b), "bucket": b.bucket.isoformat() if b.bucket else None}
                            for b in self.buckets],
                "keys": asdict(self.keys) if self.keys is not None else None}


def sample(keys: Sequence[Any], size: int) -> tuple[Any, ...]:
    """The first ``size`` keys in order (one-column keys as plain values)."""
    ordered = sorted(keys)
    return tuple(k[0] if isinstance(k, tuple) and len(k) == 1 else k for k in ordered[:size])
