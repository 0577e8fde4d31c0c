"""OpenLineage run events (START, COMPLETE, FAIL) of one run, from plain ``Dataset`` values.

The job is ``<table>.<kind>`` (``orders.profile``, ``orders.ingest``) in the configured
namespace; the run id is a fresh UUID (v7) per run, the run's key and as-of time go into
the ``nominalTime`` facet. Datasets carry the ``schema`` facet, and inputs the
``dataQualityMetrics`` and ``dataQualityAssertions`` input facets.

>>> from monitor.lineage.datasets import Assertion, Dataset
>>> import datetime as dt
>>> orders = Dataset("postgres://db:5432", "shop.public.orders", fields=[("id", "INTEGER")],
...                  row_count=3, columns={"id": {"nullCount": 0, "min": 1, "max": 3}},
...                  assertions=[Assertion("expect_column_values_to_not_be_null", True, "id")])
>>> event = run_event("COMPLETE", run_id="0190d1a8-7a33-7c1e-8000-000000000000",
...                   namespace="dq-monitor", job="orders.profile", kind="profile",
...                   at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), nominal=None, inputs=[orders])
>>> body = to_dict(event)
>>> body["eventType"], body["job"]["name"], body["inputs"][0]["name"]
('COMPLETE', 'orders.profile', 'shop.public.orders')
>>> body["inputs"][0]["inputFacets"]["dataQualityMetrics"]["columnMetrics"]["id"]["max"]
3
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    error_message_run,
    job_type_job,
    nominal_time_run,
    output_statistics_output_dataset,
    schema_dataset,
)
from openlineage.client.serde import Serde

from monitor import __version__
from monitor.lineage.datasets import Dataset

#: The ``producer`` of every event and facet.
PRODUCER = f"https://pypi.org/project/dq-monitor/{__version__}"
STATES = {"START": RunState.START, "COMPLETE": RunState.COMPLETE, "FAIL": RunState.FAIL}


def _iso(moment: dt.datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _schema(dataset: Dataset) -> dict[str, Any]:
    if not dataset.fields:
        return {}
    fields = [schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in dataset.fields]
    return {"schema": schema_dataset.SchemaDatasetFacet(fields=fields, producer=PRODUCER)}


def input_dataset(dataset: Dataset) -> InputDataset:
    """An input with its schema, metrics and assertions (each facet only when known)."""
    facets: dict[str, Any] = {}
    if dataset.measured:
        metrics = {name: data_quality_metrics_input_dataset.ColumnMetrics(**values)
                   for name, values in dataset.columns.items()}
        facets["dataQualityMetrics"] = (
            data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
                columnMetrics=metrics, rowCount=dataset.row_count, producer=PRODUCER))
    if dataset.assertions:
        facets["dataQualityAssertions"] = (
            data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                assertions=[data_quality_assertions_dataset.Assertion(
                    assertion=a.assertion, success=a.success, column=a.column)
                    for a in dataset.assertions], producer=PRODUCER))
    return InputDataset(namespace=dataset.namespace, name=dataset.name,
                        facets=_schema(dataset), inputFacets=facets)


def output_dataset(dataset: Dataset) -> OutputDataset:
    """An output with its schema and the rows written (``outputStatistics``)."""
    facets: dict[str, Any] = {}
    if dataset.row_count is not None:
        facets["outputStatistics"] = (
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=dataset.row_count, producer=PRODUCER))
    return OutputDataset(namespace=dataset.namespace, name=dataset.name,
                         facets=_schema(dataset), outputFacets=facets)


def run_event(state: str, *, run_id: str, namespace: str, job: str, kind: str,
              at: dt.datetime, nominal: dt.datetime | None,
              inputs: Sequence[Dataset] = (), outputs: Sequence[Dataset] = (),
              error: str | None = None) -> RunEvent:
    """One run event; ``error`` adds the ``errorMessage`` run facet (FAIL events)."""
    run_facets: dict[str, Any] = {}
    if nominal is not None:
        run_facets["nominalTime"] = nominal_time_run.NominalTimeRunFacet(
            nominalStartTime=_iso(nominal), producer=PRODUCER)
    if error:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="PYTHON", producer=PRODUCER)
    job_facets = {"jobType": job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration="DQ_MONITOR", jobType=kind.upper(),
        producer=PRODUCER)}
    return RunEvent(eventType=STATES[state], eventTime=_iso(at),
                    run=Run(runId=run_id, facets=run_facets),
                    job=Job(namespace=namespace, name=job, facets=job_facets),
                    inputs=[input_dataset(d) for d in inputs],
                    outputs=[output_dataset(d) for d in outputs], producer=PRODUCER)


def to_dict(event: RunEvent) -> dict[str, Any]:
    """The event as the JSON a transport sends."""
    return json.loads(Serde.to_json(event))
