"""Custom SQL metrics of a table: ``metrics: [{name: refund_share, sql: "select ..."}]``.

The SQL is one SELECT (or WITH ... SELECT) returning one number, or one row per
bucket when it selects ``bucket`` and ``value``. ``{bucket_filter}`` is the one
placeholder: at run time it becomes a predicate on the table's timestamp column with
bound values (``monitor.metrics.custom``); nothing else is formatted into the text.

>>> metric = CustomMetric(name="refund_share", sql="select avg(refunded) from orders")
>>> metric.metric, metric.uses_bucket_filter
('custom_refund_share', False)
>>> one_select("delete from orders")
Traceback (most recent call last):
ValueError: must be one SELECT (or WITH ... SELECT) statement, got 'delete ...'
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

PLACEHOLDER = "{bucket_filter}"
#: Stored metric names of custom metrics begin so, apart from the built-in ones.
PREFIX = "custom_"
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_PLACEHOLDERS = re.compile(r"\{([A-Za-z_]\w*)\}")
_FIRST_WORD = re.compile(r"\s*\(*\s*([A-Za-z]+)")


class CustomMetric(BaseModel):
    """One metric computed by SQL of the user's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    sql: str = Field(min_length=1)

    @field_validator("sql")
    @classmethod
    def _one_select(cls, value: str) -> str:
        return one_select(value)

    @property
    def metric(self) -> str:
        """The stored metric's name (``custom_<name>``)."""
        return PREFIX + self.name

    @property
    def uses_bucket_filter(self) -> bool:
        return PLACEHOLDER in self.sql


def one_select(value: str) -> str:
    """``value`` if it is one SELECT with no placeholder but ``{bucket_filter}``."""
    text = _COMMENTS.sub(" ", value).strip()
    first = _FIRST_WORD.match(text)
    word = first.group(1).lower() if first else ""
    if word not in ("select", "with"):
        shown = (word or text[:20]) + " ..."
        raise ValueError(f"must be one SELECT (or WITH ... SELECT) statement, "
                         f"got {shown!r}")
    if ";" in text.rstrip(";"):
        raise ValueError("must be one statement: ';' separates statements")
    unknown = sorted({m.group(1) for m in _PLACEHOLDERS.finditer(value)}
                     - {PLACEHOLDER.strip("{}")})
    if unknown:
        raise ValueError(f"unknown placeholder {{{unknown[0]}}}: the one placeholder "
                         f"is {PLACEHOLDER}")
    return value
