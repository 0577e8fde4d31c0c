"""One exception tree for everything that is not a failure *inside* a run.

Failures inside a run (a metric that could not be computed, a check that
failed) are values. Exceptions are for bugs, bad configuration and
infrastructure. Infrastructure errors carry a marker saying whether trying
again can help; retry logic decides by type, never by message.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Root of every error dq-monitor raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, details: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = dict(details or {})

    def __str__(self) -> str:
        return self.message


class TransientError(MonitorError):
    """Marker: the same call may succeed later (connection dropped, timeout, lock)."""


class TerminalError(MonitorError):
    """Marker: retrying cannot help (missing table, bad SQL, permission denied)."""


class ConfigError(TerminalError):
    """The configuration (file, key, suite) is invalid; the message names where."""


class WarehouseError(MonitorError):
    """A warehouse could not answer."""


class WarehouseUnavailable(WarehouseError, TransientError):
    """The warehouse refused or dropped the connection, or timed out."""


class QueryTimeout(WarehouseUnavailable):
    """A query ran past its statement timeout."""


class ObjectNotFound(WarehouseError, TerminalError):
    """A table or column named in the config does not exist."""


class QueryFailed(WarehouseError, TerminalError):
    """The warehouse rejected a query for a reason retrying will not fix."""


class StoreError(MonitorError):
    """The metric store could not be read or written."""


class StoreUnavailable(StoreError, TransientError):
    """The metric store is down or unreachable."""


class InputError(TerminalError):
    """A file handed to dq-monitor (CSV, suite, batch) cannot be read as given."""


def is_transient(error: BaseException) -> bool:
    """True when trying the same operation again may succeed."""
    return isinstance(error, TransientError)
