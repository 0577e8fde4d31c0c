"""Output every command shares: table cells through monitor.formatting."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from monitor.cli.common import TimeParam, is_id_column, render_table


class TestIsIdColumn:
    @pytest.mark.parametrize(("name", "is_id"), [
        ("id", True), ("ID", True), ("order_id", True), ("batch id", True), ("paid", False),
        ("width", False), ("rows", False),
    ])
    def test_by_name(self, name: str, is_id: bool) -> None:
        assert is_id_column(name) is is_id


class TestRenderTable:
    def test_ids_as_stored_numbers_with_separators(self,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
        render_table(None, ("order_id", "amount", "rows", "note", "when"),
                     [(76657, 1263.1067555555544, 76608, None,
                       dt.datetime(2026, 1, 5, 6, 0, 9))])

        out = capsys.readouterr().out
        assert "76657" in out
        assert "76,657" not in out
        assert "1,263.11" in out
        assert "76,608" in out
        assert "None" not in out
        assert "–" in out
        assert "2026-01-05 06:00:09" in out

    def test_cells_are_not_markup(self, capsys: pytest.CaptureFixture[str]) -> None:
        render_table(None, ("result",), [("[critical]",)])

        assert "[critical]" in capsys.readouterr().out


class TestTimeParam:
    NOW = dt.datetime(2026, 12, 1, 8, 19, tzinfo=dt.UTC)

    @pytest.mark.parametrize(("text", "expected"), [
        ("7d", dt.datetime(2026, 11, 24, 8, 19, tzinfo=dt.UTC)),
        ("36h", dt.datetime(2026, 11, 29, 20, 19, tzinfo=dt.UTC)),
        ("yesterday", dt.datetime(2026, 11, 30, tzinfo=dt.UTC)),
        ("today", dt.datetime(2026, 12, 1, tzinfo=dt.UTC)),
        ("2026-01-31T06:00:00Z", dt.datetime(2026, 1, 31, 6, tzinfo=dt.UTC)),
    ])
    def test_absolute_and_relative_to_its_clock(self, text: str, expected: dt.datetime) -> None:
        assert TimeParam(clock=lambda: self.NOW).convert(text, None, None) == expected

    def test_bad_text_is_a_usage_error_naming_both_forms(self) -> None:
        with pytest.raises(click.BadParameter, match="or 7d, 36h, today, yesterday"):
            TimeParam(clock=lambda: self.NOW).convert("last week", None, None)
