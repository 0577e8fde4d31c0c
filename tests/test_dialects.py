"""Dialect capabilities compile to the right SQL for each engine."""

from __future__ import annotations

import ast
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from monitor.dialects import (
    Capabilities,
    capabilities_for,
    capabilities_for_url,
    capabilities_of,
    file_url_prefixes,
    for_server,
    session_statement_for_server,
)
from monitor.warehouse import create_engine
from tests.helpers import mariadb
from tests.helpers.postgres import base_url, require_postgres
from tests.helpers.warehouses import KINDS

TABLE = sa.table("t", sa.column("ts"), sa.column("x"))


def render(expr: sa.ColumnElement, dialect: sa.Dialect) -> str:
    return str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


class TestCapabilitiesFor:
    def test_known_dialects(self) -> None:
        sqlite_caps, duck, pg = (capabilities_for(n) for n in ("sqlite", "duckdb", "postgresql"))

        assert (sqlite_caps.approx_distinct, duck.approx_distinct, pg.approx_distinct) == (
            "none", "native", "planner_statistics")
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

    @pytest.mark.parametrize(("granularity", "fmt"), [("hour", "%Y-%m-%d %H:00:00"),
                                                      ("day", "%Y-%m-%d 00:00:00")])
    def test_mariadb_buckets_format_the_start_and_read_it_back(self, granularity: str,
                                                                fmt: str) -> None:
        caps = capabilities_for("mariadb")

        sql = render(caps.bucket(TABLE.c.ts, granularity), mysql.dialect())  # type: ignore[arg-type]

        # PyMySQL's paramstyle doubles every % of the SQL text.
        assert sql == f"CAST(date_format(t.ts, '{fmt.replace('%', '%%')}') AS DATETIME)"

    def test_mariadb_buckets_on_the_server(self) -> None:
        import datetime as dt

        mariadb.require_mariadb()
        caps = capabilities_for("mariadb")
        engine = create_engine(mariadb.base_url())
        stamp = sa.literal(dt.datetime(2026, 3, 1, 13, 45, 7, 250000), sa.DateTime)
        try:
            with engine.connect() as conn:
                hour, day = conn.execute(sa.select(caps.bucket(stamp, "hour"),
                                                   caps.bucket(stamp, "day"))).one()
        finally:
            engine.dispose()

        assert (hour, day) == (dt.datetime(2026, 3, 1, 13), dt.datetime(2026, 3, 1))

    @pytest.mark.parametrize("kind", KINDS)
    def test_regexes_match_case_sensitively_on_every_engine(self, kind: str,
                                                            tmp_path: Path) -> None:
        # MariaDB's REGEXP follows the column's collation (utf8mb4_general_ci folds case).
        table = sa.Table(f"dq_rx_{uuid.uuid4().hex[:8]}", sa.MetaData(),
                         sa.Column("s", sa.String(10)))
        with _engine(kind, tmp_path) as (engine, caps):
            try:
                with engine.begin() as conn:
                    table.create(conn)
                    conn.execute(table.insert(), [{"s": v} for v in ("ABC", "abc", "ÄBC")])
                    matched = conn.execute(sa.select(table.c.s).where(
                        caps.regex_match(table.c.s, "^.BC$"))).scalars().all()
                    exact = conn.execute(sa.select(table.c.s).where(
                        caps.regex_match(table.c.s, "^abc$"))).scalars().all()
                    shown = (sorted(matched), list(exact))
            finally:
                with engine.begin() as conn:
                    table.drop(conn, checkfirst=True)

        assert shown == (["ABC", "ÄBC"], ["abc"])

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


class TestCapabilitiesExpressions:
    """The SQL each engine gets for finiteness, NaN and character length."""

    @pytest.mark.parametrize(("name", "dialect", "finite", "nan", "length"), [
        ("sqlite", sqlite.dialect(), "t.x > -inf AND t.x < inf", None, "length(t.x)"),
        ("postgresql", postgresql.dialect(), "t.x > -inf AND t.x < inf", "t.x = nan",
         "char_length(t.x)"),
        ("duckdb", postgresql.dialect(), "isfinite(t.x)", "isnan(t.x)", "length(t.x)"),
        ("mssql", sqlite.dialect(), "t.x > -inf AND t.x < inf", None, "length(t.x)"),
        ("mariadb", mysql.dialect(), "t.x IS NOT NULL", None, "char_length(t.x)"),
        ("trino", postgresql.dialect(), "is_finite(t.x)", "is_nan(t.x)", "length(t.x)"),
    ])
    def test_each_engine_gets_its_own_functions(self, name: str, dialect: sa.Dialect,
                                                finite: str, nan: str | None,
                                                length: str) -> None:
        caps = capabilities_for(name)
        is_nan = caps.is_nan(TABLE.c.x)

        shown = (render(caps.finite(TABLE.c.x), dialect),
                 None if is_nan is None else render(is_nan, dialect),
                 render(caps.length(TABLE.c.x), dialect))

        assert shown == (finite, nan, length)

    @pytest.mark.parametrize("kind", KINDS)
    def test_on_the_engine_nan_and_infinity_are_not_finite(self, kind: str,
                                                           tmp_path: Path) -> None:
        with _engine(kind, tmp_path) as (engine, caps):
            x = sa.literal_column("x")
            values = ([1.5]
                      + ([float("inf"), float("-inf")] if caps.floats_hold_infinity else [])
                      + ([float("nan")] if caps.floats_hold_nan else []))
            rows = sa.union_all(*(sa.select(sa.literal(v, sa.Double).label("x"))
                                  for v in values)).subquery()
            query = sa.select(sa.func.count()).select_from(rows).where(
                caps.finite(rows.c.x))
            length = sa.select(caps.length(sa.literal("héllo", sa.String)))
            with engine.connect() as conn:
                finite = conn.execute(query).scalar()
                chars = conn.execute(length).scalar()
                nan = caps.is_nan(x)

        assert (finite, chars) == (1, 5)
        assert (nan is None) == (kind in ("sqlite", "mariadb"))


@contextlib.contextmanager
def _engine(kind: str, tmp_path: Path) -> Iterator[tuple[sa.Engine, Capabilities]]:
    if kind == "postgresql":
        require_postgres()
        url = base_url()
    elif kind == "mariadb":
        mariadb.require_mariadb()
        url = mariadb.base_url()
    else:
        url = f"{kind}:///{tmp_path / ('e.' + kind)}"
    engine = create_engine(url)
    try:
        yield engine, capabilities_of(engine)
    finally:
        engine.dispose()


class TestSessionConnectArgs:
    def test_mysql_sets_its_session_once_it_knows_the_server(self) -> None:
        caps = capabilities_for("mysql")

        assert caps.session_connect_args is not None
        assert caps.session_connect_args(2.5, True) == {"charset": "utf8mb4"}
        assert caps.session_statement is session_statement_for_server


class TestSessionStatementForServer:
    def test_mysql_limits_selects_in_milliseconds(self) -> None:
        # Arrange / Act
        command = session_statement_for_server("8.0.36", 2.5, True)

        # Assert
        assert command == (
            "SET SESSION max_execution_time=2500, time_zone='+00:00', transaction_read_only=1")

    def test_mariadb_behind_a_mysql_url_gets_its_own_variables(self) -> None:
        # Arrange / Act
        command = session_statement_for_server("10.11.19-MariaDB-0+deb12u1", 2.5, True)

        # Assert: the same text as a mariadb:// URL's init_command.
        mariadb = capabilities_for("mariadb").session_connect_args
        assert mariadb is not None
        assert command == mariadb(2.5, True)["init_command"] == (
            "SET SESSION max_statement_time=2.5, time_zone='+00:00', tx_read_only=1")


class TestForServer:
    def test_a_mysql_dialect_on_mariadb_is_mariadb(self) -> None:
        # Arrange: SQLAlchemy sets is_mariadb when it reads the server's version.
        on_mariadb, on_mysql = mysql.dialect(), mysql.dialect()
        on_mariadb.is_mariadb = True

        # Act
        names = [for_server(capabilities_for("mysql"), d).name for d in (on_mariadb, on_mysql)]

        # Assert
        assert names == ["mariadb", "mysql"]

    def test_other_dialects_keep_their_capabilities(self) -> None:
        caps = capabilities_for("postgresql")

        assert for_server(caps, postgresql.dialect()) is caps

    def test_mariadb_limits_every_statement_in_seconds(self) -> None:
        args = capabilities_for("mariadb").session_connect_args

        assert args is not None
        assert args(2.5, False) == {
            "init_command": "SET SESSION max_statement_time=2.5, time_zone='+00:00'",
            "charset": "utf8mb4"}

    def test_postgresql_sets_options(self) -> None:
        args = capabilities_for("postgresql").session_connect_args

        assert args is not None
        assert args(1, True) == {"options": "-c statement_timeout=1000 -c timezone=UTC "
                                            "-c default_transaction_read_only=on"}


class TestCloudCapabilities:
    CLOUD = ("snowflake", "bigquery", "trino", "databricks", "redshift")

    @pytest.mark.parametrize("name", CLOUD)
    def test_each_is_compiled_only_with_native_approximate_distinct(self, name: str) -> None:
        caps = capabilities_for(name)

        assert (caps.name, caps.compiled_only, caps.approx_distinct) == (name, True, "native")
        assert caps.approx_count_distinct(TABLE.c.x) is not None
        assert (bool(caps.quantile_function), bool(caps.timeout_setting)) == (True, True)

    def test_redshift_counts_approximately_in_its_own_syntax(self) -> None:
        expr = capabilities_for("redshift").approx_count_distinct(TABLE.c.x)

        assert render(expr, postgresql.dialect()) == "APPROXIMATE COUNT(DISTINCT t.x)"  # type: ignore[arg-type]

    def test_bigquery_truncates_with_a_date_part_keyword(self) -> None:
        expr = capabilities_for("bigquery").bucket(TABLE.c.ts, "day")

        assert render(expr, postgresql.dialect()) == "timestamp_trunc(t.ts, DAY)"  # type: ignore[arg-type]

    def test_the_engines_that_run_are_not_compiled_only(self) -> None:
        assert not any(capabilities_for(kind).compiled_only for kind in KINDS)


class TestCapabilitiesForUrl:
    @pytest.mark.parametrize(("url", "name"), [
        ("sqlite:///w.db", "sqlite"), ("sqlite+pysqlite:///:memory:", "sqlite"),
        ("duckdb:///w.duckdb", "duckdb"), ("postgresql+psycopg://u@h/db", "postgresql"),
        ("mssql+pyodbc://h/db", "mssql"), ("mariadb+pymysql://u@h/db", "mariadb"),
        ("mysql+pymysql://u@h/db", "mysql"), ("trino://u@h/c", "trino"),
    ])
    def test_the_dialect_the_url_names(self, url: str, name: str) -> None:
        assert capabilities_for_url(url).name == name

    def test_not_a_url_is_an_argument_error(self) -> None:
        with pytest.raises(sa.exc.ArgumentError):
            capabilities_for_url("not a url")


class TestCapabilitiesOf:
    def test_a_connection_and_its_engine_give_the_same_capabilities(self) -> None:
        engine = sa.create_engine("sqlite://")
        with engine.connect() as conn:
            assert capabilities_of(conn) is capabilities_of(engine) is capabilities_for("sqlite")


class TestDatabaseFile:
    @pytest.mark.parametrize(("url", "expected"), [
        ("sqlite:///a/w.db", Path("a/w.db")),
        ("sqlite:////abs/w.db", Path("/abs/w.db")),
        ("duckdb:///w.duckdb?access_mode=read_only", Path("w.duckdb")),
        ("sqlite:///:memory:", None),
        ("sqlite://", None),
        ("sqlite:///file:w.db?mode=ro&uri=true", None),
        ("duckdb:///:memory:", None),
        ("postgresql://u@h/w.db", None),
    ])
    def test_only_local_files_have_a_path(self, url: str, expected: Path | None) -> None:
        assert capabilities_for_url(url).database_file(url) == expected


class TestFileUrlPrefixes:
    def test_the_file_databases(self) -> None:
        assert sorted(file_url_prefixes()) == ["duckdb:///", "sqlite:///"]


# -- dialect differences live in monitor/dialects.py only ----------------------

MONITOR = Path(__file__).parents[1] / "monitor"
# SQLAlchemy backend names (``URL.get_backend_name()``, ``dialect.name``).
DIALECT_NAMES = frozenset({"sqlite", "postgresql", "postgres", "duckdb", "mysql", "mariadb",
                           "mssql", "oracle", "snowflake", "bigquery", "redshift", "trino",
                           "databricks", "clickhouse"})


def _names_a_dialect(node: ast.AST) -> bool:
    """A dialect name as a string, or a URL prefix of one (``"sqlite:///"``, ``"duckdb+"``)."""
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    head = node.value.split(":", 1)[0].split("+", 1)[0] if node.value else ""
    return node.value in DIALECT_NAMES or (head in DIALECT_NAMES and head != node.value)


def _holds_a_dialect_name(node: ast.AST) -> bool:
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_names_a_dialect(e) for e in node.elts)
    return _names_a_dialect(node)


def _is_dialect_name(node: ast.AST, owners: frozenset[str]) -> bool:
    """``x.dialect.name``, ``caps.name``/``x.capabilities.name``, ``url.get_backend_name()``."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Attribute) and node.func.attr == "get_backend_name"
    if not (isinstance(node, ast.Attribute) and node.attr == "name"):
        return False
    owner = node.value
    return ((isinstance(owner, ast.Attribute) and owner.attr in owners | {"dialect"})
            or (isinstance(owner, ast.Name) and owner.id in owners | {"dialect"}))


def dialect_checks(tree: ast.AST, owners: frozenset[str] = frozenset({"caps", "capabilities"})
                   ) -> list[tuple[int, str]]:
    """Lines that decide by a dialect's name: comparisons, ``match`` cases, prefix tests,
    collections of dialect names, and tables keyed by them."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(_holds_a_dialect_name(o) or _is_dialect_name(o, owners) for o in operands):
                found.append((node.lineno, "compares a dialect name"))
        elif isinstance(node, ast.MatchValue) and _names_a_dialect(node.value):
            found.append((node.lineno, "matches a dialect name"))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith")
              and any(_holds_a_dialect_name(a) for a in node.args)):
            found.append((node.lineno, "tests a URL for a dialect prefix"))
        elif isinstance(node, ast.Tuple | ast.List | ast.Set) and _holds_a_dialect_name(node):
            found.append((node.lineno, "lists dialect names"))
        elif isinstance(node, ast.Dict) and any(k is not None and _names_a_dialect(k)
                                                for k in node.keys):
            found.append((node.lineno, "a table keyed by dialect name"))
    return sorted(set(found))


def _checks_in(source: str) -> list[str]:
    return [why for _, why in dialect_checks(ast.parse(source))]


class TestNoDialectNamesOutsideDialects:
    def test_no_module_decides_by_a_dialect_name(self) -> None:
        found = [f"{path.relative_to(MONITOR.parent)}:{line}: {why}"
                 for path in sorted(MONITOR.rglob("*.py")) if path.name != "dialects.py"
                 or path.parent != MONITOR
                 for line, why in dialect_checks(ast.parse(path.read_text(), str(path)))]
        # optional.py's EXTRAS is keyed by Python module names; "duckdb" there is the
        # duckdb package, not a dialect decision.
        extras = next(n for n in ast.parse((MONITOR / "optional.py").read_text()).body
                      if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "EXTRAS")
        allowed = {f"monitor/optional.py:{line}" for line in
                   range(extras.lineno, (extras.end_lineno or extras.lineno) + 1)}
        found = [f for f in found if f.rsplit(":", 1)[0] not in allowed]

        assert found == []

    def test_capabilities_do_not_branch_on_their_own_name(self) -> None:
        tree = ast.parse((MONITOR / "dialects.py").read_text())
        cls = next(n for n in tree.body if isinstance(n, ast.ClassDef)
                   and n.name == "Capabilities")

        assert dialect_checks(cls, frozenset({"self"})) == []

    @pytest.mark.parametrize("source", [
        'if conn.dialect.name == "postgresql": pass',
        'x = backend != "sqlite"',
        'ok = url.get_backend_name() not in ("sqlite", "duckdb")',
        'ok = "duckdb" == name',
        'ok = dialect in {"sqlite", "postgresql"}',
        'ok = warehouse.capabilities.name == other',
        'ok = caps.name != engine_kind',
        'ok = url.startswith(("sqlite:///", "duckdb:///"))',
        'ok = url.startswith("postgresql+psycopg://")',
        'GX = frozenset({"sqlite", "postgresql"})',
        'OPTIONS = {"duckdb": 1}',
        'match backend:\n    case "sqlite":\n        pass',
    ])
    def test_each_way_of_deciding_by_name_is_found(self, source: str) -> None:
        assert _checks_in(source) != []

    @pytest.mark.parametrize("source", [
        '"""Works on sqlite and duckdb: sqlite:///x.db"""',
        'ok = table.name == "sqlite_master"',
        'ok = kind == "planner_statistics"',
        'caps = capabilities_for("duckdb")',
        'url = f"sqlite:///{path}"',
        'STORE = "sqlite:///.dq-monitor/metrics.db"',
        '@compiles(day_of, "sqlite")\ndef f(): pass',
        'ok = column.name == "id"',
        'ok = self.name == "duckdb_keywords"',
        'ok = caps.server and caps.read_only == "session"',
    ])
    def test_unrelated_strings_and_names_are_not_flagged(self, source: str) -> None:
        assert _checks_in(source) == []


class TestQuantiles:
    def test_one_array_aggregate_on_postgresql_and_duckdb(self) -> None:
        pg = capabilities_for("postgresql").quantiles(TABLE.c.x, (0.25, 0.5))
        duck = capabilities_for("duckdb").quantiles(TABLE.c.x, (0.25, 0.5))

        assert pg is not None
        assert duck is not None
        assert render(pg, postgresql.dialect()).startswith(  # type: ignore[arg-type]
            "percentile_cont(")
        assert "WITHIN GROUP (ORDER BY t.x)" in render(pg, postgresql.dialect())  # type: ignore[arg-type]
        assert render(duck, postgresql.dialect()) == "quantile_cont(t.x, [0.25, 0.5])"  # type: ignore[arg-type]

    @pytest.mark.parametrize("name", ["sqlite", "mariadb", "mysql"])
    def test_none_where_quantiles_are_a_ranked_read(self, name: str) -> None:
        caps = capabilities_for(name)

        assert caps.quantiles(TABLE.c.x, (0.5,)) is None
        assert caps.quantiles_in_plan is False
        assert caps.quantile_function is not None
