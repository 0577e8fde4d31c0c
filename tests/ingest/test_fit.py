"""Whether a value fits a target column: hand-worked cases, and PostgreSQL itself as the oracle."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.dialects import capabilities_for
from monitor.ingest.fit import ColumnFit, DeclaredType, bind_type, column_fit, ddl_type
from monitor.warehouse import ColumnInfo

PG = capabilities_for("postgresql")
SQLITE = capabilities_for("sqlite")
DUCKDB = capabilities_for("duckdb")


def _fit(type_name: str, kind: str, type_: sa.types.TypeEngine, caps=PG) -> ColumnFit:
    return column_fit(ColumnInfo("c", type_name, kind), type_, caps)  # type: ignore[arg-type]


class TestColumnFit:
    @pytest.mark.parametrize(("type_name", "type_", "caps", "low", "high"), [
        ("SMALLINT", sa.SmallInteger(), PG, -32768, 32767),
        ("INTEGER", sa.Integer(), PG, -2 ** 31, 2 ** 31 - 1),
        ("BIGINT", sa.BigInteger(), PG, -2 ** 63, 2 ** 63 - 1),
        ("HUGEINT", sa.BigInteger(), DUCKDB, -2 ** 127, 2 ** 127 - 1),
        ("UTINYINT", sa.BigInteger(), DUCKDB, 0, 255),
        ("SMALLINT", sa.SmallInteger(), SQLITE, -2 ** 63, 2 ** 63 - 1),  # 64 bits in SQLite
    ])
    def test_integer_ranges_from_the_type(self, type_name, type_, caps, low, high) -> None:
        fit = _fit(type_name, "integer", type_, caps)
        assert (fit.low, fit.high) == (low, high)
        assert fit.problem(low) is None
        assert fit.problem(high) is None
        assert fit.problem(high + 1) == f"{high + 1} is out of range for {type_name} " \
                                        f"({low} to {high})"
        assert fit.problems([low, None, low - 1, high]) == {2: fit.problem(low - 1)}

    @pytest.mark.parametrize(("type_name", "type_", "precision", "scale"), [
        ("NUMERIC(20, 2)", sa.Numeric(20, 2), 20, 2),
        ("DECIMAL(38,10)", sa.Numeric(), 38, 10),  # DuckDB: only the name has them
        ("NUMERIC(5)", sa.Numeric(), 5, 0),
        ("NUMERIC", sa.Numeric(), None, None),
    ])
    def test_decimal_precision_and_scale(self, type_name, type_, precision, scale) -> None:
        fit = _fit(type_name, "decimal", type_)
        assert (fit.precision, fit.scale) == (precision, scale)

    @pytest.mark.parametrize(("value", "problem"), [
        ("12345678901234567.89", None),
        ("-999999999999999999.99", None),
        ("1.5E+3", None),
        ("1.230", None),  # trailing zeros are no extra places
        ("0", None),
        ("1.005", "1.005 has 3 decimal places; NUMERIC(20, 2) keeps 2"),
        ("123456789012345678", None),
        ("1234567890123456789", "1234567890123456789 has 19 digits before the decimal point; "
                                "NUMERIC(20, 2) holds 18"),
        ("Infinity", "Infinity is not a finite number; NUMERIC(20, 2) holds only finite values"),
        ("NaN", "NaN is not a finite number; NUMERIC(20, 2) holds only finite values"),
    ])
    def test_decimals_against_numeric_20_2(self, value, problem) -> None:
        fit = _fit("NUMERIC(20, 2)", "decimal", sa.Numeric(20, 2))
        assert fit.problem(Decimal(value)) == problem

    def test_a_negative_scale_wants_multiples(self) -> None:
        fit = _fit("NUMERIC(3, -2)", "decimal", sa.Numeric(3, -2))
        assert fit.problem(Decimal("99900")) is None
        assert fit.problem(Decimal("150")) == "150 is not a multiple of 1E2 (NUMERIC(3, -2))"

    def test_sqlite_keeps_only_what_survives_a_float(self) -> None:
        fit = _fit("NUMERIC(20, 2)", "decimal", sa.Numeric(20, 2), SQLITE)
        assert fit.problem(Decimal("0.10")) is None
        assert fit.problem(Decimal("12345678901234567.89")) == (
            "12345678901234567.89 cannot be kept exactly: this warehouse stores decimals as "
            "8-byte floats (it would read back as 1.2345678901234568e+16)")

    @pytest.mark.parametrize(("value", "problem"), [
        ("a" * 20, None),
        ("é" * 20, None),  # characters, not bytes
        ("a" * 21, "'aaaaaaaaaaaaaaaaaaaaa' is 21 characters; VARCHAR(20) holds 20"),
        ("a\x00b", "'a\\x00b' contains a NUL character (\\x00), which text columns cannot hold"),
    ])
    def test_text_length_and_nul(self, value, problem) -> None:
        fit = _fit("VARCHAR(20)", "string", sa.String(20))
        assert fit.problem(value) == problem
        assert fit.problems([value, None]) == ({0: problem} if problem else {})

    def test_floats_range_and_nan(self) -> None:
        real = _fit("REAL", "float", sa.REAL())
        double_in_sqlite = _fit("REAL", "float", sa.REAL(), SQLITE)
        assert real.problem(1e39) == "1e+39 is out of range for REAL"
        assert real.problem(float("inf")) is None
        assert double_in_sqlite.problem(1e39) is None
        assert double_in_sqlite.problem(float("nan")) == (
            "NaN cannot be stored in REAL here (it would become NULL)")

    def test_other_kinds_always_fit(self) -> None:
        assert _fit("TIMESTAMP", "timestamp", sa.DateTime()).problems(["x", None]) == {}


class TestDdlType:
    def test_generic_reflection_keeps_the_database_name(self) -> None:
        declared = ddl_type(ColumnInfo("c", "DECIMAL(38,10)", "decimal"), sa.Numeric())
        assert isinstance(declared, DeclaredType)
        assert declared.get_col_spec() == "DECIMAL(38,10)"

    def test_a_faithful_reflection_is_kept(self) -> None:
        numeric = sa.Numeric(20, 2)
        assert ddl_type(ColumnInfo("c", "NUMERIC(20, 2)", "decimal"), numeric) is numeric


class TestBindType:
    def test_decimals_bind_as_decimal_except_where_storage_is_float(self) -> None:
        info = ColumnInfo("c", "DECIMAL(38,10)", "decimal")
        assert bind_type(info, sa.Numeric(), DUCKDB).bind_processor(None) is None
        assert isinstance(bind_type(info, sa.Numeric(), SQLITE), sa.Numeric)


@pytest.fixture(scope="class")
def pg_conn():
    """One PostgreSQL connection for the class, with a temporary table per type."""
    from tests.helpers.postgres import base_url, require_postgres

    require_postgres()
    engine = sa.create_engine(base_url())
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE fit_oracle (numeric_20_2 numeric(20,2), "
                             "bigint bigint, integer integer, smallint smallint, "
                             "varchar_20 varchar(20))"))
        conn.commit()
        yield conn
    engine.dispose()


def _postgres_keeps(conn: sa.Connection, value: str, column: str) -> bool:
    """The oracle: PostgreSQL stores the value (an INSERT) and gives back the same value."""
    cast = "" if column == "varchar_20" else f"::{column.split('_')[0]}"
    try:
        with conn.begin():
            back = conn.execute(sa.text(f"INSERT INTO fit_oracle ({column}) "
                                        f"VALUES (CAST(:v AS text){cast}) "
                                        f"RETURNING {column}::text"), {"v": value}).scalar()
            conn.execute(sa.text("DELETE FROM fit_oracle"))
    except sa.exc.DBAPIError:
        return False
    if column == "varchar_20":
        return back == value
    return Decimal(back) == Decimal(value)


class TestAgainstPostgres:
    """column_fit agrees with PostgreSQL on every value hypothesis tries at the type's edges."""

    @settings(max_examples=50, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.one_of(st.decimals(-10 ** 19, 10 ** 19, places=2, allow_nan=False),
                     st.decimals(-10 ** 19, 10 ** 19, places=3, allow_nan=False),
                     st.sampled_from([Decimal("999999999999999999.99"),
                                      Decimal("1000000000000000000.00"), Decimal("-0.005")])))
    def test_numeric_20_2(self, pg_conn, value) -> None:
        fit = _fit("NUMERIC(20, 2)", "decimal", sa.Numeric(20, 2))
        assert (fit.problem(value) is None) == _postgres_keeps(pg_conn, str(value),
                                                               "numeric_20_2")

    @settings(max_examples=50, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(["bigint", "integer", "smallint"]),
           st.integers(-2 ** 64, 2 ** 64) | st.sampled_from(
               [s * 2 ** b + d for s in (1, -1) for b in (15, 31, 63) for d in (-1, 0, 1)]))
    def test_integers(self, pg_conn, name, value) -> None:
        fit = _fit(name.upper(), "integer", sa.BigInteger())
        assert (fit.problem(value) is None) == _postgres_keeps(pg_conn, str(value), name)

    @settings(max_examples=50, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=24))
    def test_varchar_20(self, pg_conn, value) -> None:
        fit = _fit("VARCHAR(20)", "string", sa.String(20))
        assert (fit.problem(value) is None) == _postgres_keeps(pg_conn, value, "varchar_20")
