"""Validate a table against its suites: schema checks, SQL pushdown, GX for the rest.

Each expectation goes to the cheapest evaluator that can judge it:

1. a column it names does not exist: a failed expectation saying so (no query);
2. schema expectations (column exists, column count, column set/list): the
   reflected table answers them (no query);
3. common types: ``monitor.validation.pushdown``, all in one aggregate SELECT,
   or none when a run's profile scan computed their states (``suite_needs``);
4. everything else: Great Expectations (``monitor.validation.gx``).

>>> from monitor.validation.suites import load_suites
>>> table = config.table("orders")
>>> report = validate_table(warehouse, table, load_suites(config, table))
>>> report.passed, [o.reason for o in report.failed]
(True, [])
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from monitor.config.models import TableConfig
from monitor.metrics.scan import Needs
from monitor.metrics.states import State
from monitor.validation.outcomes import ExpectationOutcome, Validator
from monitor.validation.pushdown import PushdownValidator, plan_expectations
from monitor.validation.routing import EngineChoice, resolve_column, route
from monitor.validation.suites import ExpectationSpec, Suite
from monitor.warehouse import SqlWarehouse, TableShape

__all__ = ["EngineChoice", "TableValidation", "evaluate_expectations", "resolve_column",
           "schema_outcome", "suite_needs", "validate_table"]


@dataclass(frozen=True)
class TableValidation:
    """Every expectation outcome of one validation of one table."""

    table: str
    object: str
    suites: tuple[str, ...]
    outcomes: tuple[ExpectationOutcome, ...]
    duration_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """No critical expectation failed."""
        return not any(o.blocking for o in self.outcomes)

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def blocking(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.blocking]

    def counts(self) -> dict[str, int]:
        return {"evaluated": len(self.outcomes),
                "passed": sum(o.success for o in self.outcomes),
                "failed": sum(not o.success for o in self.outcomes),
                "blocking": len(self.blocking)}

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "object": self.object, "suites": list(self.suites),
                "passed": self.passed, **self.counts(),
                "duration_seconds": round(self.duration_seconds, 4),
                "results": [o.to_dict() for o in self.outcomes]}


def _names_match(expected: str, actual: str) -> bool:
    if len(expected) > 1 and expected.startswith('"') and expected.endswith('"'):
        return expected[1:-1] == actual
    return expected.casefold() == actual.casefold()


def schema_outcome(spec: ExpectationSpec, shape: TableShape) -> ExpectationOutcome:
    """Expectations about the table's columns, answered from its reflected shape.

    Arguments GX accepts but cannot compare (a date as a column count, a suite
    parameter) make a failed expectation saying so, as in GX.
    """
    try:
        return _schema_outcome(spec, shape)
    except (TypeError, ValueError, AttributeError) as error:
        return ExpectationOutcome(spec, success=False, engine="schema",
                                  error=f"cannot be evaluated with these arguments: {error}")


def _schema_outcome(spec: ExpectationSpec, shape: TableShape) -> ExpectationOutcome:
    names = [c.name for c in shape.columns]
    kw = spec.kwargs
    if spec.type == "expect_column_to_exist":
        index = kw.get("column_index")
        if index is not None:
            ok = 0 <= int(index) < len(names) and _names_match(kw["column"], names[int(index)])
        else:
            ok = any(_names_match(kw["column"], n) for n in names)
        details = None if ok else (
            f"column {kw['column']!r} is not at position {index}" if index is not None
            else f"column {kw['column']!r} does not exist (columns: {', '.join(names)})")
        return ExpectationOutcome(spec, success=ok, engine="schema", details=details)
    if spec.type == "expect_table_column_count_to_equal":
        return ExpectationOutcome(spec, success=len(names) == kw["value"],
                                  observed_value=len(names), engine="schema")
    if spec.type == "expect_table_column_count_to_be_between":
        low, high = kw.get("min_value"), kw.get("max_value")
        ok = (low is None or len(names) >= low) and (high is None or len(names) <= high)
        return ExpectationOutcome(spec, success=ok, observed_value=len(names), engine="schema")
    if spec.type == "expect_table_columns_to_match_ordered_list":
        expected = list(kw.get("column_list") or [])
        ok = kw.get("column_list") is None or expected == names
        return ExpectationOutcome(spec, success=ok, observed_value=names, engine="schema")
    expected_set = list(kw.get("column_set") or [])
    missing = [e for e in expected_set if not any(_names_match(e, n) for n in names)]
    extra = [n for n in names if not any(_names_match(e, n) for e in expected_set)]
    exact = kw.get("exact_match", True) is not False
    ok = not missing and (not extra or not exact)
    details = None
    if not ok:
        details = "; ".join(part for part in (
            f"missing {', '.join(missing)}" if missing else "",
            f"unexpected {', '.join(extra)}" if extra and exact else "") if part)
    return ExpectationOutcome(spec, success=ok, observed_value=sorted(names), details=details,
                              engine="schema")


def _gx_validator() -> Validator:
    from monitor.validation.gx import GxValidator

    return GxValidator()


def evaluate_expectations(warehouse: SqlWarehouse, shape: TableShape,
                          expectations: Sequence[ExpectationSpec], *, samples: int = 0,
                          no_samples: Collection[str] = (), engine: EngineChoice = "auto",
                          native: Validator | None = None, gx: Validator | None = None,
                          scanned: Mapping[State, Any] | None = None
                          ) -> list[ExpectationOutcome]:
    """One outcome per expectation, in the order given.

    ``scanned``: state values read by a scan of every row (see ``suite_needs``),
    from which the pushed-down expectations are judged without a scan of their own.
    """
    results: dict[int, ExpectationOutcome] = {}
    pushed: list[tuple[int, ExpectationSpec]] = []
    through_gx: list[tuple[int, ExpectationSpec]] = []
    caps = warehouse.capabilities
    for i, written in enumerate(expectations):
        routed = route(written, shape, caps, engine)
        if routed.evaluator == "none":
            results[i] = ExpectationOutcome(routed.spec, success=False, engine="none",
                                            error=routed.reason)
        elif routed.evaluator == "schema":
            results[i] = schema_outcome(routed.spec, shape)
        else:
            (pushed if routed.evaluator == "sql" else through_gx).append((i, routed.spec))
    for batch, validator in ((pushed, native or PushdownValidator(scanned)),
                             (through_gx, gx if gx is not None or not through_gx
                              else _gx_validator())):
        if not batch:
            continue
        outcomes = validator.evaluate(warehouse, shape, [s for _, s in batch],
                                      samples=samples, no_samples=no_samples)
        for (i, _), outcome in zip(batch, outcomes, strict=True):
            results[i] = outcome
    # Every outcome carries the expectation as written in the file.
    return [replace(results[i], expectation=spec) for i, spec in enumerate(expectations)]


def validate_table(warehouse: SqlWarehouse, table: TableConfig, suites: Sequence[Suite], *,
                   shape: TableShape | None = None, samples: int = 0,
                   engine: EngineChoice = "auto",
                   scanned: Mapping[State, Any] | None = None) -> TableValidation:
    """Validate ``table`` (or the reflected ``shape``, e.g. a staging table) against suites.

    ``samples`` unexpected values are kept per failed expectation, never for
    columns tagged ``pii``. ``scanned``: see ``evaluate_expectations``.
    """
    started = time.perf_counter()
    shape = shape or warehouse.describe_table(table)
    specs = [spec for suite in suites for spec in suite.expectations]
    pii = {resolve_column(shape, name) or name for name in table.pii_columns()}
    outcomes = evaluate_expectations(warehouse, shape, specs, samples=samples,
                                     no_samples=pii, engine=engine, scanned=scanned)
    return TableValidation(table=table.name, object=shape.qualified,
                           suites=tuple(s.name for s in suites), outcomes=tuple(outcomes),
                           duration_seconds=time.perf_counter() - started)


def suite_needs(warehouse: SqlWarehouse, shape: TableShape, suites: Sequence[Suite], *,
                engine: EngineChoice = "auto") -> Needs:
    """The states the pushed-down expectations of ``suites`` are judged from: a scan
    of every row computing them (a run's profile) leaves the suite no scan to send.

    >>> from monitor.metrics.profile import describe_table
    >>> from monitor.validation.suites import load_suites
    >>> table = config.table("orders")
    >>> needs = suite_needs(warehouse, describe_table(warehouse, table),
    ...                     load_suites(config, table))
    >>> sorted({state.kind for state in needs.states})
    ['count_where', 'distinct', 'non_null', 'raw_mean', 'rows']
    """
    caps = warehouse.capabilities
    pushed = [routed.spec for routed in (route(spec, shape, caps, engine)
                                         for suite in suites for spec in suite.expectations)
              if routed.evaluator == "sql"]
    return plan_expectations(shape, pushed, caps) if pushed else Needs()
