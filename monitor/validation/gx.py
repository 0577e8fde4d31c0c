"""The only Great Expectations adapter: run expectations through GX, map its results.

``import great_expectations`` costs about two seconds, so it happens inside
these functions, the first time GX is really needed (most suites never need
it: ``monitor.validation.pushdown`` evaluates the common types in SQL).

GX's SQL data sources validate SQLite and PostgreSQL tables. They cannot
validate DuckDB (every metric fails inside GX with an IndexError), so on
DuckDB the types that pushdown does not handle come back as failed
expectations saying so (see docs/suites.md).

>>> GxValidator.supports_dialect("duckdb")
False
"""

from __future__ import annotations

import getpass
import logging
import threading
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from pydantic.v1 import ValidationError

from monitor.config.secrets import redact
from monitor.dialects import capabilities_for
from monitor.errors import MonitorError, is_transient
from monitor.validation.arguments import pydantic_problems
from monitor.validation.outcomes import ExpectationOutcome
from monitor.validation.suites import ExpectationSpec
from monitor.warehouse import SqlWarehouse, TableShape, classify

log = logging.getLogger(__name__)

_NAMESPACE = uuid.UUID("6f1d4c52-8d0e-4f0a-9a4e-2b7c6c0d9e11")
_LOCK = threading.RLock()
_CONTEXT: Any = None
_SOURCES: dict[str, Any] = {}


def unsupported_dialect(dialect: str, what: str) -> str:
    """Why an expectation only GX evaluates cannot be evaluated on ``dialect``."""
    caps = capabilities_for(dialect)
    if caps.gx_unsupported:
        return (f"Great Expectations cannot validate {caps.title or dialect} tables "
                f"({caps.gx_unsupported}) and dq-monitor does not evaluate {what} itself; "
                f"see docs/suites.md")
    return f"Great Expectations cannot validate {dialect} tables here"


def gx_context() -> Any:
    """One ephemeral GX context per process, with its progress bars switched off."""
    global _CONTEXT
    with _LOCK:
        if _CONTEXT is None:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            # GX logs routine steps (a temporary docs folder, lossy Decimal conversions)
            # as INFO and WARNING, one module with its own level; what matters comes
            # back in each result instead.
            for name in ("great_expectations", "great_expectations.data_context.types.base"):
                logging.getLogger(name).setLevel(logging.ERROR)

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(
                globally=False, metric_calculations=False)
            _CONTEXT = context
        return _CONTEXT


def gx_url(warehouse: SqlWarehouse) -> str:
    """The warehouse URL as GX accepts it (PostgreSQL needs a user and a password in it).

    With trust or peer authentication the password is ignored, so a placeholder works.
    """
    url = sa.engine.make_url(warehouse.config.url)
    if warehouse.capabilities.server:
        url = url.set(username=url.username or getpass.getuser(),
                      password=url.password or "unused")
    return url.render_as_string(hide_password=False)


def _data_source(warehouse: SqlWarehouse) -> Any:
    name = f"dq_{warehouse.name}_{uuid.uuid5(_NAMESPACE, warehouse.config.url).hex[:8]}"
    source = _SOURCES.get(name)
    if source is None:
        sources = gx_context().data_sources
        url = gx_url(warehouse)
        caps = warehouse.capabilities
        extra: dict[str, Any] = {}
        if caps.server_statement_timeout:
            timeout_ms = int(warehouse.config.query_timeout * 1000)
            extra["kwargs"] = {"connect_args": {
                "options": f"-c statement_timeout={timeout_ms}",
                "connect_timeout": max(1, int(warehouse.config.connect_timeout))}}
        add = getattr(sources, caps.gx_data_source or "add_sqlite")
        source = add(name=name, connection_string=url, **extra)
        _SOURCES[name] = source
    return source


def _quoted(name: str) -> sa.sql.elements.quoted_name:
    """The name as one identifier, always quoted, exactly as the table spells it.

    GX strips every quote character off both ends of a name given as text (a
    quoted ``Weird "x"`` loses its closing inner quote) and lower-cases the
    schema; a ``quoted_name`` it keeps as it is.
    """
    return sa.sql.elements.quoted_name(name, quote=True)


def _exception(info: Any) -> str | None:
    """The first exception message in a result's ``exception_info`` (two shapes exist)."""
    if not isinstance(info, Mapping):
        return None
    if "raised_exception" in info:
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "GX raised an exception")
        return None
    for item in info.values():
        message = _exception(item)
        if message:
            return message
    return None


def gx_message(error: BaseException) -> str:
    """GX's whole message on one line: every pydantic error with its argument, not the
    first line (``1 validation error for ExpectXxx``) alone."""
    if isinstance(error, ValidationError):
        model = getattr(error.model, "__name__", "arguments")
        return redact(f"{model}: {'; '.join(pydantic_problems(error))}")
    text = " ".join(line.strip() for line in str(error).strip().splitlines() if line.strip())
    return redact(text or type(error).__name__)


def _gx_id(spec: ExpectationSpec) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{spec.suite}#{spec.index}#{spec.key}"))


def _outcome(spec: ExpectationSpec, result: Any, samples: int,
             no_samples: Collection[str]) -> ExpectationOutcome:
    details = dict(result.result or {})
    error = _exception(result.exception_info)
    if error:
        return ExpectationOutcome(spec, success=False, engine="gx",
                                  error=" ".join(redact(error).split()))
    values: tuple[Any, ...] = ()
    if (samples and not result.success and spec.column not in no_samples
            and spec.type != "expect_column_values_to_not_be_null"):
        values = tuple(details.get("partial_unexpected_list") or ())[:samples]
    count = details.get("unexpected_count")
    return ExpectationOutcome(
        spec, success=bool(result.success), observed_value=details.get("observed_value"),
        element_count=details.get("element_count"),
        unexpected_count=None if count is None else int(count),
        unexpected_percent=details.get("unexpected_percent"),
        unexpected_values=values, engine="gx")


def _failed(spec: ExpectationSpec, error: str) -> ExpectationOutcome:
    return ExpectationOutcome(spec, success=False, engine="gx", error=error)


def _batches(expectations: Sequence[tuple[int, ExpectationSpec]]
             ) -> list[list[tuple[int, ExpectationSpec]]]:
    """Suites to send: at most one expectation of a type per column in each (two
    quantile expectations on one column in one suite fail inside GX; two equal
    expectations would share one GX id)."""
    batches: list[list[tuple[int, ExpectationSpec]]] = []
    taken: list[set[tuple[str, tuple[str, ...]]]] = []
    for item in expectations:
        spec = item[1]
        domain = (spec.type, spec.columns())
        for batch, seen in zip(batches, taken, strict=True):
            if domain not in seen:
                batch.append(item)
                seen.add(domain)
                break
        else:
            batches.append([item])
            taken.append({domain})
    return batches


class GxValidator:
    """Runs expectations through Great Expectations on a SQLite or PostgreSQL table.

    Each expectation's result is its own: one GX rejects is a failed outcome
    with GX's whole message and the rest still run; a batch that fails as a
    whole is tried again one expectation at a time. Only a transient warehouse
    error (connection lost, timeout) is raised, so that the run retries.
    """

    @staticmethod
    def supports_dialect(dialect: str) -> bool:
        return capabilities_for(dialect).gx_data_source is not None

    def evaluate(self, warehouse: SqlWarehouse, shape: TableShape,
                 expectations: Sequence[ExpectationSpec], *, samples: int = 0,
                 no_samples: Collection[str] = ()) -> list[ExpectationOutcome]:
        """One outcome per expectation, in the order given."""
        if not expectations:
            return []
        dialect = warehouse.capabilities.name
        if warehouse.capabilities.gx_data_source is None:
            return [ExpectationOutcome(spec, success=False, engine="none",
                                       error=unsupported_dialect(dialect, spec.type))
                    for spec in expectations]
        out: dict[int, ExpectationOutcome] = {}
        valid: list[tuple[int, ExpectationSpec]] = []
        for i, spec in enumerate(expectations):
            rejected = gx_rejects(spec)
            if rejected:
                out[i] = _failed(spec, f"Great Expectations rejects its arguments: {rejected}")
            else:
                valid.append((i, spec))
        for batch in _batches(valid):
            outcomes = self._isolated(warehouse, shape, [s for _, s in batch], samples,
                                      no_samples)
            out.update((i, o) for (i, _), o in zip(batch, outcomes, strict=True))
        return [out[i] for i in range(len(expectations))]

    def _isolated(self, warehouse: SqlWarehouse, shape: TableShape,
                  batch: Sequence[ExpectationSpec], samples: int,
                  no_samples: Collection[str]) -> list[ExpectationOutcome]:
        """The batch's outcomes; if GX fails on the batch, each expectation alone."""
        try:
            return self._evaluate(warehouse, shape, batch, samples, no_samples)
        except MonitorError as error:
            if is_transient(error):
                raise
            message = str(error)
        except Exception as error:  # noqa: BLE001 - GX fails in many ways; report, do not crash
            sql_error = error if isinstance(error, sa.exc.SQLAlchemyError) else (
                error.__cause__ if isinstance(error.__cause__, sa.exc.SQLAlchemyError) else None)
            if sql_error is not None:
                classified = classify(sql_error, f"Great Expectations on {shape.qualified}")
                if is_transient(classified):
                    raise classified from None
                message = str(classified)
            else:
                message = f"Great Expectations failed on {shape.qualified}: {gx_message(error)}"
        if len(batch) > 1:
            return [o for spec in batch
                    for o in self._isolated(warehouse, shape, [spec], samples, no_samples)]
        log.warning("%s: %s", batch[0].label, message)
        return [_failed(batch[0], message)]

    def _evaluate(self, warehouse: SqlWarehouse, shape: TableShape,
                  expectations: Sequence[ExpectationSpec], samples: int,
                  no_samples: Collection[str]) -> list[ExpectationOutcome]:
        import great_expectations as gx

        with _LOCK:
            source = _data_source(warehouse)
            asset_name = f"{shape.schema or ''}.{shape.name}.{uuid.uuid4().hex[:8]}"
            asset = source.add_table_asset(
                name=asset_name, table_name=_quoted(shape.name),
                schema_name=_quoted(shape.schema) if shape.schema else None)
            try:
                batch = asset.add_batch_definition_whole_table("all").get_batch()
                ids = {_gx_id(spec): spec for spec in expectations}
                suite = gx.ExpectationSuite(
                    name=f"dq_{shape.name}",
                    expectations=[{**spec.to_gx(), "id": gid} for gid, spec in ids.items()])
                result = batch.validate(suite, result_format={
                    "result_format": "BASIC", "partial_unexpected_count": max(1, samples)})
            finally:
                source.delete_asset(asset_name)
        by_id = {str(r.expectation_config.id): r for r in result.results}
        out = []
        for gid, spec in ids.items():
            found = by_id.get(gid)
            out.append(_outcome(spec, found, samples, no_samples) if found is not None else
                       _failed(spec, "Great Expectations returned no result"))
        return out


def gx_rejects(spec: ExpectationSpec) -> str | None:
    """Why GX refuses to build ``spec`` (its whole message), or None when it builds."""
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    gx_context()
    try:
        ExpectationConfiguration(type=spec.type, kwargs=dict(spec.kwargs)).to_domain_obj()
    except Exception as error:  # noqa: BLE001 - GX raises many kinds; each is a problem
        return gx_message(error)
    return None


def gx_problems(expectations: Sequence[ExpectationSpec]) -> dict[int, str]:
    """Arguments GX itself rejects, by expectation index (builds each, runs nothing)."""
    found = {spec.index: gx_rejects(spec) for spec in expectations}
    return {index: message for index, message in found.items() if message}
