"""Tables as people read them: titled columns, times and numbers written out, no "None".

``readable`` turns a store frame into the frame a page shows: only the chosen
columns, each written through ``monitor.formatting`` (times as
``2026-01-05 06:00``, numbers with separators, missing values as "–"), under
the column's raw name, so tests still find columns by name, while
``headers`` gives Streamlit the titles people read.

>>> import datetime as dt
>>> import pandas as pd
>>> raw = pd.DataFrame({"ts": [dt.datetime(2026, 1, 5, 6)], "value": [1263.10675],
...                     "label": [None]})
>>> readable(raw, {"ts": "When (UTC)", "value": "Value", "label": "Label"}).iloc[0].tolist()
['2026-01-05 06:00', '1,263.11', '–']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from monitor import formatting


def _cell(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and pd.isna(value)):
        return formatting.MISSING
    if isinstance(value, pd.Timestamp | dt.datetime):
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return formatting.text(value)
    if isinstance(value, int | float):
        return formatting.number(value)
    text = str(value)
    return text if text.strip() and text != "null" else formatting.MISSING


def readable(frame: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """The ``labels`` columns of ``frame`` (in that order), every cell as text people read."""
    shown = [name for name in labels if name in frame.columns]
    return pd.DataFrame({name: [_cell(v) for v in frame[name].tolist()] for name in shown},
                        index=frame.index)


def headers(labels: Mapping[str, str]) -> dict[str, Any]:
    """Streamlit column settings that title each column (for ``st.dataframe``)."""
    import streamlit as st

    return {name: st.column_config.TextColumn(title) for name, title in labels.items()}


#: Titles of store columns that read badly when only their underscores are replaced.
TITLES = {"ts": "When (UTC)", "table_name": "Table", "column_name": "Column",
          "started_at": "Started (UTC)", "finished_at": "Finished (UTC)",
          "verdict_id": "Verdict", "batch_id": "Batch", "observed_value": "Observed",
          "unexpected_count": "Unexpected rows", "rows_in": "Rows in",
          "rows_published": "Rows published", "rows_quarantined": "Rows quarantined",
          "old_type": "Old type", "new_type": "New type", "source_file": "Source file",
          "lower": "Lower bound", "upper": "Upper bound", "reason": "Why"}


def title(name: str) -> str:
    """``rows_quarantined`` -> ``Rows quarantined``; the known ones from ``TITLES``."""
    return TITLES.get(name) or name.replace("_", " ").strip().capitalize() or name


def titled(frame: pd.DataFrame) -> dict[str, Any]:
    """Streamlit settings for every column of ``frame``: its title, times as
    ``YYYY-MM-DD HH:mm`` and numbers with separators (the values stay as they are)."""
    import streamlit as st

    out: dict[str, Any] = {}
    for name in frame.columns:
        kind = frame[name].dtype
        if pd.api.types.is_datetime64_any_dtype(kind):
            out[name] = st.column_config.DatetimeColumn(title(name), format="YYYY-MM-DD HH:mm")
        elif pd.api.types.is_numeric_dtype(kind) and not pd.api.types.is_bool_dtype(kind):
            out[name] = st.column_config.NumberColumn(title(name), format="localized")
        else:
            out[name] = st.column_config.TextColumn(title(name))
    return out


def series_label(metric: str, column: str, granularity: str) -> str:
    """A watched series in words: ``Rows per day``, ``Null rate of email, per run``.

    >>> series_label("row_count", "", "day"), series_label("null_rate", "email", "snapshot")
    ('Rows per day', 'Null rate of email, per run')
    """
    from monitor.dashboard.profile import metric_title

    per = "per run" if granularity == "snapshot" else f"per {granularity}"
    where = f" of {column}," if column else ""
    return f"{metric_title(metric)}{where} {per}"
