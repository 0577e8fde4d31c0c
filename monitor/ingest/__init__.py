"""Write-audit-publish for files landing in a table.

``batch.ingest_file`` reads a file (``files``), fits it to the target's columns
(``schema``, ``fit``), loads it into a staging table, audits it (``gate``: the
table's suites, key checks from ``keys``, volume and freshness), then publishes
it (``publish``) or holds the failing rows in a ``quarantine`` table.
"""
