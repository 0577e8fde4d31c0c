"""The gate: a verdict on a table for an ingestion pipeline (pass or blocked).

``from monitor import gate; gate.check("orders")`` is the pipeline-facing API
(``verdict``); the checks it runs are in ``checks`` (suites, volume of the newest
batch, freshness) and read the table's volume history through ``history``.
"""

from monitor.gate.verdict import GateFailed, GateResult, check

__all__ = ["GateFailed", "GateResult", "check"]
