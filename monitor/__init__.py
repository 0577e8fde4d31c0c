"""dq-monitor: data quality and profiling monitor for warehouse tables."""

__version__ = "0.1.0"
