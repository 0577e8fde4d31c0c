"""``dashboard``: serve the Streamlit dashboard on the configured metric store.

``dq-monitor --config prod.yaml dashboard --port 8600`` becomes
``streamlit run dashboards/app.py --server.port 8600 ... -- --config /abs/prod.yaml``
(the process is replaced by Streamlit, so Ctrl+C and service managers reach it directly).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from pathlib import Path

import click

import monitor
from monitor.cli.common import CliState, console, pass_state
from monitor.dashboard.source import shown_url
from monitor.errors import ConfigError, InputError
from monitor.optional import check_installed

DEFAULT_PORT = 8501
DEFAULT_HOST = "127.0.0.1"


def app_path() -> Path:
    """``dashboards/app.py`` of the source tree dq-monitor runs from."""
    path = Path(monitor.__file__).resolve().parent.parent / "dashboards" / "app.py"
    if not path.is_file():
        raise ConfigError(f"the dashboard app is not at {path}; the dashboard runs from a "
                          f"source checkout installed with `pip install -e .` (or `make install`)")
    return path


def streamlit_command(app: Path, *, config_path: Path, port: int, host: str,
                      base_path: str = "", login: bool = False) -> list[str]:
    """The ``streamlit run`` command line (headless, no usage statistics, no file watcher);
    ``base_path`` serves it under a prefix (behind a reverse proxy), ``login`` makes every
    page ask for Streamlit's OIDC login first.

    >>> streamlit_command(Path("app.py"), config_path=Path("m.yaml"), port=1, host="h",
    ...                   base_path="/dq/", login=True)[-6:]
    ['--server.baseUrlPath', 'dq', '--', '--config', 'm.yaml', '--login']
    """
    prefix = base_path.strip("/")
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.port", str(port), "--server.address", host,
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false",
            "--client.toolbarMode", "minimal",
            *(["--server.baseUrlPath", prefix] if prefix else []),
            "--", "--config", str(config_path), *(["--login"] if login else [])]


#: Where Streamlit looks for the ``[auth]`` section ``st.login`` needs.
SECRETS_FILES = (Path(".streamlit") / "secrets.toml",
                 Path.home() / ".streamlit" / "secrets.toml")


def auth_secrets() -> Path | None:
    """The first Streamlit secrets file with an ``[auth]`` section, if any."""
    import tomllib

    for path in SECRETS_FILES:
        try:
            found = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if isinstance(found.get("auth"), dict):
            return path
    return None


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on (host, port)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.settimeout(1.0)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


@click.command("dashboard")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to serve the dashboard on.")
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on; 0.0.0.0 opens it to the network (it has no login, "
                   "and its actions can acknowledge and mute incidents).")
@click.option("--base-path", default="", metavar="PATH",
              help="Serve under this URL prefix, as a reverse proxy forwards it (e.g. /dq).")
@click.option("--login", is_flag=True,
              help="Ask for Streamlit's OIDC login (st.login) on every page; needs an [auth] "
                   "section in .streamlit/secrets.toml.")
@pass_state
def dashboard_cmd(state: CliState, port: int, host: str, base_path: str, login: bool) -> None:
    """Serve the dashboard: table health, trends with their expected band, incidents, runs."""
    for module in ("streamlit", "altair"):
        check_installed(module, "the dashboard")
    if login:
        for module in ("authlib", "httpx"):
            check_installed(module, "--login")
        if auth_secrets() is None:
            raise ConfigError("--login needs an [auth] section (redirect_uri, cookie_secret, "
                              "client_id, client_secret, server_metadata_url) in "
                              + " or ".join(str(p) for p in SECRETS_FILES))
    config = state.config  # a bad config fails here, with its file and key, before serving
    config_file = Path(config.source).resolve()
    app = app_path()
    if port_in_use(host, port):
        raise InputError(f"port {port} on {host} is already in use; choose another with --port")
    command = streamlit_command(app, config_path=config_file, port=port, host=host,
                                base_path=base_path, login=login)
    prefix = f"/{base_path.strip('/')}" if base_path.strip("/") else ""
    console().print(f"dq-monitor dashboard on http://{host}:{port}{prefix} "
                    f"(store {shown_url(config.resolve_url(config.store))}); Ctrl+C stops it")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)  # noqa: S606  (our own interpreter, arguments as a list)

