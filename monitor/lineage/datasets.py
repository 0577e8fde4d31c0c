"""What a run says about its datasets, as plain values (no OpenLineage import here).

A ``Dataset`` is a table or a file named as OpenLineage names them (a namespace for
the database server or the file system, a name inside it), with the facts a run
found: its columns, data-quality metrics (row count; per column null count, distinct
count, min and max) and assertions (each expectation or check, passed or not).

>>> dataset = table_dataset("postgresql+psycopg://etl:pw@db.internal:5432/shop", "public",
...                         "orders")
>>> dataset.namespace, dataset.name
('postgres://db.internal:5432', 'shop.public.orders')
>>> file_dataset("/data/in/orders.csv").namespace
'file'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from monitor.dialects import capabilities_for

if TYPE_CHECKING:
    import pandas as pd

    from monitor.metrics.profile import Profile
    from monitor.run.findings import Finding
    from monitor.run.state import RunState
    from monitor.warehouse import TableShape

@dataclass(frozen=True)
class Assertion:
    """One expectation or check and its result (OpenLineage ``dataQualityAssertions``)."""

    assertion: str
    success: bool
    column: str | None = None


@dataclass
class Dataset:
    """A dataset of a run, and what the run measured on it (all optional)."""

    namespace: str
    name: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # (column, type)
    row_count: int | None = None
    #: column -> {"nullCount", "distinctCount", "min", "max"} (numbers only).
    columns: dict[str, dict[str, float | int]] = field(default_factory=dict)
    assertions: list[Assertion] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.row_count is not None or bool(self.columns)


def table_dataset(url: str, schema: str | None, table: str) -> Dataset:
    """A warehouse table: namespace ``scheme://host:port`` (no credentials), name
    ``database.schema.table`` (file databases: the file's path as the authority)."""
    parsed = sa.engine.make_url(url)
    backend = parsed.get_backend_name()
    scheme = capabilities_for(backend).lineage_scheme or backend
    if parsed.host:
        authority = parsed.host + (f":{parsed.port}" if parsed.port else "")
        parts = [parsed.database, schema, table]
    else:  # sqlite / duckdb: the file is the "server"
        authority = parsed.database or ":memory:"
        parts = [schema, table]
    return Dataset(f"{scheme}://{authority}", ".".join(p for p in parts if p))


def file_dataset(path: str | Path) -> Dataset:
    """A local file: namespace ``file``, name its absolute path."""
    return Dataset("file", str(Path(path).resolve()))


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None  # dates and strings: the facet's min/max are numbers only
    return number if math.isfinite(number) else None


def _column_metrics(values: dict[str, Any]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    for ours, theirs, whole in (("null_count", "nullCount", True),
                                ("distinct_count", "distinctCount", True),
                                ("min", "min", False), ("max", "max", False)):
        number = _number(values.get(ours))
        if number is not None:
            out[theirs] = int(number) if whole else number
    return out


def describe_profile(dataset: Dataset, profile: Profile | None,
                     shape: TableShape | None) -> None:
    """Fill ``dataset`` with the table's columns and the profile's metrics."""
    if shape is not None:
        dataset.fields = [(c.name, str(c.type_name)) for c in shape.columns]
    if profile is None:
        return
    dataset.row_count = int(profile.row_count)
    if not dataset.fields:
        dataset.fields = [(c.name, c.type_name) for c in profile.columns.values()]
    dataset.columns = {name: metrics for name, col in profile.columns.items()
                       if (metrics := _column_metrics(col.metrics))}


def describe_frame(dataset: Dataset, frame: pd.DataFrame) -> None:
    """Fill ``dataset`` (a file) from its rows: columns, row count, per-column metrics."""
    import pandas as pd

    dataset.fields = [(str(c), str(frame[c].dtype)) for c in frame.columns]
    dataset.row_count = len(frame)
    for column in frame.columns:
        values = frame[column]
        metrics: dict[str, Any] = {"null_count": int(values.isna().sum()),
                                   "distinct_count": int(values.nunique(dropna=True))}
        numeric = pd.to_numeric(values, errors="coerce")
        if values.notna().any() and numeric.notna().sum() == values.notna().sum():
            metrics.update(min=numeric.min(), max=numeric.max())
        dataset.columns[str(column)] = _column_metrics(metrics)


def assertions_from(findings: Iterable[Finding]) -> list[Assertion]:
    """Each expectation (by its type) and each check (by its key), with its result.

    Findings about the run itself (a suite that does not load) are not assertions.
    """
    out = []
    for finding in findings:
        if finding.kind == "run":
            continue
        name = finding.metric if finding.kind == "expectation" and finding.metric \
            else finding.check
        out.append(Assertion(name, not finding.failing, finding.column))
    return out


def assertions_from_checks(checks: Iterable[Any]) -> list[Assertion]:
    """A gate's judged checks (``GateCheck``): ``suite:s:values_to_not_be_null(id)``
    becomes the assertion ``values_to_not_be_null`` on column ``id``."""
    out = []
    for check in checks:
        if not getattr(check, "judged", True):
            continue
        name, column = check.check.rsplit(":", 1)[-1], None
        if name.endswith(")") and "(" in name:
            name, _, rest = name.partition("(")
            column = rest[:-1] or None
        out.append(Assertion(name, bool(check.passed), column))
    return out


def describe_run(dataset: Dataset, state: RunState) -> None:
    """Fill a run's table with its schema, profile metrics and check results."""
    describe_profile(dataset, state.profile, state.shape)
    dataset.assertions = assertions_from(state.found)


def describe_batch(source: Dataset, target: Dataset, frame: pd.DataFrame, gate: Any, *,
                   published: int, target_shape: TableShape | None = None) -> None:
    """Fill an ingest run's file (rows, metrics, the gate's checks) and table (rows
    published, columns)."""
    describe_frame(source, frame)
    if gate is not None:
        source.assertions = assertions_from_checks(gate.checks)
    target.row_count = published
    if target_shape is not None:
        target.fields = [(c.name, str(c.type_name)) for c in target_shape.columns]


def assertions_from_outcomes(outcomes: Iterable[Any]) -> list[Assertion]:
    """Expectation outcomes (``ExpectationOutcome``) by expectation type and column."""
    return [Assertion(o.expectation.type, bool(o.success), o.expectation.column)
            for o in outcomes]


def describe_checked(dataset: Dataset, shape: TableShape | None, outcomes: Iterable[Any],
                     checks: Iterable[Any] = ()) -> None:
    """Fill a gate's or a validation's table: its columns, expectations and checks."""
    if shape is not None:
        dataset.fields = [(c.name, str(c.type_name)) for c in shape.columns]
    checks = list(checks)
    dataset.assertions = (assertions_from_checks(checks) if checks
                          else assertions_from_outcomes(outcomes))
