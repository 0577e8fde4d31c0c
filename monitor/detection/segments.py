"""One sentence for one check judged over every segment of a table.

Each segment's series is judged on its own (the detectors of ``monitor.detection``);
a person reads one line per table and check, naming the segments that are off and
how many are fine.

>>> found = [SegmentVerdict(("DE",), True, 0, 1200), SegmentVerdict(("FR",), False, 800, 790)]
>>> segments_reason("orders", "country", found, "rows", Unit.COUNT)
'orders from DE: 0 rows, usually 1,200; 1 other country normal'
>>> segments_reason("orders", "country", found[1:], "rows", Unit.COUNT)
'orders: rows normal in all 1 country'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.detection.wording import Unit, format_value
from monitor.metrics.segments import describe

#: Segments named in one sentence; the rest are counted.
LISTED = 3


@dataclass(frozen=True)
class SegmentVerdict:
    """The newest judged point of one segment's series."""

    label: tuple[Any, ...] | None  # None: the "other" segment
    failing: bool
    value: float | None
    expected: float | None


def plural(noun: str, count: int) -> str:
    """``country`` -> ``countries`` when count is not 1.

    >>> plural("country", 2), plural("channel", 2), plural("status", 2), plural("day", 1)
    ('countries', 'channels', 'statuses', 'day')
    """
    if count == 1:
        return noun
    if noun.endswith("y") and noun[-2:-1] not in tuple("aeiou"):
        return noun[:-1] + "ies"
    if noun.endswith(("s", "x", "sh", "ch")):
        return noun + "es"
    return noun + "s"


def _value_text(metric: str, value: float | None, unit: Unit) -> str:
    shown = format_value(float("nan") if value is None else value, unit)
    return f"{shown} {metric}" if unit is Unit.COUNT else f"{metric} {shown}"


def segments_reason(table: str, noun: str, verdicts: Sequence[SegmentVerdict], metric: str,
                    unit: Unit) -> str:
    """``orders from DE: 0 rows, usually 1,200; 49 other countries normal``.

    ``noun`` names a segment (``country``; ``segment`` for two parts); ``metric``
    is the label of the value (``rows``, ``null rate of email``).
    """
    failing = [v for v in verdicts if v.failing]
    fine = sum(1 for v in verdicts if not v.failing and v.label is not None)
    if not failing:
        return f"{table}: {metric} normal in all {fine} {plural(noun, fine)}"
    parts = []
    for verdict in failing[:LISTED]:
        who = (f"other {plural(noun, 2)}" if verdict.label is None
               else describe(verdict.label))
        usual = format_value(float("nan") if verdict.expected is None else verdict.expected,
                             unit)
        parts.append(f"{table} from {who}: {_value_text(metric, verdict.value, unit)}, "
                     f"usually {usual}")
    if len(failing) > LISTED:
        more = len(failing) - LISTED
        parts.append(f"{more} more {plural(noun, more)} off")
    parts.append(f"{fine} other {plural(noun, fine)} normal")
    return "; ".join(parts)
