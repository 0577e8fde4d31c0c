"""Output every command shares: table cells through monitor.formatting."""

from __future__ import annotations

import datetime as dt

import pytest

from monitor.cli.common import is_id_column, render_table


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
