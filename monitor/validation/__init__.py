"""Expectation suites: parse them, route each expectation, evaluate it.

``suites`` reads GX 1.x suite files into typed specs, checking their arguments
against the ``catalog`` of known expectation types (``arguments``). ``routing``
decides per expectation whether it is pushed down to SQL (``pushdown`` with its
``pushdown_rules``) or delegated to Great Expectations (``gx``, the only module
that imports GX). ``suite_runner.validate_table`` runs both and returns
``outcomes``. ``suggest`` drafts a suite from a table's stored profile history.
"""
