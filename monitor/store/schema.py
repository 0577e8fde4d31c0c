"""Tables of the metric history store (documented in docs/store.md).

Times are naive UTC in every table. Feature modules (validation results,
detections, incidents, ...) define their own tables on the same ``metadata``
in their own store modules; ``monitor.store`` imports them all so that
``create_all`` sees every table.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from monitor.dialects import BINARY_TEXT_TABLE_OPTIONS, long_text, precise_time

#: Bump when an existing table changes; add the step to ``MIGRATIONS``.
SCHEMA_VERSION = 3

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
    sa.Column("as_of", precise_time(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running|success|failed|interrupted|lost
    sa.Column("started_at", precise_time(), nullable=False),
    sa.Column("finished_at", precise_time()),
    sa.Column("duration_seconds", sa.Double()),
    sa.Column("row_count", sa.BigInteger()),
    sa.Column("error", long_text()),
    sa.Column("error_kind", sa.String(64)),
    sa.Column("retries", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("trigger", sa.String(32), nullable=False, server_default="cli"),
    sa.Column("scheduled_at", precise_time()),
    sa.Column("host", sa.String(200)),  # host:pid of the process running it
    sa.Column("heartbeat_at", precise_time()),  # refreshed while it runs (monitor.store.liveness)
    sa.Index("ix_dq_runs_table_started", "table_name", "started_at"),
    sa.Index("ix_dq_runs_status", "status"),
)

metrics = sa.Table(
    "dq_metrics",
    metadata,
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("granularity", sa.String(16), primary_key=True),  # snapshot | hour | day
    sa.Column("ts", precise_time(), primary_key=True),  # as-of time, or bucket start
    sa.Column("column_name", sa.String(300), primary_key=True),  # '' for table metrics
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("value", sa.Double()),
    sa.Column("value_text", sa.String(100)),  # ISO text of time values
    sa.Column("run_id", sa.String(400), nullable=False),
    sa.Column("recorded_at", precise_time(), nullable=False),
    sa.Index("ix_dq_metrics_series", "table_name", "metric", "column_name", "granularity", "ts"),
)

schemas = sa.Table(
    "dq_schemas",
    metadata,
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("ts", precise_time(), primary_key=True),
    sa.Column("column_name", sa.String(300), primary_key=True),
    sa.Column("data_type", sa.String(200), nullable=False),
    sa.Column("ordinal", sa.Integer(), nullable=False),
    sa.Column("run_id", sa.String(400), nullable=False),
)

Migration = Callable[[Connection], None]


def add_column(table: sa.Table, name: str) -> Migration:
    """A step that adds ``table.c[name]`` to a store that lacks it (safe to repeat)."""
    def step(conn: Connection) -> None:
        if name in {c["name"] for c in sa.inspect(conn).get_columns(table.name)}:
            return
        column = table.c[name]
        preparer = conn.dialect.identifier_preparer
        kind = column.type.compile(dialect=conn.dialect)
        conn.execute(sa.text(f"ALTER TABLE {preparer.format_table(table)} "
                             f"ADD COLUMN {preparer.format_column(column)} {kind}"))
    return step


#: version -> steps that upgrade a store from version-1 to version.
MIGRATIONS: dict[int, list[Migration]] = {
    2: [add_column(runs, "heartbeat_at")],
}

# -- expectation suites (validation) ---------------------------------------------
expectation_results = sa.Table(
    "dq_expectation_results",
    metadata,
    sa.Column("run_id", sa.String(400), primary_key=True),
    sa.Column("suite", sa.String(200), primary_key=True),
    # Stable key of one expectation: its type and arguments, hashed.
    sa.Column("expectation_key", sa.String(64), primary_key=True),
    sa.Column("table_name", sa.String(200), nullable=False),
    sa.Column("ts", precise_time(), nullable=False),  # the run's as-of time
    sa.Column("expectation_type", sa.String(200), nullable=False),
    sa.Column("column_name", sa.String(300), nullable=False, server_default=""),
    sa.Column("kwargs_json", long_text(), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),  # critical | warning | info
    sa.Column("success", sa.Boolean(), nullable=False),
    sa.Column("observed_value", long_text()),  # JSON
    sa.Column("unexpected_count", sa.BigInteger()),
    sa.Column("unexpected_percent", sa.Double()),
    sa.Column("unexpected_values", long_text()),  # JSON list, never for pii columns
    sa.Column("error", long_text()),  # why it could not be evaluated
    sa.Column("recorded_at", precise_time(), nullable=False),
    sa.Index("ix_dq_expectation_results_series", "table_name", "suite", "expectation_key", "ts"),
)

# -- gate verdicts and ingestion batches -------------------------------------------
gate_verdicts = sa.Table(
    "dq_gate_verdicts",
    metadata,
    sa.Column("verdict_id", sa.String(64), primary_key=True),
    sa.Column("table_name", sa.String(200), nullable=False),
    sa.Column("batch_id", sa.String(64)),
    sa.Column("ts", precise_time(), nullable=False),
    sa.Column("verdict", sa.String(16), nullable=False),  # pass | blocked | error
    sa.Column("passed", sa.Boolean(), nullable=False),
    sa.Column("reason", long_text()),
    sa.Column("checks_json", long_text(), nullable=False),  # [{check, passed, severity, reason}]
    sa.Column("recorded_at", precise_time(), nullable=False),
    sa.Index("ix_dq_gate_verdicts_table_ts", "table_name", "ts"),
)

batches = sa.Table(
    "dq_batches",
    metadata,
    sa.Column("batch_id", sa.String(64), primary_key=True),
    sa.Column("table_name", sa.String(200), nullable=False),
    sa.Column("source_file", long_text(), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("mode", sa.String(32), nullable=False),  # all_or_nothing | publish_good
    # published | blocked | partially_published | failed | duplicate
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("rows_in", sa.BigInteger()),
    sa.Column("rows_published", sa.BigInteger()),
    sa.Column("rows_quarantined", sa.BigInteger()),
    sa.Column("verdict_id", sa.String(64)),
    sa.Column("error", long_text()),
    sa.Column("started_at", precise_time(), nullable=False),
    sa.Column("finished_at", precise_time()),
    sa.UniqueConstraint("table_name", "content_hash", name="uq_dq_batches_content"),
)

# -- anomaly detection -------------------------------------------------------------
detections = sa.Table(
    "dq_detections",
    metadata,
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("column_name", sa.String(300), primary_key=True),  # '' for table metrics
    sa.Column("granularity", sa.String(16), primary_key=True),
    sa.Column("ts", precise_time(), primary_key=True),
    sa.Column("run_id", sa.String(400), nullable=False),
    sa.Column("value", sa.Double()),
    sa.Column("expected", sa.Double()),
    sa.Column("lower", sa.Double()),
    sa.Column("upper", sa.Double()),
    sa.Column("score", sa.Double()),
    sa.Column("is_anomaly", sa.Boolean(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # ok|anomaly|learning|expected|missing
    sa.Column("direction", sa.String(8)),
    sa.Column("detector", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False, server_default="warning"),
    sa.Column("reason", long_text()),
    sa.Column("recorded_at", precise_time(), nullable=False),
    sa.Index("ix_dq_detections_anomalies", "table_name", "is_anomaly", "ts"),
)

feedback = sa.Table(
    "dq_feedback",
    metadata,
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("column_name", sa.String(300), primary_key=True),
    sa.Column("granularity", sa.String(16), primary_key=True),
    sa.Column("ts", precise_time(), primary_key=True),
    sa.Column("label", sa.String(16), nullable=False),  # expected | incident
    sa.Column("note", long_text()),
    sa.Column("author", sa.String(200)),
    sa.Column("created_at", precise_time(), nullable=False),
)

# -- incidents and alert delivery ----------------------------------------------------
incidents = sa.Table(
    "dq_incidents",
    metadata,
    sa.Column("incident_id", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column("table_name", sa.String(200), nullable=False),
    sa.Column("check_key", sa.String(400), nullable=False),  # e.g. volume:row_count
    sa.Column("status", sa.String(16), nullable=False),  # open | acknowledged | resolved
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("title", long_text(), nullable=False),
    sa.Column("details_json", long_text()),
    sa.Column("opened_at", precise_time(), nullable=False),
    sa.Column("updated_at", precise_time(), nullable=False),
    sa.Column("last_seen_at", precise_time(), nullable=False),
    sa.Column("resolved_at", precise_time()),
    sa.Column("occurrences", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("ok_streak", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("acknowledged_by", sa.String(200)),
    sa.Column("muted_until", precise_time()),
    sa.Column("channel", sa.String(200)),
    sa.Column("thread_ts", sa.String(64)),  # Slack thread of the first message
    sa.Column("last_notified_at", precise_time()),
    sa.Column("acknowledged_at", precise_time()),
    sa.Column("resolved_by", sa.String(200)),  # who, or "dq-monitor" when the check recovered
    # fixed | expected | false-positive | no-action-needed | recovered
    sa.Column("resolution", sa.String(32)),
    sa.Column("resolution_note", long_text()),
    sa.Index("ix_dq_incidents_open", "table_name", "check_key", "status"),
)

#: Version 3: the incident lifecycle (who acknowledged when, who resolved it and why).
MIGRATIONS[3] = [add_column(incidents, name) for name in (
    "acknowledged_at", "resolved_by", "resolution", "resolution_note")]

outbox = sa.Table(
    "dq_outbox",
    metadata,
    # Deterministic id (incident, event, sequence): a replayed write cannot duplicate.
    sa.Column("message_id", sa.String(64), primary_key=True),
    sa.Column("incident_id", sa.Integer()),
    sa.Column("table_name", sa.String(200), nullable=False),
    sa.Column("event", sa.String(16), nullable=False),  # opened | update | reminder | resolved
    sa.Column("channel", sa.String(200)),
    sa.Column("payload_json", long_text(), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | delivered | dead
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", precise_time(), nullable=False),
    sa.Column("last_error", long_text()),
    sa.Column("created_at", precise_time(), nullable=False),
    sa.Column("delivered_at", precise_time()),
    sa.Column("response_ts", sa.String(64)),
    sa.Index("ix_dq_outbox_pending", "status", "next_attempt_at"),
)

mutes = sa.Table(
    "dq_mutes",
    metadata,
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("muted_until", precise_time(), nullable=False),
    sa.Column("reason", long_text()),
    sa.Column("created_by", sa.String(200)),
    sa.Column("created_at", precise_time(), nullable=False),
)

# -- findings kept while the store was down ----------------------------------------
pending_findings = sa.Table(
    "dq_pending_findings",
    metadata,
    # Written only into a run's spool file: incidents are numbered by the store, so the
    # alerting decision is replayed from these findings when the store is back.
    sa.Column("run_id", sa.String(400), primary_key=True),
    sa.Column("table_name", sa.String(200), primary_key=True),
    sa.Column("payload_json", long_text(), nullable=False),
    sa.Column("recorded_at", precise_time(), nullable=False),
)


# Text keys compare as bytes on every dialect (MariaDB's default collation folds case).
for _table in metadata.tables.values():
    _table.dialect_kwargs.update(BINARY_TEXT_TABLE_OPTIONS)
