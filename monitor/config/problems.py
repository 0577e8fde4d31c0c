"""Config problems with their key paths: ``${VAR}`` resolution, pydantic errors, references.

Every problem is a ``(key path, message)`` pair such as
``("tables[0].schedule", "'61 * * * *' is not a valid cron expression: ...")``;
``parse_config`` reports them all at once.

>>> for problem in reference_problems([("a", "w"), ("a", "x")], ["w"]):
...     print(problem)
('tables[1].warehouse', "unknown warehouse 'x' (defined: w)")
('tables[1].name', "duplicate table name 'a'")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from monitor.config.fields import Problems
from monitor.config.secrets import MissingVariable, Secrets, only_variable, resolve_url_env

#: Deeper YAML than this is not a config file (and would exhaust the stack).
MAX_DEPTH = 50


def reference_problems(tables: Iterable[tuple[Any, Any]], warehouses: Iterable[Any]
                       ) -> list[tuple[str, str]]:
    """Unknown warehouses and duplicate names among (name, warehouse) pairs of tables."""
    known_names = sorted(str(w) for w in warehouses)
    known = ", ".join(known_names) or "none"
    problems, seen = [], set()
    for i, (name, warehouse) in enumerate(tables):
        if isinstance(warehouse, str) and warehouse not in known_names:
            problems.append((f"tables[{i}].warehouse",
                             f"unknown warehouse {warehouse!r} (defined: {known})"))
        if not isinstance(name, str):
            continue  # reported as the wrong type
        if name in seen:
            problems.append((f"tables[{i}].name", f"duplicate table name {name!r}"))
        seen.add(name)
    return problems


def raw_references(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """:func:`reference_problems` on the data as written (when other keys are broken)."""
    tables = data.get("tables")
    warehouses = data.get("warehouses")
    if not isinstance(tables, list) or not isinstance(warehouses, Mapping):
        return []
    pairs = [(t.get("name"), t.get("warehouse")) if isinstance(t, Mapping) else (None, None)
             for t in tables]
    return reference_problems(pairs, warehouses)


class Interpolation:
    """``${VAR}`` resolution over a parsed YAML tree, remembering what was left unset."""

    def __init__(self, environ: Mapping[str, str], secrets: Secrets) -> None:
        self.environ = environ
        self.secrets = secrets
        self.problems: list[tuple[str, str]] = []
        self.unset: dict[str, str] = {}  # key path -> variable of an optional value left unset

    def resolve(self, node: Any, path: str = "", depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            self.problems.append((path, f"nested more than {MAX_DEPTH} levels deep"))
            return None
        if isinstance(node, str):
            variable = only_variable(node)
            if variable is not None and variable not in self.environ:
                self.unset[path] = variable
                return None  # an optional secret left unset: the field counts as not given
            try:
                return resolve_url_env(node, self.environ, self.secrets)
            except MissingVariable as missing:
                self.problems.append((path, f"environment variable {missing.name} is not set"))
                return node
        if isinstance(node, Mapping):
            return {k: self.resolve(v, f"{path}.{k}" if path else str(k), depth + 1)
                    for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node)]
        return node

    def unset_below(self, path: str) -> str:
        """`` (${VAR} is not set)`` for the optional variables left unset at or below ``path``."""
        names = [f"${{{var}}} ({where})" for where, var in self.unset.items()
                 if not path or where == path or where.startswith((f"{path}.", f"{path}["))]
        if not names:
            return ""
        return f"; not set in the environment: {', '.join(names)}"


def _key_path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _join(path: str, below: str) -> str:
    if not path or not below:
        return path or below
    return f"{path}{below}" if below.startswith("[") else f"{path}.{below}"


def table_label(path: str, raw: Mapping[str, Any]) -> str:
    """`` (table 'orders')`` for a path inside ``tables[i]``, so people find it in long files."""
    if not path.startswith("tables["):
        return ""
    index = path[len("tables["):].split("]", 1)[0]
    tables = raw.get("tables")
    if not index.isdigit() or not isinstance(tables, list) or int(index) >= len(tables):
        return ""
    table = tables[int(index)]
    name = table.get("name") if isinstance(table, Mapping) else None
    return f" (table {name!r})" if isinstance(name, str) and name else ""


def validation_problems(error: ValidationError, raw: Mapping[str, Any]
                         ) -> list[tuple[str, str]]:
    problems = []
    for item in error.errors():
        loc = tuple("schema" if p == "schema_" else p for p in item["loc"]
                    if p not in ("function-after", "function-before"))
        where = _key_path(loc)
        if len(loc) == 3 and loc[0] == "warehouses" and loc[2] == "url" and isinstance(
                (raw.get("warehouses") or {}).get(loc[1]), str):
            where = _key_path(loc[:2])  # the URL shorthand: `warehouses: {w: URL}`
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, Problems):
            problems += [(_join(where, below), message) for below, message in cause.problems]
            continue
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif item["type"] == "missing":
            message = "required key is missing"
        elif item["type"] == "model_type":
            got = item.get("input")
            message = "expected a mapping of keys, got " + (
                "nothing" if got is None else type(got).__name__)
            if loc[:1] == ("warehouses",) and len(loc) == 2:
                message = message.replace("a mapping of keys", "a URL or a mapping with 'url'")
        problems.append((where, message))
    return problems
