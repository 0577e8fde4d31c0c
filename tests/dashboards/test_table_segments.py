"""AppTest: the table page's drill-down by segment, on a store a real run filled."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from monitor.config.models import load_config
from monitor.run.collect import collect_metrics
from monitor.run.context import MonitorContext
from monitor.run.runner import run_table
from tests.helpers.contexts import write_config
from tests.helpers.dashboard import app_on, no_errors, open_page
from tests.helpers.warehouses import sqlite_warehouse
from tests.run.test_segments import COLUMNS, DAY0, at, orders


@pytest.fixture
def segmented(tmp_path: Path) -> Path:
    wh = sqlite_warehouse(tmp_path)
    # The page shows the last 30 days: the 20 days of orders end yesterday.
    today = dt.datetime.combine(dt.date.today(), dt.time())
    shift = today - dt.timedelta(days=20) - DAY0
    rows = [{**r, "created": r["created"] + shift} for r in orders(20, missing="NL")]
    wh.create_table("orders", COLUMNS, rows)
    path = write_config(tmp_path, warehouses={"wh": wh.url}, tables=[{
        "name": "orders", "warehouse": "wh", "table": "orders", "timestamp_column": "created",
        "bucket": "day", "segments": ["country"]}])
    ctx = MonitorContext(load_config(path))
    run_table(ctx, ctx.config.table("orders"), as_of=at(19) + shift, steps=[collect_metrics])
    ctx.store.dispose()
    wh.dispose()
    return path


class TestTablePageSegments:
    def test_the_segments_section_lists_the_countries(self, segmented: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
        page = app_on(segmented, monkeypatch).run()

        page = open_page(page, "table", table="orders")

        no_errors(page)
        assert "Segments" in [s.value for s in page.subheader]
        options = next(s for s in page.selectbox if s.label == "Segment").options
        assert set(options) == {"DE", "FR", "NL", "IT", "O'Hara", "other"}
