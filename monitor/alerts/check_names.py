"""What an incident's check is, in words: ``null rate of email``, not ``null_rate:email``.

Checks are stored under stable keys (``suite:customers:e4339a...`` hashes an
expectation's arguments); people read the name built here from the incident's
finding, and type the incident's number (``#12``).

>>> check_name("suite:customers:e4339a0c5d1f", kind="expectation",
...            metric="expect_column_values_to_not_be_null", column="email")
'expectation: column values to not be null (email)'
>>> check_name("null_rate:email", kind="anomaly", metric="null_rate", column="email")
'null rate of email'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Metrics whose name reads badly as is.
_METRIC_WORDS = {"row_count": "rows", "freshness_seconds": "data age",
                 "arrival_delay_seconds": "arrival delay", "null_rate": "null rate",
                 "distinct_count": "distinct count",
                 # From the catalog, not a scan (monitor.metrics.metadata): said as estimates.
                 "row_count_estimate": "rows (catalog estimate)",
                 "modified_age_estimate_seconds": "time since last change (catalog estimate)"}
_HASH = re.compile(r"[0-9a-f]{12,}")


def _metric_words(metric: str, column: str | None) -> str:
    words = _METRIC_WORDS.get(metric, metric.replace("_", " "))
    return f"{words} of {column}" if column else words


def _short_key(check: str) -> str:
    """The key with any long hash cut to 8 characters."""
    return _HASH.sub(lambda m: m.group(0)[:8], check)


def check_name(check: str, *, kind: str | None = None, metric: str | None = None,
               column: str | None = None) -> str:
    """A short name of a check for people, from its key and its finding's fields."""
    if kind == "anomaly" and metric:
        per = " per segment" if check.startswith("segments:") else ""
        return _metric_words(metric, column) + per
    if kind == "expectation" and metric:
        what = metric.removeprefix("expect_").replace("_", " ")
        return f"expectation: {what}" + (f" ({column})" if column else "")
    if kind == "schema":
        return "schema"
    if check.startswith("rule:"):
        return check.removeprefix("rule:").replace("_", " ")
    if kind == "run" and check.startswith("suite:"):
        return f"suite {check.removeprefix('suite:')}"
    return _from_key(check)


#: Keys that name their check without a finding (incidents stored without one).
_KEY_WORDS = {"volume:row_count": "rows", "freshness": "data age",
              "arrival_delay": "arrival delay", "schema": "schema", "run": "run",
              "metadata:row_count_estimate": "rows (catalog estimate)",
              "metadata:modified_age_estimate_seconds":
                  "time since last change (catalog estimate)"}


def _from_key(check: str) -> str:
    """The name read from the key alone: ``null_rate:email`` -> ``null rate of email``."""
    if check in _KEY_WORDS:
        return _KEY_WORDS[check]
    head, _, rest = check.partition(":")
    if head == "suite" and rest:
        suite, _, key = rest.partition(":")
        return f"expectation {_short_key(key)} of suite {suite}" if key else f"suite {suite}"
    if rest and head in ("null_rate", "mean", "stddev", "distinct_count"):
        return _metric_words(head, rest)
    return _short_key(check)


def incident_check_name(check: str, details: Mapping[str, Any]) -> str:
    """``check_name`` of a stored incident (its ``details`` hold the latest finding)."""
    found = details.get("finding") or {}
    return check_name(check, kind=found.get("kind"), metric=found.get("metric"),
                      column=found.get("column"))
