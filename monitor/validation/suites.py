"""Expectation suites as files: GX 1.x ``ExpectationSuite`` JSON, one file per suite.

A table lists its suites by name (``suites: [orders]`` in the config); the
file is ``<name>.json`` in ``expectations/`` beside the config file, or in the
folder that the top-level ``expectations_dir`` names. Each expectation's own
GX ``severity`` decides what a failure does: ``critical`` blocks a gate,
``warning`` warns, ``info`` is only recorded.

Suites are parsed here into plain frozen values without importing Great
Expectations; ``check_suite`` finds unknown types, arguments and columns.

>>> suite = parse_suite({"name": "s", "expectations": [
...     {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "id"}}]},
...     source="s.json")
>>> suite.expectations[0].severity, suite.expectations[0].label
('critical', 'values_to_not_be_null(id)')
>>> [str(p) for p in check_suite(suite, columns=["ID"])]
["s.json: expectation #1 values_to_not_be_null(id): column 'id' does not exist (columns: ID)"]
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from monitor.config.models import MonitorConfig, TableConfig
from monitor.errors import ConfigError, InputError
from monitor.validation.arguments import check_arguments, invalid_arguments
from monitor.validation.catalog import (
    CATALOG,
    COLUMN_KWARGS,
    SCHEMA_TYPES,
    allowed_kwargs,
    required_kwargs,
)

Severity = Literal["critical", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning", "info")
SUITE_SUFFIX = ".json"
# Keys GX writes for an expectation in a suite file.
_EXPECTATION_KEYS = frozenset({"type", "kwargs", "meta", "id", "severity", "notes",
                               "description", "rendered_content", "windows"})


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of one suite, as written in the suite file."""

    suite: str
    type: str
    kwargs: Mapping[str, Any]
    severity: Severity = "critical"
    id: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    index: int = 0  # position in the file, from 0
    description: str | None = None

    @property
    def key(self) -> str:
        """Stable key of the expectation: its type and arguments, hashed (32 hex)."""
        text = json.dumps({"type": self.type, "kwargs": dict(self.kwargs)}, sort_keys=True,
                          default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @property
    def column(self) -> str | None:
        value = self.kwargs.get("column")
        return value if isinstance(value, str) else None

    def columns(self) -> tuple[str, ...]:
        """Every column the expectation names (``column``, ``column_A``, ``column_list``...)."""
        out: list[str] = []
        for key in COLUMN_KWARGS:
            value = self.kwargs.get(key)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list | tuple):
                out.extend(v for v in value if isinstance(v, str))
        return tuple(out)

    @property
    def label(self) -> str:
        """Short readable name: ``values_to_be_between(amount)``."""
        name = self.type.removeprefix("expect_").removeprefix("column_")
        cols = self.columns()
        return f"{name}({', '.join(cols)})" if cols else name

    def to_gx(self) -> dict[str, Any]:
        """The expectation as GX writes it in a suite file."""
        out: dict[str, Any] = {"type": self.type, "kwargs": dict(self.kwargs),
                               "meta": dict(self.meta), "severity": self.severity}
        if self.id:
            out["id"] = self.id
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class Suite:
    """A named list of expectations, read from one file."""

    name: str
    expectations: tuple[ExpectationSpec, ...]
    source: str = "<suite>"
    id: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def severities(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for spec in self.expectations:
            counts[spec.severity] += 1
        return counts


@dataclass(frozen=True)
class SuiteProblem:
    """Something wrong with one expectation (or the whole suite when index is None)."""

    source: str
    message: str
    index: int | None = None
    label: str | None = None

    def __str__(self) -> str:
        where = self.source
        if self.index is not None:
            where += f": expectation #{self.index + 1}"
            if self.label:
                where += f" {self.label}"
        return f"{where}: {self.message}"


def _severity(value: Any) -> Severity | str:
    """The severity, or what is wrong with it (a message)."""
    if value is None:
        return "critical"  # GX's default
    text = str(value).lower()
    if text.startswith("failureseverity."):
        text = text.split(".", 1)[1]
    if text not in SEVERITIES:
        return f"severity {value!r} is not one of {', '.join(SEVERITIES)}"
    return text  # type: ignore[return-value]


def _expectation(item: Any, index: int, suite: str, source: str,
                 problems: list[SuiteProblem]) -> ExpectationSpec | None:
    """One expectation of the file after recording every problem it has; None when it
    has no type or arguments to check further. A bad severity, meta or unknown key is
    recorded and the expectation kept (severity ``critical``), so a check reports its
    argument problems too."""
    def problem(message: str, label: str | None = None) -> None:
        problems.append(SuiteProblem(source, message, index, label))

    if not isinstance(item, Mapping):
        problem("must be a JSON object")
        return None
    kind = item.get("type") or item.get("expectation_type")
    if not isinstance(kind, str) or not kind:
        problem("has no 'type'")
        return None
    label = f"({kind})"
    kwargs = item.get("kwargs", {})
    if not isinstance(kwargs, Mapping):
        problem("'kwargs' must be an object", label)
    unknown = sorted(set(item) - _EXPECTATION_KEYS - {"expectation_type"})
    if unknown:
        problem(f"unknown key(s) {', '.join(unknown)}", label)
    meta = item.get("meta") or {}
    if not isinstance(meta, Mapping):
        problem("'meta' must be an object", label)
        meta = {}
    severity = _severity(item.get("severity"))
    if severity not in SEVERITIES:
        problem(severity, label)
        severity = "critical"
    if not isinstance(kwargs, Mapping):
        return None
    return ExpectationSpec(suite=suite, type=kind, kwargs=dict(kwargs),
                           severity=severity,  # type: ignore[arg-type]
                           id=item.get("id"), meta=dict(meta), index=index,
                           description=item.get("description"))


def read_suite(data: Any, *, source: str) -> tuple[Suite | None, list[SuiteProblem]]:
    """A suite from its parsed JSON and every structural problem of the file.

    The suite holds every expectation that can still be checked (None when the
    file is not a suite at all), so a check can go on and report everything at
    once; ``parse_suite`` refuses a file with any problem.
    """
    if not isinstance(data, Mapping):
        return None, [SuiteProblem(source, f"a suite file holds one JSON object "
                                           f"(got {type(data).__name__})")]
    problems: list[SuiteProblem] = []
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(SuiteProblem(source, "the suite has no 'name'"))
    items = data.get("expectations", [])
    if not isinstance(items, list):
        problems.append(SuiteProblem(source, "'expectations' must be a list"))
        items = []
    meta = data.get("meta") or {}
    if not isinstance(meta, Mapping):
        problems.append(SuiteProblem(source, "the suite's 'meta' must be an object"))
        meta = {}
    suite_name = name if isinstance(name, str) else ""
    specs = [spec for index, item in enumerate(items)
             if (spec := _expectation(item, index, suite_name, source, problems)) is not None]
    if not suite_name.strip():
        return None, problems
    return Suite(name=suite_name, expectations=tuple(specs), source=source, id=data.get("id"),
                 meta=dict(meta)), problems


def parse_suite(data: Any, *, source: str) -> Suite:
    """A suite from its parsed JSON; InputError names the file and every problem."""
    suite, problems = read_suite(data, source=source)
    if problems or suite is None:
        raise InputError("; ".join(str(p) for p in problems))
    return suite


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: suite file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the suite file: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON at line {error.lineno}, column "
                         f"{error.colno}: {error.msg}") from None


def load_suite(path: str | Path) -> Suite:
    """Read one suite file."""
    path = Path(path)
    return parse_suite(_read_json(path), source=str(path))


def read_suite_file(path: str | Path) -> tuple[Suite | None, list[SuiteProblem]]:
    """Read one suite file for a check: the suite (or None) and all its file problems."""
    path = Path(path)
    try:
        data = _read_json(path)
    except InputError as error:
        return None, [SuiteProblem(str(path), str(error).removeprefix(f"{path}: "))]
    return read_suite(data, source=str(path))


def suite_files(config: MonitorConfig) -> list[Path]:
    """Every suite file in the expectations folder, sorted by name."""
    folder = config.expectations_path().resolve()
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"*{SUITE_SUFFIX}"))


def suite_path(config: MonitorConfig, name: str) -> Path:
    """Where the suite called ``name`` lives; ConfigError listing the known suites if absent."""
    path = config.expectations_path().resolve() / f"{name}{SUITE_SUFFIX}"
    if path.is_file():
        return path
    known = ", ".join(p.stem for p in suite_files(config)) or "none"
    raise ConfigError(f"{config.source}: no suite named {name!r} (looked for {path}; "
                      f"suites there: {known})")


def read_table_suites(config: MonitorConfig, table: TableConfig,
                      only: Sequence[str] | None = None
                      ) -> tuple[list[Suite], dict[str, str]]:
    """The suites of ``table`` (or just ``only``) that load, and for each that does
    not (no file, bad JSON, a bad expectation) what is wrong, by suite name."""
    names = list(only) if only else list(table.suites)
    suites, broken = [], {}
    for name in names:
        try:
            suites.append(load_suite(suite_path(config, name)))
        except (ConfigError, InputError) as error:
            broken[name] = str(error)
    return suites, broken


def load_suites(config: MonitorConfig, table: TableConfig,
                only: Sequence[str] | None = None) -> list[Suite]:
    """The suites configured for ``table`` (or just ``only``), read from their files;
    one ConfigError naming every suite that does not load."""
    suites, broken = read_table_suites(config, table, only)
    if broken:
        raise ConfigError(f"table {table.name!r}: " + "; ".join(broken.values()))
    return suites


def check_suite(suite: Suite, columns: Collection[str] | None = None) -> list[SuiteProblem]:
    """Problems of a suite without running it: unknown types, arguments and columns.

    ``columns`` (the table's columns) enables the column check.
    """
    problems = []
    seen: dict[str, int] = {}
    for spec in suite.expectations:
        def problem(message: str, spec: ExpectationSpec = spec) -> None:
            problems.append(SuiteProblem(suite.source, message, spec.index, spec.label))

        if spec.type not in CATALOG:
            problem(f"unknown expectation type {spec.type!r}{_hint(spec.type, CATALOG)}")
            continue
        missing = [k for k in required_kwargs(spec.type) if k not in spec.kwargs]
        if missing:
            problem(f"missing argument(s) {', '.join(missing)}")
        allowed = allowed_kwargs(spec.type)
        unknown = sorted(set(spec.kwargs) - allowed)
        for key in unknown:
            problem(f"unknown argument {key!r}{_hint(key, allowed)}")
        if not missing and not unknown:
            checked = check_arguments(spec.type, spec.kwargs)
            if not checked.ok:
                problem(invalid_arguments(checked.problems))
        if columns is not None and spec.type not in SCHEMA_TYPES:
            for name in spec.columns():
                if name not in columns:
                    problem(f"column {name!r} does not exist (columns: "
                            f"{', '.join(columns)})")
        if spec.key in seen:
            problem(f"same type and arguments as expectation #{seen[spec.key] + 1}")
        seen.setdefault(spec.key, spec.index)
    return problems


def _hint(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
