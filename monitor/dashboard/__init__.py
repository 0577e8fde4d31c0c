"""The data layer of the Streamlit dashboard (the pages live in ``dashboards/``).

Everything here reads the metric store through a read-only connection and
returns pandas DataFrames (from ``monitor.store.dashboard`` and
``monitor.store.dashboard_table``, cached by ``cached``), judges a table's
health (``health``) and draws Altair charts (``charts``); ``segments`` is the table
page's drill-down by segment. The only writes
(acknowledge, mute, mark as expected) go through ``actions`` onto the shared
APIs in ``monitor.alerts.actions`` and ``monitor.detection.feedback``.
"""
