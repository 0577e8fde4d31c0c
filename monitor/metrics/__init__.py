"""Measuring a table: metric definitions compiled into as few scans as possible.

``definitions`` names the metrics of each column kind, ``states`` the small
frozen aggregate states they need, and ``scan`` compiles a table's states into
one SELECT and reads the row back. ``profile`` profiles a table (or its time
buckets) with them, and ``points`` turns a profile into the metric points stored
in the history. ``metadata`` reads row counts and change times from the engine's
catalog (no scan); ``custom`` runs a table's custom SQL metrics; ``segments`` adds
the per-segment grouping to the bucketed scan; ``distribution`` adds the quantiles and
top-value shares of the ``distribution_columns`` (in the plan where the engine has a
quantile aggregate).
"""
