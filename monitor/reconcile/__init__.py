"""Reconciliation: does a target table hold the rows of its source (``reconcile:`` entries)?

``plan`` builds the SQL of one side (portable integer fingerprints), ``compare`` the
per-bucket counts and sums, ``bisect`` the key ranges that differ down to the rows,
``result`` the outcome (its finding and points), ``run`` one reconciliation as a run
of the monitor. docs/reconcile.md has the config, the SQL and its cost.
"""
