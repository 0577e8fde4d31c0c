"""The demo's segment incident in the sample warehouse."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from monitor.demo.sample import build_sample_warehouse
from monitor.demo.segments import MISSING, SHARES, seen_as, segment_check, segment_incident
from monitor.run.findings import Finding


class TestAddCountries:
    def test_one_country_missing_on_the_last_day_only(self, tmp_path: Path) -> None:
        manifest = build_sample_warehouse(tmp_path / "s.db", days=10)

        with sqlite3.connect(manifest.path) as conn:
            rows = conn.execute("SELECT date(created_at), country, count(*) FROM orders "
                                "GROUP BY 1, 2").fetchall()
        last = manifest.end.isoformat()
        per_day = {(d, c): n for d, c, n in rows}
        assert (last, MISSING) not in per_day
        assert all((d, MISSING) in per_day for d, _, _ in rows if d != last)
        assert {c for _, c, _ in rows} == set(SHARES)
        assert "segment_missing" in {i.key for i in manifest.incidents}


class TestSegmentCheck:
    def test_caught_by_the_failing_segment_finding(self) -> None:
        incident = segment_incident(dt.date(2026, 1, 31))
        found = Finding(table="orders", check="segments:volume", kind="anomaly",
                        severity="critical", failing=True, at=dt.datetime(2026, 1, 31),
                        reason=f"orders from {MISSING}: 0 rows, usually 90; 9 other "
                               f"countries normal")

        check = segment_check(incident, [], [found])

        assert check.caught
        assert check.evidence.endswith("(the total rows looked normal)")

    def test_not_caught_without_it(self) -> None:
        assert not segment_check(segment_incident(dt.date(2026, 1, 31)), [], []).caught


class TestSeenAs:
    def test_segments_collapse(self) -> None:
        assert seen_as('@seg:[["country"],["DE"]]|') == "segments by country"
