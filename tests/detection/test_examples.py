"""The ``>>>`` examples in the detection modules' docstrings run and hold, without a database."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import monitor.detection

#: Modules of the package that face the store; their examples need the doctests' sample
#: store (``monitor/conftest.py``) and run with ``--doctest-modules`` instead.
STORE_FACING = {"monitor.detection.feedback"}

MODULES = sorted(
    info.name for info in pkgutil.iter_modules(monitor.detection.__path__, "monitor.detection.")
    if info.name not in STORE_FACING
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)

    assert result.failed == 0
