"""One exception tree for everything that is not a failure *inside* a run.

Failures inside a run (a metric that could not be computed, a check that
failed) are values. Exceptions are for bugs, bad configuration and
infrastructure. Infrastructure errors carry a marker saying whether trying
again can help; retry logic decides by type, never by message.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit code of every ``dq-monitor`` command (the table in docs/exit-codes.md).

    When one invocation meets several outcomes (``run`` over many tables) the
    highest code wins: a bug hides nothing, and a table that could not be
    checked is louder than one that was checked and failed.
    """

    OK = 0
    #: Checks ran and found a problem: a critical finding, a failed critical
    #: expectation, a gate that blocks, a table overdue.
    FINDINGS = 1
    #: Nothing could be judged: bad input or config (the message names the file,
    #: key or object), or infrastructure down (warehouse, metric store, Slack).
    BAD_INPUT = 2
    #: A bug in dq-monitor (the message says so; ``--debug`` shows the traceback).
    BUG = 3
    #: Stopped by Ctrl+C or SIGINT (the shell's convention, 128 + 2).
    INTERRUPTED = 130


class MonitorError(Exception):
    """Root of every error dq-monitor raises on purpose."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

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
