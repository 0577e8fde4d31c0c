"""The PEP 249 driver on a real local Spark session."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

import pytest

from monitor.spark import dbapi


class TestCursor:
    def test_values_are_bound_not_spliced(self, spark: Any) -> None:
        cursor = dbapi.connect(session=spark).cursor()

        cursor.execute("SELECT ? AS s, ? + 1 AS n, ? AS d", ["it's '; DROP", 41,
                                                            Decimal("1.50")])

        assert cursor.fetchall() == [("it's '; DROP", 42, Decimal("1.50"))]
        assert [d[0] for d in cursor.description or []] == ["s", "n", "d"]

    def test_naive_times_are_utc_both_ways(self, spark: Any) -> None:
        cursor = dbapi.connect(session=spark).cursor()
        when = dt.datetime(2026, 3, 1, 8, 30)

        cursor.execute("SELECT ? AS t, date_trunc('hour', ?) AS h, CAST(? AS STRING) AS s",
                       [when, when, when])

        assert cursor.fetchone() == (when, dt.datetime(2026, 3, 1, 8), "2026-03-01 08:30:00")

    def test_fetch_in_parts(self, spark: Any) -> None:
        cursor = dbapi.connect(session=spark).cursor()

        cursor.execute("SELECT id FROM range(5) ORDER BY id")

        assert cursor.fetchone() == (0,)
        assert cursor.fetchmany(2) == [(1,), (2,)]
        assert cursor.fetchall() == [(3,), (4,)]
        assert cursor.fetchone() is None

    def test_a_command_has_no_description(self, spark: Any) -> None:
        cursor = dbapi.connect(session=spark).cursor()

        cursor.execute("CREATE OR REPLACE TEMPORARY VIEW dq_dbapi_v AS SELECT 1 AS a")

        assert cursor.description is None


class TestTranslate:
    def test_missing_table_is_a_programming_error_with_spark_sqlstate(self, spark: Any
                                                                      ) -> None:
        cursor = dbapi.connect(session=spark).cursor()

        with pytest.raises(dbapi.ProgrammingError, match="nope_not_here") as caught:
            cursor.execute("SELECT * FROM nope_not_here")

        assert (caught.value.sqlstate, caught.value.condition) == ("42P01",
                                                                   "TABLE_OR_VIEW_NOT_FOUND")

    def test_a_runtime_failure_is_a_database_error(self, spark: Any) -> None:
        cursor = dbapi.connect(session=spark).cursor()

        with pytest.raises(dbapi.DatabaseError) as caught:
            cursor.execute("SELECT assert_true(false)")

        assert not isinstance(caught.value, dbapi.OperationalError | dbapi.ProgrammingError)

    def test_a_lost_connection_is_operational(self) -> None:
        error = dbapi.translate(ConnectionRefusedError("connection refused"))

        assert isinstance(error, dbapi.OperationalError)


class TestConnectionCancel:
    def test_cancel_stops_the_running_statement(self, spark: Any) -> None:
        connection = dbapi.connect(session=spark)
        timer = threading.Timer(2.0, connection.cancel)
        started = time.monotonic()
        timer.start()

        with pytest.raises(dbapi.OperationalError, match="interrupted") as caught:
            connection.cursor().execute("SELECT count(*) FROM range(100000000000)")

        assert caught.value.sqlstate == dbapi.CANCELLED_SQLSTATE
        assert time.monotonic() - started < 60
        connection.cursor().execute("SELECT 1")  # the session goes on

    def test_cancel_with_nothing_running_does_nothing(self, spark: Any) -> None:
        connection = dbapi.connect(session=spark)

        connection.cancel()

        assert connection.cursor().execute("SELECT 2").fetchall() == [(2,)]
