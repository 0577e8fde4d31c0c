"""Findings are plain values."""

from __future__ import annotations

import datetime as dt

from monitor.run.findings import SEVERITY_ORDER, Finding


class TestFinding:
    def test_title_and_dict(self) -> None:
        since = dt.datetime(2026, 1, 1)
        finding = Finding(table="orders", check="null_rate:email", kind="anomaly",
                          severity="warning", failing=True, at=since + dt.timedelta(days=2),
                          reason="email is 40% null, usually 1%", since=since, observed=0.4)

        out = finding.to_dict()

        assert finding.title == "orders: email is 40% null, usually 1%"
        assert out["since"] == "2026-01-01T00:00:00"
        assert out["observed"] == 0.4
        assert SEVERITY_ORDER["critical"] < SEVERITY_ORDER["warning"] < SEVERITY_ORDER["info"]
