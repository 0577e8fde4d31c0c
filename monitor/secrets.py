"""``${VAR}`` interpolation and redaction of the values it brings in.

Secrets come from the environment only. Every value interpolated from the
environment is remembered so that logs and error messages can mask it.

>>> resolve_env("postgresql://etl:${PW}@db/w", {"PW": "s3cret"}, Secrets())
'postgresql://etl:s3cret@db/w'
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
MASK = "***"


class MissingVariable(KeyError):
    """A ``${VAR}`` that the environment does not define."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class Secrets:
    """The set of secret strings seen so far; masks them in any text."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        # Very short values (a "1" flag) would mask half of every message.
        if value and len(value) >= 3:
            with self._lock:
                self._values.add(value)

    def redact(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, MASK)
        return text

    def __len__(self) -> int:
        return len(self._values)


#: Process-wide registry used by the logging filter and error formatting.
REGISTRY = Secrets()


def resolve_env(text: str, environ: Mapping[str, str], secrets: Secrets) -> str:
    """Replace ``${VAR}`` and ``${VAR:-default}``; raise MissingVariable when unset."""

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            value = environ[name]
            secrets.add(value)
            return value
        if default is not None:
            return default
        raise MissingVariable(name)

    return _VAR.sub(substitute, text)


def only_variable(text: str) -> str | None:
    """The variable's name when ``text`` is exactly ``${VAR}``, else None."""
    match = _VAR.fullmatch(text.strip())
    return match.group(1) if match and match.group(2) is None else None


def redact(text: str) -> str:
    """Mask every secret seen by this process in ``text``."""
    return REGISTRY.redact(text)


class RedactingFilter(logging.Filter):
    """Logging filter that masks secrets in messages and their arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if len(REGISTRY):
            record.msg = REGISTRY.redact(record.getMessage())
            record.args = None
            if record.exc_text:
                record.exc_text = REGISTRY.redact(record.exc_text)
        return True
