"""The Spark SQL dialect: compiled text, and reflection on the real session's catalog."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from monitor.spark.dialect import SparkDialect, spark_type
from tests.helpers.spark import URL, temporary_schema


class TestSparkType:
    @pytest.mark.parametrize(("name", "expected"), [
        ("bigint", sa.BigInteger), ("int", sa.Integer), ("smallint", sa.SmallInteger),
        ("double", sa.Double), ("float", sa.Float), ("decimal(12,3)", sa.Numeric),
        ("string", sa.String), ("varchar(20)", sa.String), ("boolean", sa.Boolean),
        ("timestamp", sa.DateTime), ("timestamp_ntz", sa.DateTime), ("date", sa.Date),
        ("array<int>", sa.types.NullType), ("struct<a:int>", sa.types.NullType),
    ])
    def test_catalog_names(self, name: str, expected: type) -> None:
        assert isinstance(spark_type(name), expected)


class TestSparkDialect:
    def test_every_identifier_is_backquoted_and_backticks_doubled(self) -> None:
        table = sa.table("t`x", sa.column("select"), sa.column("MixedCase"), schema="s")

        sql = str(sa.select(table.c.select, table.c.MixedCase).compile(dialect=SparkDialect()))

        assert sql == "SELECT `s`.`t``x`.`select`, `s`.`t``x`.`MixedCase` \nFROM `s`.`t``x`"

    def test_ddl_uses_spark_types_and_no_keys(self) -> None:
        table = sa.Table("t", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("name", sa.String(20)), sa.Column("at", sa.DateTime))

        ddl = str(sa.schema.CreateTable(table).compile(dialect=SparkDialect()))

        assert "`id` INTEGER NOT NULL" in ddl
        assert "`name` STRING" in ddl
        assert "`at` TIMESTAMP" in ddl
        assert "PRIMARY KEY" not in ddl

    def test_reflection_reads_the_catalog(self, spark: Any) -> None:
        engine = sa.create_engine(URL)
        with temporary_schema() as schema:
            spark.sql(f"CREATE TABLE `{schema}`.`facts` (`Weird \"Col\" ñame` BIGINT, "
                      f"`at` TIMESTAMP, `amount` DECIMAL(10,2))")
            inspector = sa.inspect(engine)

            columns = inspector.get_columns("facts", schema=schema)

            assert [(c["name"], type(c["type"])) for c in columns] == [
                ('Weird "Col" ñame', sa.BigInteger), ("at", sa.DateTime),
                ("amount", sa.Numeric)]
            assert inspector.has_table("facts", schema=schema)
            assert not inspector.has_table("nope", schema=schema)
            assert inspector.get_table_names(schema=schema) == ["facts"]
            assert schema in inspector.get_schema_names()
        engine.dispose()

    def test_a_missing_table_is_no_such_table(self, spark: Any) -> None:
        engine = sa.create_engine(URL)

        with pytest.raises(sa.exc.NoSuchTableError):
            sa.inspect(engine).get_columns("nope_not_here")
        engine.dispose()

    def test_rows_are_inserted_in_one_statement_per_page(self, spark: Any) -> None:
        engine = sa.create_engine(URL)
        with temporary_schema() as schema:
            table = sa.Table("many", sa.MetaData(), sa.Column("n", sa.BigInteger),
                             sa.Column("s", sa.String), schema=schema)
            statements: list[str] = []
            sa.event.listen(engine, "before_cursor_execute",
                            lambda *args: statements.append(args[2]))
            with engine.begin() as conn:
                table.create(conn)
                conn.execute(table.insert(), [{"n": i, "s": f"r{i}"} for i in range(30)])
                count = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar()

            assert count == 30
            assert sum(s.startswith("INSERT") for s in statements) == 1
        engine.dispose()
