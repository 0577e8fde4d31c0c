"""Sending run events through an ``openlineage-python`` client, never failing the run.

``LineageEmitter`` turns ``lineage:`` in the config into the client's transport
(``http``, ``file`` or ``console``) and sends events; an event that cannot be built
or sent is logged (warning, secrets masked) and counted (``failures``), and the run
goes on as if lineage were not configured. ``LineageRun`` is one run's pair of
events: START when it is recorded as running, COMPLETE or FAIL once when it finishes.

>>> from monitor.config.models import LineageConfig
>>> transport_config(LineageConfig(transport="http", url="http://marquez:5000",
...                                api_key="k3y", retries=0))["auth"]
{'type': 'api_key', 'apiKey': 'k3y'}
>>> transport_config(LineageConfig(transport="file", path="/tmp/ol.jsonl"))
{'type': 'file', 'log_file_path': '/tmp/ol.jsonl', 'append': True}
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from monitor.config.models import LineageConfig
from monitor.config.secrets import redact
from monitor.lineage.datasets import Dataset
from monitor.timeutil import utcnow

if TYPE_CHECKING:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import RunEvent

log = logging.getLogger(__name__)

#: Run statuses whose final event is FAIL (the others: COMPLETE).
FAILED = frozenset({"failed", "lost", "interrupted"})


def transport_config(config: LineageConfig) -> dict[str, Any]:
    """The ``transport`` section of the OpenLineage client's config for ``config``."""
    if config.transport == "file":
        return {"type": "file", "log_file_path": config.path, "append": True}
    if config.transport == "console":
        return {"type": "console"}
    retry = {"total": config.retries, "connect": config.retries, "read": config.retries,
             "backoff_factor": 0.2}
    out: dict[str, Any] = {"type": "http", "url": config.url, "endpoint": config.endpoint,
                           "timeout": config.timeout, "retry": retry}
    if config.api_key:
        out["auth"] = {"type": "api_key", "apiKey": config.api_key}
    return out


class LineageEmitter:
    """The process's OpenLineage client (opened at the first event), with counters."""

    def __init__(self, config: LineageConfig, *,
                 client: OpenLineageClient | None = None) -> None:
        from monitor.optional import MissingExtra, installed

        if client is None and not installed("openlineage"):  # a deployment error: exit 2
            raise MissingExtra.for_module("openlineage", "lineage: in the config")
        self.config = config
        self._client = client
        self._lock = threading.Lock()
        self.sent = 0
        self.failures = 0

    @property
    def client(self) -> OpenLineageClient:
        if self._client is None:
            from openlineage.client import OpenLineageClient

            self._client = OpenLineageClient(config={"transport": transport_config(self.config)})
        return self._client

    def emit(self, build: Callable[[], RunEvent], *, what: str) -> bool:
        """Build and send one event; False (logged, counted) when either fails."""
        try:
            self.client.emit(build())
        except Exception as error:  # noqa: BLE001  (lineage must never fail a run)
            with self._lock:
                self.failures += 1
            log.warning("OpenLineage event %s not sent (%s: %s); the run goes on", what,
                        type(error).__name__, redact(str(error)).splitlines()[0][:300]
                        if str(error) else "", extra={"dq": {"event": "lineage_failed"}})
            return False
        with self._lock:
            self.sent += 1
        return True

    def run(self, table: str, kind: str, *, nominal: dt.datetime | None = None,
            inputs: Sequence[Dataset] = (), outputs: Sequence[Dataset] = ()) -> LineageRun:
        """The events of one run of job ``<table>.<kind>``."""
        return LineageRun(self, f"{table}.{kind}", kind, nominal=nominal,
                          inputs=list(inputs), outputs=list(outputs))

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.close(timeout=5.0)
            except Exception as error:  # noqa: BLE001
                log.warning("closing the OpenLineage client failed: %s", error)


class LineageRun:
    """START once, then COMPLETE or FAIL once; datasets may be filled in between."""

    def __init__(self, emitter: LineageEmitter, job: str, kind: str, *,
                 nominal: dt.datetime | None, inputs: list[Dataset],
                 outputs: list[Dataset]) -> None:
        from openlineage.client.uuid import generate_new_uuid

        self.emitter, self.job, self.kind, self.nominal = emitter, job, kind, nominal
        self.inputs, self.outputs = inputs, outputs
        self.run_id = str(generate_new_uuid())
        self.final: str | None = None  # the final event sent (or tried)

    def _send(self, state: str, error: str | None = None) -> bool:
        from monitor.lineage.events import run_event

        return self.emitter.emit(lambda: run_event(
            state, run_id=self.run_id, namespace=self.emitter.config.namespace, job=self.job,
            kind=self.kind, at=utcnow(), nominal=self.nominal, inputs=self.inputs,
            outputs=self.outputs, error=error), what=f"{state} of {self.job}")

    def start(self) -> bool:
        return self._send("START")

    def update(self, fill: Callable[[LineageRun], None]) -> None:
        """Let ``fill`` add what the run found to the datasets (an error is only counted)."""
        try:
            fill(self)
        except Exception as error:  # noqa: BLE001  (lineage must never fail a run)
            with self.emitter._lock:
                self.emitter.failures += 1
            log.warning("OpenLineage facets of %s not collected (%s: %s)", self.job,
                        type(error).__name__, redact(str(error))[:300])

    def finish(self, status: str, error: str | None = None) -> bool:
        """COMPLETE, or FAIL for a failed/lost run (with its masked error); only once."""
        if self.final is not None:
            return False
        self.final = "FAIL" if status in FAILED else "COMPLETE"
        return self._send(self.final, redact(error or status) if self.final == "FAIL"
                          else None)
