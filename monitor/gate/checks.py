"""The checks a gate verdict is made of, as plain values and pure functions.

A check passes or fails with a severity; a failed ``critical`` check blocks.
Checks whose failing rows can be set aside (``row_level``) do not block in
publish-good ingestion: those rows go to quarantine instead.

>>> import datetime as dt
>>> volume_check(412, [980, 1010, 950, 990], min_ratio=0.5).reason
'412 rows, under 50% of the usual 985 (median of 4 earlier batches)'
>>> freshness_check(None, dt.datetime(2026, 1, 2, tzinfo=dt.UTC), sla=3600, column="ts").passed
False
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from monitor import formatting
from monitor.validation.outcomes import ExpectationOutcome
from monitor.validation.suites import ExpectationSpec, Severity

MIN_HISTORY = 3


@dataclass(frozen=True)
class GateCheck:
    """One judged check of a gate."""

    check: str  # "suite:orders:values_to_not_be_null(customer_id)", "volume", "freshness", ...
    passed: bool
    severity: Severity
    reason: str
    row_level: bool = False
    judged: bool = True  # False: not judged (nothing configured, too little history)

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity == "critical"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def suite_checks(outcomes: Iterable[ExpectationOutcome],
                 row_level: Iterable[str] = ()) -> list[GateCheck]:
    """One check per expectation; keys in ``row_level`` mark row-level expectations."""
    rows = set(row_level)
    found = list(outcomes)
    labels = Counter((o.expectation.suite, o.expectation.label) for o in found)
    return [GateCheck(check=check_name(o.expectation,
                                       labels[(o.expectation.suite, o.expectation.label)] > 1),
                      passed=o.success, severity=o.expectation.severity, reason=o.reason,
                      row_level=o.expectation.key in rows) for o in found]


def check_name(spec: ExpectationSpec, shared: bool = False) -> str:
    """``suite:orders:values_to_be_between(amount)``; when another expectation of the
    suite has the same label (``shared``), its number in the file is added (``#2``),
    as ``suites check`` numbers it, so each check's name is unique and stable."""
    name = f"suite:{spec.suite}:{spec.label}"
    return f"{name}#{spec.index + 1}" if shared else name


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"


def volume_check(rows: int, history: Sequence[float], *, min_ratio: float,
                 what: str = "earlier batches", batch: str | None = None) -> GateCheck:
    """Blocks a batch with under ``min_ratio`` of the usual rows (median of the history).

    ``batch`` names what was counted (a bucket such as ``2026-03-09``) in the reason.
    """
    counted = f"{batch}: {_rows(rows)}" if batch else _rows(rows)
    if batch and not rows:
        # An empty bucket is a failed volume check whatever the history, as in monitoring.
        return GateCheck("volume", False, "critical", f"{counted}: the bucket is empty")
    if len(history) < MIN_HISTORY:
        return GateCheck("volume", True, "info",
                         f"{counted}; too little history to judge volume "
                         f"({len(history)} {what}, need {MIN_HISTORY})", judged=False)
    usual = statistics.median(history)
    ok = rows >= min_ratio * usual
    relation = "at least" if ok else "under"
    return GateCheck("volume", ok, "critical",
                     f"{counted}, {relation} {min_ratio:.0%} of the usual {usual:,.0f} "
                     f"(median of {len(history)} {what})")


def freshness_check(latest: dt.datetime | None, now: dt.datetime,
                    sla: float | None, *, column: str | None) -> GateCheck:
    """Blocks when the newest row (by ``column``) is older than the freshness SLA."""
    if sla is None:
        return GateCheck("freshness", True, "info", "not judged: no freshness_sla configured",
                         judged=False)
    if column is None:
        return GateCheck("freshness", True, "info",
                         "not judged: no timestamp_column configured to judge freshness by",
                         judged=False)
    if latest is None:
        where = f" in {column!r}" if column else ""
        return GateCheck("freshness", False, "critical", f"no timestamps{where} to judge")
    age = (now - latest).total_seconds()
    ok = age <= sla
    return GateCheck("freshness", ok, "critical",
                     f"newest row {formatting.duration(max(0.0, age))} old "
                     f"({'within' if ok else 'over'} the {formatting.duration(sla)} SLA)")


def blocking(checks: Iterable[GateCheck], *, quarantine_rows: bool = False) -> list[GateCheck]:
    """The checks that block; row-level ones do not when bad rows can be quarantined."""
    return [c for c in checks if c.blocking and not (quarantine_rows and c.row_level)]
