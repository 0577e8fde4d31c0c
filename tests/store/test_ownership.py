"""The store owns its tables: no module outside ``monitor/store/`` names one.

Every other module reads and writes the store through the functions of
``monitor.store.<feature>``. This scans the source of ``monitor/`` (outside
``monitor/store/``) and ``dashboards/`` for the two ways a module reaches a
store table directly: importing a table object from ``monitor.store.schema``,
and spelling a table name in SQL text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import monitor.store  # noqa: F401  (registers every store table on schema.metadata)
from monitor.store import schema

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "monitor" / "store"

#: ``dq_`` names that are not store tables, and where they live (checked by hand):
WAREHOUSE_NAMES = frozenset({
    # ingest (monitor/ingest/publish.py): the warehouse table that records published batches
    "dq_batch_ledger",
    # quarantine tables in the warehouse (monitor/ingest/quarantine.py): their bookkeeping columns
    "dq_batch_id", "dq_row_number", "dq_reason", "dq_quarantined_at", "dq_raw",
    # aliases inside pushed-down warehouse queries (monitor/validation/pushdown.py)
    "dq_dups", "dq_groups",
    # APScheduler's job table (monitor/serve/scheduling.py): in the store's database, but
    # created, read and written by APScheduler itself, never by a dq-monitor query
    "dq_scheduler_jobs",
    # the prefix of the Prometheus metric names (monitor/serve/metrics.py)
    "dq_monitor_",
    # file tables (monitor/lake.py): a pool record's key and partition-filter aliases
    "dq_sources", "dq_part_",
    # bound parameters of custom SQL metrics' {bucket_filter} (monitor/metrics/custom.py)
    "dq_start", "dq_end",
    # Spark's temporary views of file tables (monitor/spark/sources.py)
    "dq_src_",
})
DQ_NAME = re.compile(r"\bdq_\w+")


def _docstrings(tree: ast.AST) -> set[int]:
    """The string constants that are docstrings (prose may name a table)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def store_table_uses(source: str) -> list[str]:
    """Where ``source`` reaches a store table directly, as ``line: what``."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (
                node.module == "monitor.store.schema"
                or (node.module == "monitor.store" and any(a.name == "schema"
                                                           for a in node.names))):
            found.append(f"{node.lineno}: imports from monitor.store.schema")
        elif isinstance(node, ast.Import) and any(
                a.name == "monitor.store.schema" for a in node.names):
            found.append(f"{node.lineno}: imports monitor.store.schema")
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and id(node) not in docstrings):
            found += [f"{node.lineno}: names {name} in a string"
                      for name in DQ_NAME.findall(node.value) if name not in WAREHOUSE_NAMES]
    return found


def _modules() -> list[Path]:
    return sorted(p for folder in (ROOT / "monitor", ROOT / "dashboards")
                  for p in folder.rglob("*.py") if STORE not in p.parents)


class TestStoreTableUses:
    def test_no_module_outside_the_store_names_a_store_table(self) -> None:
        found = {str(p.relative_to(ROOT)): uses for p in _modules()
                 if (uses := store_table_uses(p.read_text(encoding="utf-8")))}

        assert found == {}, "call a function of monitor.store.<feature> instead"

    def test_every_module_is_scanned(self) -> None:
        scanned = {str(p.relative_to(ROOT)) for p in _modules()}

        assert {"monitor/run/alert.py", "monitor/run/status.py", "dashboards/app.py"} <= scanned
        assert not any(name.startswith("monitor/store/") for name in scanned)

    @pytest.mark.parametrize("source", [
        "from monitor.store.schema import runs\n",
        "from monitor.store.schema import mutes as m\n",
        "from monitor.store import SqlMetricStore, schema\n",
        "import monitor.store.schema\n",
        "q = sa.text('SELECT count(*) FROM dq_runs WHERE status = :s')\n",
        "q = f'DELETE FROM {prefix}dq_outbox'\n",
        "q = 'SELECT * FROM dq_something_new'\n",  # a new store table, not yet listed
    ])
    def test_a_direct_use_is_found(self, source: str) -> None:
        assert store_table_uses(source) != []

    @pytest.mark.parametrize("source", [
        '"""Runs are recorded in ``dq_runs``."""\n',
        "def f():\n    '''Reads ``dq_incidents`` through monitor.store.incidents.'''\n",
        "from monitor.store.schemas import schema_at\n",
        "from monitor.store import SqlMetricStore\n",
        "LEDGER = 'dq_batch_ledger'\ncols = ('dq_batch_id', 'dq_raw')\n",
    ])
    def test_prose_store_functions_and_warehouse_names_are_allowed(self, source: str) -> None:
        assert store_table_uses(source) == []

    def test_the_store_tables_are_dq_names(self) -> None:
        # The name rule relies on it: a store table that lost the prefix would go unseen.
        assert all(DQ_NAME.fullmatch(name) for name in schema.metadata.tables)
        assert not WAREHOUSE_NAMES & set(schema.metadata.tables)
