"""Configuration: YAML plus ``${VAR}`` resolved once, into typed models.

``models.load_config`` returns a ``MonitorConfig``; ``fields`` holds the field
validators (durations from ``durations``, URLs), ``problems`` the checks across
the whole file (references between tables, warehouses and suites), and
``secrets`` the ``${VAR}`` resolution and the masking of secrets in logs.
``sources`` is a table read from files (``table: {path: ...}``), ``custom_metrics``
a table's custom SQL metrics.
"""
