"""OpenLineage events of runs and ingest batches (``lineage:`` in the config).

- ``datasets``: tables and files as OpenLineage names them, with what a run measured
  (schema, data-quality metrics, assertions), as plain values;
- ``events``: those values as ``openlineage-python`` START/COMPLETE/FAIL run events;
- ``emitter``: the client and its transport; a failing emitter is logged and counted,
  never a failed run.

The run bookkeeping (``monitor.run.record.recorded_run``) sends the events; the runner
and ingestion fill in the datasets. See docs/lineage.md.
"""
