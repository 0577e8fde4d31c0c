"""What validating one expectation found, and the Protocol every validator implements.

Failures are values: an expectation that could not be evaluated (missing
column, unsupported type, warehouse error inside GX) is an outcome with
``success=False`` and an ``error`` saying why, never an exception.

>>> from monitor.validation.suites import ExpectationSpec
>>> spec = ExpectationSpec("s", "expect_column_values_to_not_be_null", {"column": "id"})
>>> ExpectationOutcome(spec, success=False, unexpected_count=3, unexpected_percent=1.5,
...                    element_count=200).reason
'values_to_not_be_null(id): 3 unexpected values (1.5%)'
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from monitor import formatting
from monitor.validation.suites import ExpectationSpec
from monitor.warehouse import SqlWarehouse, TableShape

Engine = Literal["sql", "gx", "schema", "none"]


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation on one table."""

    expectation: ExpectationSpec
    success: bool
    observed_value: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    unexpected_values: tuple[Any, ...] = ()
    error: str | None = None  # why it could not be evaluated
    engine: Engine = "sql"
    details: str | None = None  # what a failed schema expectation found


    @property
    def severity(self) -> str:
        return self.expectation.severity

    @property
    def blocking(self) -> bool:
        """A failed critical expectation: what blocks a gate."""
        return not self.success and self.expectation.severity == "critical"

    @property
    def reason(self) -> str:
        """One line a data owner understands."""
        label = self.expectation.label
        if self.error:
            return f"{label}: {self.error}"
        if self.details and not self.success:
            return f"{label}: {self.details}"
        if self.unexpected_count is not None:
            if self.unexpected_count == 0:
                return f"{label}: no unexpected values"
            pct = "" if self.unexpected_percent is None else (
                f" ({formatting.percent(self.unexpected_percent / 100)})")
            return f"{label}: {formatting.number(self.unexpected_count)} unexpected values{pct}"
        if self.observed_value is not None:
            return f"{label}: observed {_short(self.observed_value)}"
        return f"{label}: {'passed' if self.success else 'failed'}"

    def to_dict(self) -> dict[str, Any]:
        spec = self.expectation
        return {"suite": spec.suite, "expectation": spec.label, "key": spec.key,
                "type": spec.type, "column": spec.column, "severity": spec.severity,
                "success": self.success, "observed_value": jsonable(self.observed_value),
                "element_count": self.element_count,
                "unexpected_count": self.unexpected_count,
                "unexpected_percent": self.unexpected_percent,
                "unexpected_values": [jsonable(v) for v in self.unexpected_values],
                "error": self.error, "details": self.details, "engine": self.engine}


def _short(value: Any) -> str:
    if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool):
        return formatting.number(value)
    if isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value[:8])
        return f"[{text}{', ...' if len(value) > 8 else ''}]"
    return str(value)


def jsonable(value: Any) -> Any:
    """A result value as plain JSON (times as ISO text, NaN as None, Decimal as float)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):  # numpy scalars
        return jsonable(value.item())
    return str(value)


def to_json(value: Any) -> str | None:
    return None if value is None else json.dumps(jsonable(value), allow_nan=False)


class Validator(Protocol):
    """Evaluates expectations on a reflected table; returns one outcome per expectation."""

    def evaluate(self, warehouse: SqlWarehouse, shape: TableShape,
                 expectations: Sequence[ExpectationSpec], *, samples: int = 0,
                 no_samples: Collection[str] = ()) -> list[ExpectationOutcome]: ...
