"""A PEP 249 (DB-API 2.0) driver over a SparkSession, for the ``spark`` SQLAlchemy dialect.

Each statement is one ``spark.sql(query, args=[...])`` call: values stay bound
(``?`` markers, Spark 3.5+), results come back through Arrow. A statement runs
under a job tag of its own (Spark Connect: an operation tag), so ``cancel()``
from another thread stops its jobs; the statement then fails with SQLSTATE
57014, which ``monitor.warehouse.classify`` reads as a timeout. Spark's errors
become the PEP 249 classes: analysis errors (missing table or column, bad SQL)
are ``ProgrammingError`` with Spark's SQLSTATE, a lost driver or server is
``OperationalError``, any other failure ``DatabaseError``.

>>> paramstyle
'qmark'
>>> issubclass(OperationalError, DatabaseError)
True
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

apilevel = "2.0"
threadsafety = 1  # connections share one session; a connection is not shared by threads
paramstyle = "qmark"


class Warning(Exception):
    pass


class Error(Exception):
    """Root of the driver's errors; ``sqlstate`` and ``condition`` are Spark's, if any."""

    def __init__(self, message: str, *, sqlstate: str | None = None,
                 condition: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate
        self.condition = condition


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


#: SQLSTATE of a statement stopped by ``cancel()`` (PostgreSQL's query_canceled).
CANCELLED_SQLSTATE = "57014"
#: Words of errors that mean the session or the server is gone, not the statement wrong.
_LOST_WORDS = ("sparkcontext was shut down", "stopped sparkcontext", "connection refused",
               "unavailable", "failed to connect", "session_closed", "broken pipe",
               "connection reset", "py4jnetworkerror", "answer from java side is empty",
               "deadline exceeded")


def is_remote(spark: Any) -> bool:
    """True for a Spark Connect session (its jobs are cancelled by tag, not by group)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")


def translate(error: BaseException) -> Error:
    """A Spark, Py4J or gRPC exception as the PEP 249 class saying what went wrong."""
    if isinstance(error, Error):
        return error
    sqlstate = _call(error, "getSqlState")
    condition = _call(error, "getCondition") or _call(error, "getErrorClass")
    text = str(error).strip()
    message = text.splitlines()[0] if text else type(error).__name__
    lowered = f"{type(error).__name__} {text}".lower()
    from pyspark.errors import AnalysisException

    if isinstance(error, AnalysisException):
        return ProgrammingError(message, sqlstate=sqlstate, condition=condition)
    if isinstance(error, ConnectionError | OSError) or any(w in lowered for w in _LOST_WORDS):
        return OperationalError(message, sqlstate=sqlstate, condition=condition)
    return DatabaseError(message, sqlstate=sqlstate, condition=condition)


def _call(error: BaseException, method: str) -> str | None:
    fn = getattr(error, method, None)
    if fn is None:
        return None
    try:
        value = fn()
    except Exception:  # noqa: BLE001 - an exception that cannot describe itself
        return None
    return str(value) if value else None


def _bind(value: Any) -> Any:
    """A parameter as Spark binds it: naive datetimes are UTC (pyspark reads naive
    ones in the process's local time zone)."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _python(value: Any) -> Any:
    """A value read back: aware times as naive UTC, as for other dialects' TIMESTAMP."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


class Cursor:
    """Runs statements on its connection's session and buffers their rows."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.description: list[tuple[Any, ...]] | None = None
        self.rowcount = -1
        self._rows: list[tuple[Any, ...]] = []
        self._next = 0

    def execute(self, operation: str, parameters: Sequence[Any] | None = None) -> Cursor:
        args = [_bind(v) for v in parameters] if parameters else None
        spark = self.connection.spark
        with self.connection.running() as cancelled:
            try:
                frame = spark.sql(operation, args=args)
                table = frame.toArrow()
            except Exception as error:  # noqa: BLE001 - every Spark failure is translated
                if cancelled.is_set():
                    raise OperationalError(
                        f"statement interrupted: its Spark jobs were cancelled "
                        f"({type(error).__name__})", sqlstate=CANCELLED_SQLSTATE) from None
                raise translate(error) from None
        fields = frame.schema.fields
        self.description = [(f.name, f.dataType.simpleString(), None, None, None, None,
                             f.nullable) for f in fields] or None
        columns = [[_python(v) for v in table.column(i).to_pylist()]
                   for i in range(table.num_columns)]
        self._rows = list(zip(*columns, strict=True)) if columns else []
        self._next = 0
        self.rowcount = len(self._rows) if self.description else -1
        return self

    def executemany(self, operation: str, seq_of_parameters: Sequence[Sequence[Any]]) -> None:
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)

    def fetchone(self) -> tuple[Any, ...] | None:
        if self._next >= len(self._rows):
            return None
        row = self._rows[self._next]
        self._next += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        size = size or self.arraysize
        rows = self._rows[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        rows = self._rows[self._next:]
        self._next = len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())

    def setinputsizes(self, sizes: Any) -> None:
        pass

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        pass

    def close(self) -> None:
        self._rows = []


class Connection:
    """A handle on a SparkSession: closing it leaves the session running (others share it).

    Spark has no transactions: ``commit`` and ``rollback`` do nothing.
    """

    def __init__(self, spark: Any) -> None:
        self.spark = spark
        self._lock = threading.Lock()
        self._group: str | None = None
        self._cancelled = threading.Event()

    def cursor(self) -> Cursor:
        return Cursor(self)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass

    def running(self) -> _Running:
        return _Running(self)

    def cancel(self) -> None:
        """Stop the jobs of the statement running now (called from a timer thread)."""
        with self._lock:
            group = self._group
            if group is None:
                return
            self._cancelled.set()
        try:
            if is_remote(self.spark):
                self.spark.interruptTag(group)
            else:
                self.spark.sparkContext.cancelJobsWithTag(group)
        except Exception:  # noqa: BLE001, S110 - the statement may have just ended
            pass


class _Running:
    """The job group (or tag) of one statement, set for the calling thread."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def __enter__(self) -> threading.Event:
        conn = self.connection
        group = f"dq-monitor-{uuid.uuid4().hex}"
        conn._cancelled.clear()
        if is_remote(conn.spark):
            conn.spark.addTag(group)
        else:
            # A job tag, not a job group: Spark 4 runs an Arrow collect's jobs in a thread
            # that cancelJobGroup does not reach; tags follow the jobs there.
            conn.spark.sparkContext.addJobTag(group)
        with conn._lock:
            conn._group = group
        return conn._cancelled

    def __exit__(self, *exc: object) -> None:
        conn = self.connection
        with conn._lock:
            group, conn._group = conn._group, None
        if group is not None and is_remote(conn.spark):
            conn.spark.removeTag(group)
        elif group is not None:
            conn.spark.sparkContext.removeJobTag(group)


def connect(*, master: str | None = None, remote: str | None = None,
            conf: dict[str, str] | None = None, session: Any = None) -> Connection:
    """A connection on ``session``, or on the process's Spark session for these settings
    (``monitor.spark.session.spark_session``)."""
    if session is None:
        from monitor.spark.session import spark_session

        try:
            session = spark_session(master=master, remote=remote, conf=conf)
        except Exception as error:  # noqa: BLE001 - a JVM or server that does not start
            raise OperationalError(f"cannot start a Spark session: "
                                   f"{translate(error)}") from None
    return Connection(session)
