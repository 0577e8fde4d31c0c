"""Run events built from plain datasets, checked against the OpenLineage JSON schemas."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from monitor.lineage.datasets import Assertion, Dataset
from monitor.lineage.events import PRODUCER, input_dataset, output_dataset, run_event, to_dict
from tests.helpers.lineage import spec_errors

AT = dt.datetime(2026, 3, 1, 6, 30, tzinfo=dt.UTC)


def orders() -> Dataset:
    return Dataset("postgres://db:5432", "shop.public.orders",
                   fields=[("id", "INTEGER"), ("amount", "DOUBLE PRECISION")], row_count=120,
                   columns={"id": {"nullCount": 0, "distinctCount": 120, "min": 1, "max": 120},
                            "amount": {"nullCount": 4, "min": 0.5, "max": 99.5}},
                   assertions=[Assertion("expect_column_values_to_not_be_null", False,
                                         "amount")])


def event(state: str, **kw) -> dict:
    return to_dict(run_event(state, run_id=str(uuid.uuid4()), namespace="dq-monitor",
                             job="orders.profile", kind="profile", at=AT, nominal=AT, **kw))


class TestRunEvent:
    @pytest.mark.parametrize("state", ["START", "COMPLETE", "FAIL"])
    def test_each_state_is_valid_per_the_spec(self, state: str) -> None:
        body = event(state, inputs=[orders()], error="boom" if state == "FAIL" else None)

        assert spec_errors(body) == []
        assert body["eventType"] == state
        assert body["run"]["facets"]["nominalTime"]["nominalStartTime"] == "2026-03-01T06:30:00Z"

    def test_the_input_carries_schema_metrics_and_assertions(self) -> None:
        body = event("COMPLETE", inputs=[orders()])

        (dataset,) = body["inputs"]
        assert [f["name"] for f in dataset["facets"]["schema"]["fields"]] == ["id", "amount"]
        metrics = dataset["inputFacets"]["dataQualityMetrics"]
        assert metrics["rowCount"] == 120
        assert metrics["columnMetrics"]["amount"]["nullCount"] == 4
        assert metrics["columnMetrics"]["id"]["max"] == 120
        (assertion,) = dataset["inputFacets"]["dataQualityAssertions"]["assertions"]
        assert (assertion["assertion"], assertion["success"], assertion["column"]) == (
            "expect_column_values_to_not_be_null", False, "amount")
        assert dataset["inputFacets"]["dataQualityMetrics"]["_producer"] == PRODUCER

    def test_a_failure_carries_its_message(self) -> None:
        body = event("FAIL", error="table orders does not exist")

        facet = body["run"]["facets"]["errorMessage"]
        assert (facet["message"], facet["programmingLanguage"]) == (
            "table orders does not exist", "PYTHON")
        assert spec_errors(body) == []


class TestInputDataset:
    def test_facets_it_does_not_know_are_left_out(self) -> None:
        dataset = to_dict_of(input_dataset(Dataset("file", "/in/orders.csv")))

        assert (dataset["facets"], dataset["inputFacets"]) == ({}, {})


class TestOutputDataset:
    def test_rows_written_are_output_statistics(self) -> None:
        body = event("COMPLETE", outputs=[Dataset("postgres://db:5432", "shop.public.orders",
                                                  row_count=40)])

        assert body["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 40
        assert spec_errors(body) == []

    def test_an_output_without_a_count_has_no_statistics(self) -> None:
        assert to_dict_of(output_dataset(Dataset("file", "/x")))["outputFacets"] == {}


def to_dict_of(value) -> dict:
    import json

    from openlineage.client.serde import Serde

    return json.loads(Serde.to_json(value))
