"""Config entries for the models and sources of a dbt project, read from its manifest.

``target/manifest.json`` (schema versions v10 to v12: dbt 1.6 and later) gives, per model
and source: its relation (schema and alias or identifier), ``description``, ``tags``,
``meta`` (``config.meta`` over ``meta``; a source's own over its source's), owners
(``meta.owner`` or ``meta.owners``, and the owner of the model's ``group``), columns
tagged ``pii``, and for sources ``loaded_at_field`` (the timestamp column) and the
``freshness`` ``error_after`` (else ``warn_after``) as ``thresholds.freshness_sla``.
A model may name its timestamp column and bucket in ``meta.dq-monitor``. Ephemeral and
disabled models have no table and are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.config.onboarding import Proposal
from monitor.errors import ConfigError

SUPPORTED_VERSIONS = (10, 11, 12)
_VERSION = re.compile(r"/manifest/v(\d+)\.json$")
_PERIODS = {"minute": "m", "hour": "h", "day": "d"}


def manifest_version(manifest: Mapping[str, Any], source: str) -> int:
    """The manifest's schema version; ConfigError when it is missing or not supported."""
    metadata = manifest.get("metadata")
    url = metadata.get("dbt_schema_version") if isinstance(metadata, Mapping) else None
    if not isinstance(url, str):
        raise ConfigError(f"{source}: not a dbt manifest: no metadata.dbt_schema_version")
    match = _VERSION.search(url)
    supported = ", ".join(f"v{v}" for v in SUPPORTED_VERSIONS)
    if not match or int(match.group(1)) not in SUPPORTED_VERSIONS:
        raise ConfigError(f"{source}: metadata.dbt_schema_version: {url!r} is not a "
                          f"supported manifest version (supported: {supported}, "
                          f"written by dbt 1.6 and later)")
    return int(match.group(1))


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The parsed manifest; ConfigError naming the file when it is unreadable or not one."""
    path = Path(path)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: dbt manifest not found (run `dbt parse` or "
                          f"`dbt compile` to write target/manifest.json)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the dbt manifest: {error}") from None
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}: not a dbt manifest: invalid JSON at line {error.lineno}, "
                          f"column {error.colno}: {error.msg}") from None
    if not isinstance(manifest, dict):
        raise ConfigError(f"{path}: not a dbt manifest: the top level is "
                          f"{type(manifest).__name__}, not an object")
    manifest_version(manifest, str(path))
    for key in ("nodes", "sources"):
        if not isinstance(manifest.get(key, {}), Mapping):
            raise ConfigError(f"{path}: {key}: expected an object of {key} by unique_id")
    return manifest


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value if isinstance(v, str | int) and str(v)]
    return []


def _owners(meta: Mapping[str, Any], group_owner: Mapping[str, Any]) -> list[str]:
    found = _strings(meta.get("owner")) + _strings(meta.get("owners"))
    found += [v for v in (group_owner.get("email"), group_owner.get("name"))
              if isinstance(v, str) and v][:1]
    return list(dict.fromkeys(found))


def _pii_columns(node: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    out = {}
    for name, column in _mapping(node.get("columns")).items():
        column = _mapping(column)
        tags = _strings(column.get("tags")) + _strings(_mapping(column.get("config")).get("tags"))
        if _mapping(column.get("meta")).get("pii") is True:
            tags.append("pii")
        if "pii" in tags:
            out[str(column.get("name") or name)] = {"tags": ["pii"]}
    return out


def _freshness(freshness: Mapping[str, Any]) -> tuple[str | None, str | None]:
    for key in ("error_after", "warn_after"):
        rule = _mapping(freshness.get(key))
        count, period = rule.get("count"), rule.get("period")
        if isinstance(count, int) and count > 0 and isinstance(period, str) and \
                period in _PERIODS:
            return f"{count}{_PERIODS[period]}", key
    return None, None


def _require(node: Mapping[str, Any], unique_id: str, kind: str, keys: tuple[str, ...],
             source: str) -> None:
    missing = [k for k in keys if not isinstance(node.get(k), str) or not node.get(k)]
    if missing:
        raise ConfigError(f"{source}: {kind}.{unique_id}: missing "
                          f"{', '.join(missing)} (not a dbt manifest of a supported version?)")


def _entry(name: str, warehouse: str, schema: str, table: str, meta: Mapping[str, Any],
           tags: list[str], owners: list[str], pii: Mapping[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "warehouse": warehouse, "table": table,
                             "schema": schema}
    settings = _mapping(meta.get("dq-monitor"))
    for key in ("timestamp_column", "loaded_at_column", "bucket"):
        if isinstance(settings.get(key), str):
            entry[key] = settings[key]
    if entry.get("timestamp_column") and "bucket" not in entry:
        entry["bucket"] = "day"
    if owners:
        entry["owners"] = owners
    if tags:
        entry["tags"] = list(dict.fromkeys(tags))
    if pii:
        entry["columns"] = dict(pii)
    return entry


def model_proposals(manifest: Mapping[str, Any], warehouse: str, source: str
                    ) -> tuple[list[Proposal], list[str]]:
    """(proposals, left-out models with why) for the manifest's models."""
    groups = {g["name"]: _mapping(g.get("owner"))
              for g in _mapping(manifest.get("groups")).values()
              if isinstance(g, Mapping) and isinstance(g.get("name"), str)}
    proposals, left_out = [], []
    for unique_id, node in _mapping(manifest.get("nodes")).items():
        node = _mapping(node)
        if node.get("resource_type") != "model":
            continue
        config = _mapping(node.get("config"))
        if config.get("enabled") is False or config.get("materialized") == "ephemeral":
            why = "disabled" if config.get("enabled") is False else "ephemeral: no table"
            left_out.append(f"{unique_id} ({why})")
            continue
        _require(node, unique_id, "nodes", ("name", "schema"), source)
        meta = {**_mapping(node.get("meta")), **_mapping(config.get("meta"))}
        tags = _strings(node.get("tags")) + _strings(config.get("tags"))
        group = node.get("group") or config.get("group")
        owners = _owners(meta, groups.get(group, {}) if isinstance(group, str) else {})
        entry = _entry(node["name"], warehouse, node["schema"],
                       _text(node.get("alias")) or node["name"], meta, tags, owners,
                       _pii_columns(node))
        reasons = [f"from model {unique_id}"]
        if "timestamp_column" in entry:
            reasons.append(f"{entry['timestamp_column']}: meta.dq-monitor.timestamp_column")
        if "bucket" in entry:
            reasons.append(f"{entry['bucket']}: "
                           + ("meta.dq-monitor.bucket" if "bucket" in _mapping(
                               meta.get("dq-monitor")) else "the default"))
        proposals.append(Proposal(entry, tuple(reasons), _text(node.get("description"))))
    return proposals, left_out


def source_proposals(manifest: Mapping[str, Any], warehouse: str, source: str
                     ) -> list[Proposal]:
    """Proposals for the manifest's sources: ``loaded_at_field`` is the timestamp column."""
    proposals = []
    for unique_id, node in _mapping(manifest.get("sources")).items():
        node = _mapping(node)
        if node.get("resource_type", "source") != "source":
            continue
        if _mapping(node.get("config")).get("enabled") is False:
            continue
        _require(node, unique_id, "sources", ("name", "schema"), source)
        meta = {**_mapping(node.get("source_meta")), **_mapping(node.get("meta")),
                **_mapping(_mapping(node.get("config")).get("meta"))}
        tags = _strings(node.get("tags"))
        entry = _entry(node["name"], warehouse, node["schema"],
                       _text(node.get("identifier")) or node["name"], meta, tags,
                       _owners(meta, {}), _pii_columns(node))
        reasons = [f"from source {unique_id}"]
        loaded_at = node.get("loaded_at_field")
        if isinstance(loaded_at, str) and loaded_at and "timestamp_column" not in entry:
            entry = {**entry, "timestamp_column": loaded_at, "bucket": "day"}
            reasons += [f"{loaded_at}: the source's loaded_at_field",
                        "day: the default (the manifest says nothing of volume)"]
        sla, rule = _freshness(_mapping(node.get("freshness")))
        if sla and entry.get("timestamp_column"):
            entry["thresholds"] = {"freshness_sla": sla}
            reasons.append(f"freshness_sla {sla}: the source's freshness.{rule}")
        description = _text(node.get("description")) or _text(node.get("source_description"))
        proposals.append(Proposal(_ordered(entry), tuple(reasons), description))
    return proposals


_ORDER = ("name", "warehouse", "table", "schema", "timestamp_column", "loaded_at_column",
          "bucket", "owners", "tags", "thresholds", "columns")


def _ordered(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in _ORDER if key in entry}


def from_manifest(path: str | Path, warehouse: str) -> tuple[list[Proposal], list[str]]:
    """(proposals for every model and source, left-out models) of the manifest at ``path``.

    ``warehouse`` is the configured warehouse the dbt project builds into.
    """
    manifest = read_manifest(path)
    models, left_out = model_proposals(manifest, warehouse, str(path))
    sources = source_proposals(manifest, warehouse, str(path))
    return [*(Proposal(_ordered(p.entry), p.reasons, p.comment) for p in models),
            *sources], left_out
