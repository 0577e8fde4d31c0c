"""Files as tables on Spark: ``table: {path: ..., format: ...}`` as a temporary view.

The view is registered again before each reflection, so files added since the
last run are read; Spark discovers ``key=value`` partition folders itself (and
prunes them for a filter on a partition column). CSV files are read with a
header row and inferred column types unless ``options`` say otherwise. Delta
needs the Delta Lake jars on the session's classpath (``spark.jars.packages``).

>>> from monitor.config.sources import TableSource
>>> view_name(TableSource(path="data/orders/"))
'dq_src_0b013f4d5874c71d'
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

#: Reader options Spark is given for a format unless the source's ``options`` set them.
DEFAULT_OPTIONS: dict[str, dict[str, str]] = {
    "csv": {"header": "true", "inferSchema": "true"},
}


def view_name(source: Any) -> str:
    """A temporary view's name for a source: the same files give the same name."""
    key = json.dumps([source.path, source.format, sorted(source.options.items())])
    return "dq_src_" + hashlib.sha256(key.encode()).hexdigest()[:16]


def register_source(connection: Any, source: Any) -> str:
    """Register ``source`` as a temporary view on the connection's session; its name.

    Errors are the driver's (``monitor.spark.dbapi``) wrapped by SQLAlchemy, as for
    a statement: a missing path is a ``ProgrammingError`` with SQLSTATE 42K03.
    """
    import sqlalchemy as sa

    from monitor.spark import dbapi

    spark = connection.connection.dbapi_connection.spark
    name = view_name(source)
    options = {**DEFAULT_OPTIONS.get(source.format, {}), **source.options}
    try:
        spark.read.format(source.format).options(**options).load(source.path) \
            .createOrReplaceTempView(name)
    except Exception as error:  # noqa: BLE001 - Spark's errors, as the driver's
        raise sa.exc.DBAPIError.instance(f"read {source}", None, dbapi.translate(error),
                                         dbapi.Error) from None
    return name
