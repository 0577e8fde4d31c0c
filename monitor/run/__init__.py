"""One run of one table, and its steps.

``runner.run_table`` drives a run: ``collect`` (profile the new buckets into
metric points), ``validate`` (expectation suites), ``detect`` (anomaly detection
on the stored history, plus ``schema_check`` and ``drift``), ``alert`` (incidents and the
outbox). ``state`` holds what a run has measured so far, ``findings`` what it
judged; ``context`` carries the config, clock, store and warehouses. ``backfill``
replays past buckets through the same steps; ``spool`` keeps a run's results on
disk while the store is down; ``status`` reports the last and next runs; ``record``
keeps every kind of run's row in ``dq_runs`` (started, then finished or failed once).
``collect`` also calls ``metadata`` (row count and change time from the catalog, no
scan) and ``custom`` (the table's custom SQL metrics); ``segments`` chooses a
table's segments and makes one finding per check over them.
"""
