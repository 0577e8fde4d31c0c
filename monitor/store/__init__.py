"""The metric history store.

Importing this package registers every table of every feature on
``schema.metadata``; feature store modules are listed here, one line each.
"""

from monitor.store import schema
from monitor.store.protocol import MetricStore
from monitor.store.sql_store import RunRecord, SqlMetricStore, open_store, run_key

__all__ = ["MetricStore", "RunRecord", "SqlMetricStore", "open_store", "run_key", "schema"]
