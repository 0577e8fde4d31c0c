"""Proposed config entries (from a warehouse or a dbt manifest) and how they enter a file.

A ``Proposal`` is one ``tables:`` entry with the reasons for what was guessed.
``plan_onboarding`` drops the tables a config already monitors; ``insert_entries``
writes the rest into the file's text at the end of its ``tables:`` list, so every
existing entry and comment stays as it was (plain text insertion, checked by
parsing the result again).

>>> text = "warehouses: {w: 'sqlite://'}\\ntables:\\n  - {name: a, warehouse: w, table: a}\\n"
>>> new = insert_entries(text, [Proposal({"name": "b", "warehouse": "w", "table": "b"})])
>>> print(new)
warehouses: {w: 'sqlite://'}
tables:
  - {name: a, warehouse: w, table: a}
  - name: b
    warehouse: w
    table: b
<BLANKLINE>
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from monitor.config.models import MonitorConfig
from monitor.errors import ConfigError


@dataclass(frozen=True)
class Proposal:
    """One ``tables:`` entry to add, with what was guessed and why (one line each)."""

    entry: dict[str, Any]
    reasons: tuple[str, ...] = ()
    comment: str | None = None  # written above the entry (a dbt description)

    @property
    def name(self) -> str:
        return str(self.entry["name"])

    @property
    def qualified(self) -> str:
        schema = self.entry.get("schema")
        return f"{schema}.{self.entry['table']}" if schema else str(self.entry["table"])


@dataclass(frozen=True)
class Plan:
    """What to add, and what was skipped because the config already monitors it."""

    new: list[Proposal] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "name (schema.table)"


def plan_onboarding(config: MonitorConfig, proposals: Iterable[Proposal], *,
                    default_schema: str | None = None) -> Plan:
    """Keep the proposals for tables not yet configured; give clashing names a new one.

    A table is already configured when a config entry names the same warehouse, table and
    schema; no schema stands for ``default_schema`` (the warehouse's own default).
    """
    def key(warehouse: str, schema: str | None, table: str) -> tuple[str, str | None, str]:
        return warehouse, schema or default_schema, table

    configured = {key(t.warehouse, t.schema, t.relation): t.name for t in config.tables}
    taken = {t.name for t in config.tables}
    plan = Plan()
    for proposal in proposals:
        entry = proposal.entry
        found = configured.get(key(entry["warehouse"], entry.get("schema"), entry["table"]))
        if found is not None:
            plan.skipped.append(f"{found} ({proposal.qualified})")
            continue
        name = _free_name(proposal, taken)
        taken.add(name)
        plan.new.append(proposal if name == proposal.name else Proposal(
            {**entry, "name": name}, (*proposal.reasons, f"named {name!r}: "
                                      f"{proposal.name!r} is taken"), proposal.comment))
    return plan


def _free_name(proposal: Proposal, taken: set[str]) -> str:
    schema = proposal.entry.get("schema")
    for candidate in (proposal.name, f"{schema}_{proposal.name}" if schema else None):
        if candidate and candidate not in taken:
            return candidate
    n = 2
    while f"{proposal.name}_{n}" in taken:
        n += 1
    return f"{proposal.name}_{n}"


_TABLES_BLOCK = re.compile(r"^tables:\s*(#.*)?$")
_TABLES_EMPTY = re.compile(r"^tables:\s*(\[\s*\]|null|~)?\s*(#.*)?$")
_ITEM = re.compile(r"^(\s*)-\s")


class _Dumper(yaml.SafeDumper):
    """Mappings as blocks, lists on one line (``tags: [sales, tier-1]``), as people write."""


_Dumper.add_representer(list, lambda dumper, data: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", data, flow_style=True))


def render_entries(proposals: Sequence[Proposal], indent: str = "  ") -> str:
    """The entries as YAML list items, each under its description and reasons as comments."""
    out = []
    for proposal in proposals:
        notes = ([proposal.comment] if proposal.comment else []) + list(proposal.reasons)
        out += [f"{indent}# {line}\n" for note in notes for line in _one_line(note)]
        dumped = yaml.dump(proposal.entry, Dumper=_Dumper, sort_keys=False,
                           allow_unicode=True, default_flow_style=False, width=100)
        out += [f"{indent}{'- ' if i == 0 else '  '}{line}\n"
                for i, line in enumerate(dumped.splitlines())]
    return "".join(out)


def _one_line(text: str) -> list[str]:
    lines = [" ".join(line.split()) for line in str(text).strip().splitlines()]
    return [line for line in lines if line][:3]


def insert_entries(text: str, proposals: Sequence[Proposal], *, source: str = "<config>"
                   ) -> str:
    """``text`` with the entries added at the end of its top-level ``tables:`` list.

    A file without ``tables:`` (or with ``tables: []``) gets a new block. A ``tables:``
    written in flow style (``tables: [{...}]``) cannot take entries without rewriting it:
    ConfigError names the file.
    """
    if not proposals:
        return text
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    start = next((i for i, line in enumerate(lines) if line.startswith("tables:")), None)
    if start is None:
        new = [*lines, *(["\n"] if lines and lines[-1].strip() else []), "tables:\n",
               render_entries(proposals)]
    elif _TABLES_BLOCK.match(lines[start].rstrip("\n")) and _has_items(lines, start):
        end = _block_end(lines, start)
        indent = next((m.group(1) for line in lines[start + 1:end]
                       if (m := _ITEM.match(line))), "  ")
        new = [*lines[:end], render_entries(proposals, indent), *lines[end:]]
    elif _TABLES_EMPTY.match(lines[start].rstrip("\n")):
        end = _block_end(lines, start)
        comment = lines[start].partition("#")[2]
        head = f"tables:  #{comment}" if comment else "tables:\n"
        new = [*lines[:start], head, *lines[start + 1:end], render_entries(proposals),
               *lines[end:]]
    else:
        raise ConfigError(f"{source}: 'tables:' is written in flow style ([...] on one line);"
                          " write it as a block list to let `init --write` add entries")
    result = "".join(new)
    if lines and lines[0].endswith("\r\n"):  # a file written on Windows stays CRLF
        result = re.sub(r"(?<!\r)\n", "\r\n", result)
    _check(text, result, proposals, source)
    return result


def _has_items(lines: list[str], start: int) -> bool:
    return any(_ITEM.match(line) for line in lines[start + 1:_block_end(lines, start)])


def _block_end(lines: list[str], start: int) -> int:
    """The line after the ``tables:`` block, before the comments that head the next key."""
    end = len(lines)
    for i in range(start + 1, len(lines)):
        line = lines[i]
        # A list may start at column 0 under its key (as yaml.safe_dump writes it).
        if line.strip() and not line[0].isspace() and not line.startswith(("#", "-")):
            end = i
            break
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return end


def _check(old: str, new: str, proposals: Sequence[Proposal], source: str) -> None:
    try:
        before = (yaml.safe_load(old) or {}).get("tables") or []
        after = (yaml.safe_load(new) or {}).get("tables") or []
    except (yaml.YAMLError, AttributeError) as error:
        raise ConfigError(f"{source}: cannot add entries to this file ({error})") from None
    if after != [*before, *(p.entry for p in proposals)]:
        raise ConfigError(f"{source}: cannot place new entries in its 'tables:' list "
                          "(unusual layout); add the entries shown by hand")


def config_diff(old: str, new: str, path: str) -> str:
    """A unified diff of the config file, as ``git diff`` shows it."""
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))
