"""The metric history store.

Every store table is defined in ``schema`` and read and written only by the
store's feature modules (``monitor.store.incidents``, ``.outbox``, ``.mutes``,
``.feedback``, ``.detections``, ``.dashboard``, ...); nothing outside
``monitor/store/`` names a table (``tests/store/test_ownership.py``).
"""

from monitor.store import schema
from monitor.store.sql_store import RunRecord, SqlMetricStore, open_store, run_key

__all__ = ["RunRecord", "SqlMetricStore", "open_store", "run_key", "schema"]
