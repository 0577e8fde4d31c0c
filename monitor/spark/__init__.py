"""Apache Spark as a warehouse: a DB-API driver over a SparkSession, a SQLAlchemy
dialect for Spark SQL, and the session a ``spark`` warehouse runs on.

- ``dbapi``: PEP 249 over ``spark.sql(query, args=...)``; cancel by job group or tag.
- ``dialect``: Spark SQL for SQLAlchemy (backticks, Spark types, catalog reflection).
- ``session``: the ``spark:`` warehouse settings and the process's sessions.
- ``sources``: files (``table: {path: ..., format: ...}``) as temporary views.

Nothing here imports pyspark until a connection is opened.
"""

from __future__ import annotations

from sqlalchemy.dialects import registry


def register() -> None:
    """Make ``spark://`` URLs resolve to :class:`monitor.spark.dialect.SparkDialect`."""
    registry.register("spark", "monitor.spark.dialect", "SparkDialect")
    registry.register("spark.pyspark", "monitor.spark.dialect", "SparkDialect")


register()
