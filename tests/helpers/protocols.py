"""Checking that a class is true to a Protocol: every member, with the same signature."""

from __future__ import annotations

import inspect
import typing
from typing import Any

_PROTOCOL_NOISE = {"__init__", "__subclasshook__", "__class_getitem__", "__init_subclass__"}


def protocol_mismatches(implementation: object, protocol: type) -> list[str]:
    """What ``implementation`` (an instance) lacks or declares differently from ``protocol``.

    Empty means true. Attributes count when the instance has them; methods compare
    their parameters (names, kinds, defaults) and annotations as written.
    """
    problems = []
    cls = type(implementation)
    for name in typing.get_type_hints(protocol):
        if not hasattr(implementation, name):
            problems.append(f"attribute {name}: missing")
    for name, member in vars(protocol).items():
        if name.startswith("_") or not callable(member) or name in _PROTOCOL_NOISE:
            continue
        impl = getattr(cls, name, None)
        if impl is None:
            problems.append(f"method {name}: missing")
            continue
        wanted, got = _signature(member), _signature(impl)
        if wanted != got:
            problems.append(f"method {name}: {got} instead of {wanted}")
    return problems


def _signature(function: Any) -> str:
    signature = inspect.signature(function, eval_str=False)
    return str(signature.replace(parameters=list(signature.parameters.values())[1:]))
