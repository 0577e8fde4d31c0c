"""The one sentence over every segment of a check."""

from __future__ import annotations

from monitor.detection.segments import SegmentVerdict, plural, segments_reason
from monitor.detection.wording import Unit


class TestSegmentsReason:
    def test_names_the_failing_segment_and_counts_the_rest(self) -> None:
        verdicts = [SegmentVerdict(("DE",), True, 0.0, 1200.0)] + [
            SegmentVerdict((f"C{i}",), False, 100.0, 100.0) for i in range(49)]

        reason = segments_reason("orders", "country", verdicts, "rows", Unit.COUNT)

        assert reason == "orders from DE: 0 rows, usually 1,200; 49 other countries normal"

    def test_lists_three_and_counts_more(self) -> None:
        verdicts = [SegmentVerdict((f"C{i}",), True, 0.0, 10.0) for i in range(5)]

        reason = segments_reason("orders", "segment", verdicts, "rows", Unit.COUNT)

        assert reason.count("orders from") == 3
        assert "2 more segments off" in reason
        assert reason.endswith("0 other segments normal")

    def test_a_rate_and_the_other_segment(self) -> None:
        verdicts = [SegmentVerdict(None, True, 0.35, 0.01),
                    SegmentVerdict(("web", "DE"), False, 0.01, 0.01)]

        reason = segments_reason("events", "segment", verdicts, "null rate of user_id",
                                 Unit.FRACTION)

        assert reason == ("events from other segments: null rate of user_id 35.0%, usually "
                          "1.0%; 1 other segment normal")

    def test_all_normal(self) -> None:
        verdicts = [SegmentVerdict(("DE",), False, 5.0, 5.0)] * 2

        assert segments_reason("orders", "country", verdicts, "rows", Unit.COUNT) == (
            "orders: rows normal in all 2 countries")


class TestPlural:
    def test_english_endings(self) -> None:
        assert [plural(w, 2) for w in ("country", "day", "box", "size")] == [
            "countries", "days", "boxes", "sizes"]
