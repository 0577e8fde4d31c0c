"""A reconciliation as a run: stored in the history, and an incident while it differs."""

from __future__ import annotations

import pytest

from monitor.errors import ConfigError
from monitor.reconcile.run import reconcile_now
from monitor.store.incidents import load_open
from tests.reconcile.conftest import Pair, drifted, orders_frame


class TestReconcileNow:
    def test_a_mismatch_is_recorded_with_points_and_opens_an_incident(self, pair: Pair
                                                                      ) -> None:
        source = orders_frame(800)
        pair.load(source, drifted(source, missing=2, extra=0, changed=0))
        ctx = pair.context()

        result = reconcile_now(ctx, "orders_mart", deliver=False)

        runs = ctx.store.runs("orders_mart", kind="reconcile")
        points = {p.metric: p.value for p in ctx.store.points("orders_mart")}
        with ctx.store.connect() as conn:
            incidents = load_open(conn, "orders_mart")
        assert not result.matched
        assert [r.status for r in runs] == ["success"]
        assert points["reconcile_missing_keys"] == 2
        assert points["reconcile_source_rows"] == 800
        assert list(incidents) == ["reconcile:orders_mart"]
        ctx.store.dispose()

    def test_an_unknown_entry_names_the_known_ones(self, pair: Pair) -> None:
        ctx = pair.context()

        with pytest.raises(ConfigError, match="no reconcile entry named 'nope'.*orders_mart"):
            reconcile_now(ctx, "nope")
