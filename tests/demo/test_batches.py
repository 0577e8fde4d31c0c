"""The sample ingestion scenario, ingested with the shipped config and suites."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.config.models import load_config
from monitor.demo.batches import sample_batches_for
from monitor.demo.sample import build_sample_warehouse
from monitor.errors import InputError
from monitor.ingest.batch import ingest_file
from monitor.run.context import MonitorContext

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("scenario")
    build_sample_warehouse(tmp / "sample.db", days=30, incidents=False)
    raw = yaml.safe_load((REPO / "config" / "monitor.yaml").read_text())
    raw["warehouses"]["sample"] = f"sqlite:///{tmp / 'sample.db'}"
    raw["store"] = f"sqlite:///{tmp / 'metrics.db'}"
    raw["expectations_dir"] = str(REPO / "expectations")
    (tmp / "monitor.yaml").write_text(yaml.safe_dump(raw))
    files = sample_batches_for(tmp / "sample.db", tmp / "batches")
    return MonitorContext(load_config(tmp / "monitor.yaml")), files


class TestSampleBatches:
    def test_each_file_does_what_its_description_says(self, scenario) -> None:
        ctx, files = scenario
        outcomes = {}
        for item in files:
            try:
                outcomes[item.path.name] = ingest_file(item.path, "orders", context=ctx).status
            except InputError:
                outcomes[item.path.name] = "error"

        assert outcomes == {item.path.name: item.expect for item in files}

    def test_publish_good_quarantines_the_null_spike(self, scenario) -> None:
        ctx, files = scenario
        spike = next(f for f in files if f.path.name == "orders_null_spike.csv")

        result = ingest_file(spike.path, "orders", context=ctx, mode="publish_good")

        assert result.status == "partially_published"
        assert result.rows_quarantined + result.rows_published == result.rows_in
        assert 0.25 < result.rows_quarantined / result.rows_in < 0.45

    def test_publish_good_quarantines_the_resent_orders(self, scenario) -> None:
        ctx, files = scenario
        resent = next(f for f in files if f.path.name == "orders_resent.csv")

        result = ingest_file(resent.path, "orders", context=ctx, mode="publish_good")

        assert (result.status, result.rows_quarantined) == ("partially_published", 100)
        assert result.rows_published == result.rows_in - 100
