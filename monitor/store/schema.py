"""Tables of the metric history store (documented in docs/store.md).

Times are naive UTC in every table. Feature modules (validation results,
detections, incidents, ...) define their own tables on the same ``metadata``
in their own store modules; ``monitor.store`` imports them all so that
``create_all`` sees every table.
"""

from __future__ import annotations

import sqlalchemy as sa

#: Bump when an existing table changes; add the step to ``MIGRATIONS``.
SCHEMA_VERSION = 1

metadata = sa.MetaData()

meta = sa.Table(
    "dq_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)

runs = sa.Table(
    "dq_runs",
    metadata,
    # table@as_of (or table@scheduled time): running the same key again replaces the run.
    sa.Column("run_id", sa.String(400), primary_key=True),
    sa.Column("table_name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),  # profile | backfill | validate | gate ...
    sa.Column("as_of", sa.DateTime(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running|success|failed|interrupted|lost
    sa.Column("started_at", sa.DateTime(), nullable=False),
    sa.Column("finished_at", sa.DateTime()),
    sa.Column("duration_seconds", sa.Float()),
    sa.Column("row_count", sa.BigInteger()),
    sa.Column("error", sa.Text()),
    sa.Column("error_kind", sa.String(64)),
    sa.Column("retries", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("trigger", sa.String(32), nullable=False, server_default="cli"),
    sa.Column("scheduled_at", sa.DateTime()),
    sa.Column("host", sa.String(200)),
    sa.Index("ix_dq_runs_table_started", "table_name", "started_at"),
    sa.Index("ix_dq_runs_status", "status"),
)

metrics = sa.Table(
    "dq_metrics",
    metadata,
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("granularity", sa.String(16), primary_key=True),  # snapshot | hour | day
    sa.Column("ts", sa.DateTime(), primary_key=True),  # as-of time, or bucket start
    sa.Column("column_name", sa.String(300), primary_key=True),  # '' for table metrics
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float()),
    sa.Column("value_text", sa.String(100)),  # ISO text of time values
    sa.Column("run_id", sa.String(400), nullable=False),
    sa.Column("recorded_at", sa.DateTime(), nullable=False),
    sa.Index("ix_dq_metrics_series", "table_name", "metric", "column_name", "granularity", "ts"),
)

schemas = sa.Table(
    "dq_schemas",
    metadata,
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("ts", sa.DateTime(), primary_key=True),
    sa.Column("column_name", sa.String(300), primary_key=True),
    sa.Column("data_type", sa.String(200), nullable=False),
    sa.Column("ordinal", sa.Integer(), nullable=False),
    sa.Column("run_id", sa.String(400), nullable=False),
)

#: version -> statements that upgrade a store from version-1 to version.
MIGRATIONS: dict[int, list[str]] = {}
