"""A table's expectation results, split into the table's own checks and the checks of
incoming batches, and what is failing now.

A batch the gate blocked is the gate doing its job, so its failed expectations
belong on the batches tab, never among the table's own failures (the overview
counts only validations of the table itself, ``VALIDATING_KINDS``).

>>> from monitor.store import SqlMetricStore
>>> import datetime as dt
>>> store = SqlMetricStore("sqlite:///:memory:")
>>> store.ensure_schema()
>>> own, batches = expectation_history("orders", store=store, since=dt.datetime(2026, 1, 1))
>>> own.empty, batches.empty
(True, True)
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from monitor.store import SqlMetricStore
from monitor.store.dashboard import VALIDATING_KINDS
from monitor.store.dashboard_reads import expectation_rows


def _labelled(out: pd.DataFrame) -> pd.DataFrame:
    out["success"] = out["success"].astype(bool)
    short = out["expectation_type"].str.removeprefix("expect_").str.replace("_", " ")
    column = out["column_name"].fillna("")
    out["expectation"] = out["suite"] + ": " + short + column.map(lambda c: f" ({c})" if c
                                                                   else "")
    out["result"] = out["success"].map({True: "pass", False: "fail"})
    out.loc[out["error"].notna(), "result"] = "error"
    return out


def expectation_history(table: str, *, store: SqlMetricStore, since: dt.datetime
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the table's own results, the results of its incoming batches) since a time,
    oldest first; ``expectation`` names each in words, ``result`` is pass/fail/error."""
    out = _labelled(expectation_rows(table, store=store, since=since))
    own = out["run_kind"].isin(VALIDATING_KINDS) | out["run_kind"].isna()
    return (out[own].reset_index(drop=True), out[~own].reset_index(drop=True))


def failing_now(own: pd.DataFrame) -> pd.DataFrame:
    """The failed or errored results of the table's newest validation (what is wrong now).

    >>> frame = pd.DataFrame({"ts": [1, 1, 2, 2], "result": ["fail", "pass", "pass", "fail"],
    ...                       "expectation": ["a", "b", "a", "b"]})
    >>> failing_now(frame)["expectation"].tolist()
    ['b']
    """
    if own.empty:
        return own
    newest = own[own["ts"] == own["ts"].max()]
    return newest[newest["result"] != "pass"].reset_index(drop=True)
