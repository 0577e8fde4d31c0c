"""Config values checked at load: durations with limits, schedules, database URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.fields import MAX_TIMEOUT, check_url, schedule, seconds, timeout


class TestSeconds:
    @pytest.mark.parametrize(("value", "expected"), [(45, 45.0), ("15m", 900.0),
                                                     ("3650d", 3650 * 86400.0)])
    def test_durations_within_the_limit(self, value: object, expected: float) -> None:
        assert seconds(value) == expected

    @pytest.mark.parametrize("value", [float("inf"), float("nan"), "3651d", 10**12])
    def test_infinite_or_huge_durations_are_refused(self, value: object) -> None:
        with pytest.raises(ValueError, match="finite duration|at most 3650d"):
            seconds(value)


class TestTimeout:
    def test_postgresql_s_limit(self) -> None:
        assert timeout("24d") == MAX_TIMEOUT
        assert MAX_TIMEOUT * 1000 < 2**31  # statement_timeout is an int of milliseconds
        with pytest.raises(ValueError, match="at most 24d, got '25d'"):
            timeout("25d")


class TestSchedule:
    @pytest.mark.parametrize("text", ["0 * * * *", "*/15 6-18 * * mon-fri", "every 1s"])
    def test_valid_schedules(self, text: str) -> None:
        assert str(schedule(text)) in (text, "every 1s")

    @pytest.mark.parametrize(("text", "message"), [
        ("61 * * * *", "is not a valid cron expression"),
        ("0 0 32 * *", "is not a valid cron expression"),
        ("every 0.5s", "at least 1s"),
        ("every 3651d", "at most 3650d"),
    ])
    def test_schedules_that_cannot_fire(self, text: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            schedule(text)


class TestCheckUrl:
    def test_a_file_below_a_missing_folder_is_fine(self, tmp_path: Path) -> None:
        url = "sqlite:///new/folder/m.db"

        assert check_url(url, tmp_path) == url

    def test_without_a_base_folder_paths_are_not_checked(self, tmp_path: Path) -> None:
        assert check_url(f"sqlite:///{tmp_path}") == f"sqlite:///{tmp_path}"

    @pytest.mark.parametrize("url", ["duckdb:///{tmp}", "sqlite:///{tmp}"])
    def test_a_folder_is_no_database_file(self, tmp_path: Path, url: str) -> None:
        with pytest.raises(ValueError, match="is a folder; the URL must name a database file"):
            check_url(url.format(tmp=tmp_path), tmp_path)
