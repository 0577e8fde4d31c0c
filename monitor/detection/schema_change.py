"""Schema changes between two runs: columns added, removed or retyped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from monitor.errors import InputError

NAME = "schema_change"


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    RETYPED = "retyped"


@dataclass(frozen=True)
class SchemaChange:
    """One column that differs between the previous and the current schema."""

    column: str
    kind: ChangeKind
    previous_type: str | None
    current_type: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["kind"] = str(self.kind)
        return record


def normalize_type(type_name: str) -> str:
    """Compare types without caring about case or spacing: 'varchar( 10 )' == 'VARCHAR(10)'.

    >>> normalize_type(" numeric( 10, 2 ) ")
    'NUMERIC(10,2)'
    """
    text = re.sub(r"\s+", " ", str(type_name).strip().upper())
    return re.sub(r"\s*([(),])\s*", r"\1", text)


def _checked(schema: Mapping[str, str], which: str) -> dict[str, str]:
    if not isinstance(schema, Mapping):
        raise InputError(
            f"the {which} schema must map column names to types, got {type(schema).__name__}"
        )
    return {str(column): normalize_type(kind) for column, kind in schema.items()}


def diff_schema(previous: Mapping[str, str], current: Mapping[str, str]) -> list[SchemaChange]:
    """Columns removed (in previous order), retyped and added (in current order).

    >>> changes = diff_schema({"id": "INTEGER", "email": "TEXT", "age": "INTEGER"},
    ...                       {"id": "integer", "age": "TEXT", "country": "VARCHAR(2)"})
    >>> [(c.column, c.kind.value) for c in changes]
    [('email', 'removed'), ('age', 'retyped'), ('country', 'added')]
    >>> changes[1].reason
    "column 'age' changed type from INTEGER to TEXT"
    """
    before = _checked(previous, "previous")
    after = _checked(current, "current")
    changes = [
        SchemaChange(
            column, ChangeKind.REMOVED, kind, None, f"column '{column}' was removed (it was {kind})"
        )
        for column, kind in before.items()
        if column not in after
    ]
    changes += [
        SchemaChange(
            column,
            ChangeKind.RETYPED,
            before[column],
            kind,
            f"column '{column}' changed type from {before[column]} to {kind}",
        )
        for column, kind in after.items()
        if column in before and before[column] != kind
    ]
    changes += [
        SchemaChange(column, ChangeKind.ADDED, None, kind, f"column '{column}' was added ({kind})")
        for column, kind in after.items()
        if column not in before
    ]
    return changes
