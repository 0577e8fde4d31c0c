"""Which evaluator judges an expectation on a table, decided in one place.

Validation and ``suites show`` / ``suites check`` ask the same function, so
what the commands say is what runs:

- ``none``: it cannot be evaluated (unknown type, arguments GX rejects, a
  column the table lacks, a type only GX evaluates on a dialect GX cannot
  validate, or a type GX has no SQL implementation of); ``reason`` says why and
  ``why`` says which;
- ``schema``: the reflected table answers it;
- ``sql``: ``monitor.validation.pushdown`` evaluates it in the one aggregate query;
- ``gx``: Great Expectations evaluates it.

>>> from monitor.dialects import capabilities_for
>>> from monitor.validation.suites import ExpectationSpec
>>> import sqlalchemy as sa
>>> from monitor.warehouse import ColumnInfo
>>> shape = TableShape(None, "t", sa.table("t"), (ColumnInfo("at", "TIMESTAMP", "timestamp"),))
>>> spec = ExpectationSpec("s", "expect_column_values_to_be_between",
...                        {"column": "AT", "min_value": "2024-01-01"})
>>> routed = route(spec, shape, capabilities_for("duckdb"))
>>> routed.evaluator, routed.spec.kwargs
('sql', {'column': 'at', 'min_value': datetime.date(2024, 1, 1)})
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from monitor.dialects import Capabilities
from monitor.validation.arguments import check_arguments, invalid_arguments
from monitor.validation.catalog import CATALOG, SCHEMA_TYPES
from monitor.validation.gx import GxValidator, unsupported_dialect
from monitor.validation.pushdown_rules import supports
from monitor.validation.suites import ExpectationSpec
from monitor.warehouse import TableShape

#: Types GX 1.24 implements for pandas (and Spark) only: their map metric has no
#: SqlAlchemyExecutionEngine provider, so GX fails them on every SQL table with
#: "No provider found". ``tests/validation/test_routing.py`` rebuilds this set from GX's metric
#: registry, so an upgrade that adds a SQL implementation fails a test.
NO_SQL_IN_GX = frozenset({
    "expect_column_values_to_be_increasing", "expect_column_values_to_be_decreasing",
    "expect_column_values_to_be_dateutil_parseable", "expect_column_values_to_be_json_parseable",
    "expect_column_values_to_match_json_schema", "expect_column_values_to_match_strftime_format"})

EngineChoice = Literal["auto", "gx"]
Evaluator = Literal["schema", "sql", "gx", "none"]
Why = Literal["type", "arguments", "column", "dialect"]
LABELS: dict[str, str] = {"schema": "table schema", "sql": "SQL", "gx": "GX",
                          "none": "not evaluated"}


@dataclass(frozen=True)
class Route:
    """Who evaluates one expectation, and the expectation as it will be evaluated
    (arguments read as GX reads them, columns spelled as the table spells them)."""

    evaluator: Evaluator
    spec: ExpectationSpec
    reason: str | None = None
    why: Why | None = None

    @property
    def label(self) -> str:
        text = LABELS[self.evaluator]
        return f"{text}: {self.reason}" if self.reason else text


def resolve_column(shape: TableShape, name: str) -> str | None:
    """The table's spelling of ``name``: exact, else the one case-insensitive match."""
    names = [c.name for c in shape.columns]
    if name in names:
        return name
    folded = [n for n in names if n.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def _resolved(spec: ExpectationSpec, shape: TableShape) -> ExpectationSpec | str:
    """``spec`` with column names as the table spells them, or why it cannot run."""
    kwargs = dict(spec.kwargs)
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            found = resolve_column(shape, kwargs[key])
            if found is None:
                return _missing(kwargs[key], shape)
            kwargs[key] = found
    if isinstance(kwargs.get("column_list"), list) and spec.type not in SCHEMA_TYPES:
        resolved = []
        for name in kwargs["column_list"]:
            found = resolve_column(shape, name) if isinstance(name, str) else None
            if found is None:
                return _missing(name, shape)
            resolved.append(found)
        kwargs["column_list"] = resolved
    return replace(spec, kwargs=kwargs)


def _missing(name: Any, shape: TableShape) -> str:
    known = ", ".join(c.name for c in shape.columns)
    return f"column {name!r} does not exist in {shape.qualified} (columns: {known})"


def route(spec: ExpectationSpec, shape: TableShape, caps: Capabilities,
          engine: EngineChoice = "auto") -> Route:
    """Who evaluates ``spec`` on ``shape`` (``engine="gx"``: everything that is not
    about the schema goes to GX)."""
    if spec.type not in CATALOG:
        return Route("none", spec, f"unknown expectation type {spec.type!r}", "type")
    checked = check_arguments(spec.type, spec.kwargs)
    if not checked.ok:
        return Route("none", spec, invalid_arguments(checked.problems), "arguments")
    read = replace(spec, kwargs=checked.kwargs)
    if read.type in SCHEMA_TYPES:
        return Route("schema", read)
    resolved = _resolved(read, shape)
    if isinstance(resolved, str):
        return Route("none", read, resolved, "column")
    kind = shape.column(resolved.column).kind if resolved.column else None
    if engine == "auto" and supports(resolved, kind, caps):
        return Route("sql", resolved)
    if not GxValidator.supports_dialect(caps.name):
        return Route("none", resolved, unsupported_dialect(caps.name, resolved.type), "dialect")
    if resolved.type in NO_SQL_IN_GX:
        return Route("none", resolved, no_sql_in_gx(resolved.type), "dialect")
    return Route("gx", resolved)


def no_sql_in_gx(expectation_type: str) -> str:
    """Why an expectation of a ``NO_SQL_IN_GX`` type never runs on a SQL table."""
    return (f"Great Expectations implements {expectation_type} for pandas and Spark only, "
            f"not on SQL tables")
