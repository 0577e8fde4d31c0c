"""Missing, extra and changed keys, found by bisecting only the key ranges that differ.

The way data-diff tools avoid moving rows: each side computes a fingerprint of
each key range in one grouped query (``plan.SidePlan.fingerprints``: rows, sum of
key hashes, and per summed column its count, sum and hash-weighted sum). Ranges
whose fingerprints agree are done; a range that differs is split into ``fanout``
sub-ranges for the next round, until it holds at most ``fetch_threshold`` rows on
either side: then its rows (keys and scaled values only) are fetched from both
sides and compared in Python. The rows fetched are the rows moved.

>>> split((0, 100), 4)
[(0, 25), (25, 50), (50, 75), (75, 100)]
>>> split((0, 3), 16)
[(0, 1), (1, 2), (2, 3)]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from monitor.reconcile.plan import Range, SidePlan, run_query
from monitor.reconcile.result import KeyDiff, sample

#: Ranges per fingerprint query (each is one WHEN of a CASE).
MAX_RANGES_PER_QUERY = 200


def split(span: Range, parts: int) -> list[Range]:
    """``span`` cut into at most ``parts`` contiguous ranges of (nearly) equal width."""
    low, high = span
    width = high - low
    parts = max(1, min(parts, width))
    edges = [low + (width * i) // parts for i in range(parts + 1)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _chunks(items: Sequence[Range], size: int) -> list[Sequence[Range]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class _Counter:
    def __init__(self) -> None:
        self.queries = 0
        self.moved = 0
        self.ranges = 0


def _fingerprints(plan: SidePlan, ranges: Sequence[Range],
                  counter: _Counter) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = [(0,)] * len(ranges)
    for offset, chunk in zip(range(0, len(ranges), MAX_RANGES_PER_QUERY),
                             _chunks(ranges, MAX_RANGES_PER_QUERY), strict=True):
        counter.queries += 1
        for row in run_query(plan, plan.fingerprints(chunk), "key-range fingerprints"):
            segment = int(row[0])
            if segment >= 0:
                out[offset + segment] = tuple(int(v or 0) for v in row[1:])
    return out


def _rows(plan: SidePlan, ranges: Sequence[Range], counter: _Counter
          ) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    keys = len(plan.entry.key)
    found: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    for chunk in _chunks(ranges, MAX_RANGES_PER_QUERY):
        counter.queries += 1
        rows = run_query(plan, plan.rows(chunk), "rows of differing key ranges")
        counter.moved += len(rows)
        for row in rows:
            found[tuple(int(v) for v in row[:keys])] = tuple(
                None if v is None else int(v) for v in row[keys:])
    return found


def _bounds(plan: SidePlan, counter: _Counter) -> tuple[int | None, int | None, int]:
    counter.queries += 1
    low, high, rows = run_query(plan, plan.key_bounds(), "key range")[0]
    return (None if low is None else int(low), None if high is None else int(high),
            int(rows or 0))


def diff_keys(source: SidePlan, target: SidePlan) -> KeyDiff:
    """Bisect the key ranges of ``source`` and ``target`` (see the module docstring)."""
    entry = source.entry
    counter = _Counter()
    s_low, s_high, s_rows = _bounds(source, counter)
    t_low, t_high, t_rows = _bounds(target, counter)
    lows = [v for v in (s_low, t_low) if v is not None]
    highs = [v for v in (s_high, t_high) if v is not None]
    if not lows:
        return KeyDiff(queries=counter.queries, table_rows=max(s_rows, t_rows))
    pending: list[Range] = [(min(lows), max(highs) + 1)]
    to_fetch: list[Range] = []
    while pending:
        counter.ranges += len(pending)
        left = _fingerprints(source, pending, counter)
        right = _fingerprints(target, pending, counter)
        following: list[Range] = []
        for span, a, b in zip(pending, left, right, strict=True):
            if a == b:
                continue
            small = max(a[0], b[0]) <= entry.fetch_threshold or span[1] - span[0] <= 1
            if small:
                to_fetch.append(span)
            else:
                following += split(span, entry.fanout)
        pending = sorted(following)
    missing: list[tuple[Any, ...]] = []
    extra: list[tuple[Any, ...]] = []
    changed: list[tuple[Any, ...]] = []
    if to_fetch:
        to_fetch.sort()
        here, there = _rows(source, to_fetch, counter), _rows(target, to_fetch, counter)
        missing = [k for k in here if k not in there]
        extra = [k for k in there if k not in here]
        changed = [k for k, v in here.items() if k in there and there[k] != v]
    size = entry.samples
    return KeyDiff(missing=sample(missing, size), extra=sample(extra, size),
                   changed=sample(changed, size), missing_count=len(missing),
                   extra_count=len(extra), changed_count=len(changed),
                   rows_moved=counter.moved, queries=counter.queries,
                   ranges_compared=counter.ranges, table_rows=max(s_rows, t_rows))
