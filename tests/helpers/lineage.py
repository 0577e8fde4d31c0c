"""A loopback OpenLineage receiver (Marquez's ``POST /api/v1/lineage``) and the spec check.

The receiver answers 201 and keeps each event; ``fail(times)`` makes the next
requests 500. ``spec_errors(event)`` validates an event against the OpenLineage
JSON schemas (the core ``OpenLineage.json`` and the schema of each facet we send)
with ``jsonschema``.

openlineage-python ships no JSON schemas (only the classes generated from them), so
the schemas are read from ``$DQ_OPENLINEAGE_SPEC`` (default
``tests/data/openlineage-spec``, committed: Apache-2.0, see its NOTICE.md): ``OpenLineage.json`` and
``facets/<Facet>.json`` as in the spec folder of the OpenLineage repository. Without
them the check skips (and fails when ``DQ_REQUIRE_OPENLINEAGE_SPEC=1``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.loopback import serving

SPEC_VAR = "DQ_OPENLINEAGE_SPEC"
REQUIRE_VAR = "DQ_REQUIRE_OPENLINEAGE_SPEC"
DEFAULT_SPEC = Path(__file__).resolve().parents[1] / "data" / "openlineage-spec"
#: The facet key in an event -> its schema file in the spec's facets folder.
FACETS = {"schema": "SchemaDatasetFacet", "dataQualityMetrics":
          "DataQualityMetricsInputDatasetFacet", "dataQualityAssertions":
          "DataQualityAssertionsDatasetFacet", "nominalTime": "NominalTimeRunFacet",
          "errorMessage": "ErrorMessageRunFacet", "jobType": "JobTypeJobFacet",
          "outputStatistics": "OutputStatisticsOutputDatasetFacet", "tags": "TagsRunFacet"}
#: Core spec versions the facet schemas refer to; one core file stands for all of them.
CORE_IDS = ("1-0-0", "1-0-1", "1-0-2", "1-0-5", "2-0-0", "2-0-1", "2-0-2", "2-1-0")


class LineageReceiver:
    """Events posted to ``/api/v1/lineage`` (with their headers), in arrival order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.failures = 0
        self._lock = threading.Lock()
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def fail(self, times: int = 1) -> None:
        with self._lock:
            self.failures += times

    def of_job(self, job: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["job"]["name"] == job]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        receiver: LineageReceiver = self.server.receiver  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with receiver._lock:
            failing = receiver.failures > 0
            if failing:
                receiver.failures -= 1
            elif self.path == "/api/v1/lineage":
                receiver.events.append(json.loads(raw))
                receiver.headers.append(dict(self.headers.items()))
        status = 500 if failing else 201 if self.path == "/api/v1/lineage" else 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


@contextmanager
def lineage_receiver() -> Iterator[LineageReceiver]:
    """A receiver on a free port of 127.0.0.1, stopped afterwards."""
    receiver = LineageReceiver()
    with serving(_Handler, receiver, "receiver"):
        yield receiver


def spec_dir() -> Path:
    return Path(os.environ.get(SPEC_VAR) or DEFAULT_SPEC)


def require_spec() -> Path:
    """The spec folder, or skip (fail with ``DQ_REQUIRE_OPENLINEAGE_SPEC=1``)."""
    folder = spec_dir()
    if (folder / "OpenLineage.json").is_file():
        return folder
    reason = (f"OpenLineage JSON schemas not found in {folder} (set {SPEC_VAR}; "
              "openlineage-python does not ship them)")
    if os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@cache
def _validators(folder: str) -> tuple[Any, dict[str, Any]]:
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource

    base = Path(folder)
    core = json.loads((base / "OpenLineage.json").read_text())
    resources = [(f"https://openlineage.io/spec/{v}/OpenLineage.json",
                  Resource.from_contents(core)) for v in CORE_IDS]
    facets = {}
    for key, name in FACETS.items():
        path = base / "facets" / f"{name}.json"
        if path.is_file():
            schema = json.loads(path.read_text())
            resources.append((schema["$id"], Resource.from_contents(schema)))
            facets[key] = schema
    registry = Registry().with_resources(resources)
    checker = FormatChecker()
    return (Draft202012Validator(core, registry=registry, format_checker=checker),
            {k: Draft202012Validator(s, registry=registry, format_checker=checker)
             for k, s in facets.items()})


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, key, facet) of every facet in the event."""
    yield from (("run", k, v) for k, v in (event["run"].get("facets") or {}).items())
    yield from (("job", k, v) for k, v in (event["job"].get("facets") or {}).items())
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for dataset in event.get(side) or []:
            for group in ("facets", extra):
                for key, facet in (dataset.get(group) or {}).items():
                    yield f"{side}[{dataset['name']}].{group}", key, facet


def spec_errors(event: dict[str, Any]) -> list[str]:
    """Every way ``event`` breaks the core schema or a facet's schema (empty: valid).

    A facet key without a schema file in the spec folder is an error too.
    """
    core, facets = _validators(str(require_spec()))
    errors = [f"core: {e.message} at {list(e.absolute_path)}" for e in core.iter_errors(event)]
    for where, key, facet in _facets(event):
        validator = facets.get(key)
        if validator is None:
            errors.append(f"{where}.{key}: no schema for this facet in {spec_dir()}")
            continue
        errors += [f"{where}.{key}: {e.message}" for e in validator.iter_errors({key: facet})]
    return errors
