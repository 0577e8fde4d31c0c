"""Dialect capabilities compile to the right SQL for each engine."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from monitor.dialects import capabilities_for

TABLE = sa.table("t", sa.column("ts"), sa.column("x"))


def render(expr: sa.ColumnElement, dialect: sa.Dialect) -> str:
    return str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


class TestCapabilitiesFor:
    def test_known_dialects(self) -> None:
        sqlite_caps, duck, pg = (capabilities_for(n) for n in ("sqlite", "duckdb", "postgresql"))

        assert (sqlite_caps.approx_distinct, duck.approx_distinct, pg.approx_distinct) == (
            "none", "native", "sketch")
        assert (sqlite_caps.has_stddev, pg.server_statement_timeout) == (False, True)
        assert capabilities_for("mssql").name == "mssql"

    def test_sqlite_buckets_normalise_text_times(self) -> None:
        caps = capabilities_for("sqlite")

        sql = render(caps.bucket(TABLE.c.ts, "hour"), sqlite.dialect())

        assert sql == "strftime('%Y-%m-%d %H:00:00', t.ts)"

    @pytest.mark.parametrize("granularity", ["hour", "day"])
    def test_postgres_buckets_truncate(self, granularity: str) -> None:
        caps = capabilities_for("postgresql")

        sql = render(caps.bucket(TABLE.c.ts, granularity), postgresql.dialect())  # type: ignore[arg-type]

        assert sql == f"date_trunc('{granularity}', t.ts)"

    def test_sqlite_cannot_hold_nan(self) -> None:
        assert capabilities_for("sqlite").is_nan(TABLE.c.x) is None
        assert capabilities_for("duckdb").approx_count_distinct(TABLE.c.x) is not None
        assert capabilities_for("sqlite").approx_count_distinct(TABLE.c.x) is None


class TestAtOrAfter:
    def test_sqlite_text_times_in_any_iso_layout(self) -> None:
        import datetime as dt

        engine = sa.create_engine("sqlite://")
        table = sa.Table("t", sa.MetaData(), sa.Column("ts", sa.Text))
        stamps = ["2026-01-01T23:59:59", "2026-01-02 00:00:00", "2026-01-02T10:00:00.5",
                  "2026-01-03 08:00", "2025-12-31 12:00:00"]
        with engine.begin() as conn:
            table.create(conn)
            conn.execute(table.insert(), [{"ts": s} for s in stamps])
        caps = capabilities_for("sqlite")
        start = dt.datetime(2026, 1, 2)
        end = dt.datetime(2026, 1, 3)

        with engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.ts).where(
                caps.at_or_after(table.c.ts, start), caps.before(table.c.ts, end))).scalars()

            assert sorted(rows) == ["2026-01-02 00:00:00", "2026-01-02T10:00:00.5"]
