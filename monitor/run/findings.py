"""Findings: what a run found wrong (or right) with a table, for incidents and alerts.

Every check that judges a table (anomaly detectors, rules, expectation
suites, schema comparison, gate, the run itself) reports a ``Finding`` per
check it evaluated, failing or not, so the incident logic can open an
incident on the first failure and resolve it after enough passing runs.
A message about an incident shows the incident's latest finding, with the
incident's own facts filled in (``incident_id``, ``occurrences``, ``ok_runs``,
``resolution``; ``monitor.alerts.incidents.incident_finding``).

>>> import datetime as dt
>>> f = Finding(table="orders", check="volume:row_count", kind="anomaly", severity="critical",
...             failing=True, at=dt.datetime(2026, 1, 5), reason="rows 412, usually 980")
>>> f.title
'orders: rows 412, usually 980'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["critical", "warning", "info"]
FindingKind = Literal["anomaly", "rule", "expectation", "schema", "gate", "run"]
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
#: The incident's facts on a finding, and their values while it has none.
_INCIDENT_FACTS: dict[str, Any] = {"incident_id": None, "occurrences": 1, "ok_runs": 0,
                                   "resolution": None}


@dataclass(frozen=True)
class Finding:
    """The outcome of one check on one table in one run."""

    table: str
    check: str  # stable key, e.g. "volume:row_count", "null_rate:user_id", "suite:s:<key>"
    kind: FindingKind
    severity: Severity
    failing: bool
    at: dt.datetime  # the time of the judged point (bucket start or as-of time)
    reason: str  # one line a data owner understands
    metric: str | None = None
    column: str | None = None
    observed: float | str | None = None
    expected: float | None = None
    lower: float | None = None
    upper: float | None = None
    score: float | None = None
    since: dt.datetime | None = None  # first time this problem was seen
    # The incident this finding belongs to, when a message shows it (left out of to_dict
    # while unset: a run's findings do not have them).
    incident_id: int | None = None
    occurrences: int = 1
    ok_runs: int = 0
    #: Why the incident is resolved, when that is more than "passing runs".
    resolution: str | None = None

    @property
    def title(self) -> str:
        return f"{self.table}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key, unset in _INCIDENT_FACTS.items():
            if out[key] == unset:
                del out[key]
        for key in ("at", "since"):
            if out[key] is not None:
                out[key] = out[key].isoformat()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The inverse of ``to_dict``."""
        values = dict(data)
        for key in ("at", "since"):
            if values.get(key) is not None:
                values[key] = dt.datetime.fromisoformat(values[key])
        return cls(**values)
