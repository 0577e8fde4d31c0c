"""``dq-monitor dashboard``: the command line it runs, and the errors it reports first.

Serving for real is covered by tests/dashboards/test_browser.py.
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.cli.dashboard import app_path, port_in_use, streamlit_command
from tests.helpers.seed import write_scenario_config


@pytest.fixture
def listening() -> Iterator[tuple[str, int]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server.getsockname()
    server.close()


class TestAppPath:
    def test_the_app_of_this_source_tree(self):
        assert app_path() == Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


class TestStreamlitCommand:
    def test_headless_on_host_and_port_with_the_config(self, tmp_path: Path):
        command = streamlit_command(Path("/src/dashboards/app.py"),
                                    config_path=tmp_path / "m.yaml", port=8600, host="0.0.0.0")

        assert command[:5] == [sys.executable, "-m", "streamlit", "run",
                               "/src/dashboards/app.py"]
        options = dict(zip(command[5:-3:2], command[6:-3:2], strict=True))
        assert options == {"--server.port": "8600", "--server.address": "0.0.0.0",
                           "--server.headless": "true", "--browser.gatherUsageStats": "false",
                           "--server.fileWatcherType": "none",
                           "--global.developmentMode": "false", "--client.toolbarMode": "minimal"}
        assert command[-3:] == ["--", "--config", str(tmp_path / "m.yaml")]


class TestPortInUse:
    def test_taken(self, listening: tuple[str, int]):
        assert port_in_use(*listening)

    def test_free(self):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()

        assert not port_in_use("127.0.0.1", port)


class TestDashboardCommand:
    def test_help(self, capsys: pytest.CaptureFixture[str]):
        assert main(["dashboard", "--help"]) == 0

        out = capsys.readouterr().out
        assert "--port" in out
        assert "--host" in out

    def test_bad_config_exits_2_naming_the_file(self, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]):
        config = tmp_path / "monitor.yaml"
        config.write_text("tables: [\n")

        code = main(["--config", str(config), "dashboard"])

        assert code == 2
        assert f"{config}: not valid YAML" in capsys.readouterr().err

    def test_port_in_use_exits_2(self, tmp_path: Path, listening: tuple[str, int],
                                 capsys: pytest.CaptureFixture[str]):
        config = write_scenario_config(tmp_path / "monitor.yaml",
                                       f"sqlite:///{tmp_path / 'm.db'}")
        host, port = listening

        code = main(["--config", str(config), "dashboard", "--host", host, "--port", str(port)])

        assert code == 2
        assert f"port {port} on {host} is already in use" in capsys.readouterr().err

    def test_port_out_of_range(self, capsys: pytest.CaptureFixture[str]):
        assert main(["dashboard", "--port", "70000"]) == 2
        assert "70000" in capsys.readouterr().err


class TestBasePathAndLogin:
    def test_a_base_path_becomes_server_base_url_path(self, tmp_path: Path):
        command = streamlit_command(Path("app.py"), config_path=tmp_path / "m.yaml",
                                    port=8600, host="127.0.0.1", base_path="/dq/")

        assert command[command.index("--server.baseUrlPath") + 1] == "dq"
        assert command[-3:] == ["--", "--config", str(tmp_path / "m.yaml")]

    def test_login_is_passed_to_the_app(self, tmp_path: Path):
        command = streamlit_command(Path("app.py"), config_path=tmp_path / "m.yaml",
                                    port=8600, host="127.0.0.1", login=True)

        assert command[-4:] == ["--", "--config", str(tmp_path / "m.yaml"), "--login"]
        assert "--server.baseUrlPath" not in command

    def test_login_without_its_requirements_exits_2_saying_what_is_missing(
            self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]):
        config = write_scenario_config(tmp_path / "monitor.yaml",
                                       f"sqlite:///{tmp_path / 'm.db'}")
        monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here
        monkeypatch.setenv("HOME", str(tmp_path))

        code = main(["--config", str(config), "dashboard", "--login"])

        err = capsys.readouterr().err
        assert code == 2
        assert "Authlib" in err or "[auth]" in err
