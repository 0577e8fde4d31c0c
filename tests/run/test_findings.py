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

    def test_a_runs_finding_leaves_the_incident_facts_out_of_its_dict(self) -> None:
        at = dt.datetime(2026, 1, 3)
        finding = Finding(table="orders", check="volume:row_count", kind="anomaly",
                          severity="critical", failing=True, at=at, reason="412 rows")

        out = finding.to_dict()

        assert not {"incident_id", "occurrences", "ok_runs", "resolution"} & out.keys()
        assert Finding.from_dict(out) == finding

    def test_an_incidents_facts_survive_the_round_trip(self) -> None:
        finding = Finding(table="orders", check="schema", kind="schema", severity="info",
                          failing=False, at=dt.datetime(2026, 1, 3), reason="phone is back",
                          incident_id=7, occurrences=3, ok_runs=1,
                          resolution="the change is undone")

        out = finding.to_dict()

        assert (out["incident_id"], out["occurrences"], out["ok_runs"]) == (7, 3, 1)
        assert Finding.from_dict(out) == finding
