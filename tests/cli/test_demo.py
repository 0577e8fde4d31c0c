"""`dq-monitor demo` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main


class TestDemoCommand:
    def test_prints_profiles_and_next_steps(self, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
        code = main(["demo", "--dir", str(tmp_path / "d")])

        out = capsys.readouterr().out
        assert code == 0
        assert "orders (sample: orders)" in out
        assert f"--config {tmp_path / 'd' / 'monitor.yaml'} history orders" in out
