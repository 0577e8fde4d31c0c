"""The ``>>>`` examples in the detection modules' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import monitor.detection

MODULES = sorted(
    info.name for info in pkgutil.iter_modules(monitor.detection.__path__, "monitor.detection.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)

    assert result.failed == 0
